"""A large sheet's rows read by a process of its own while this process checks them.

The check pass reads a sheet (its XML inflated and matched: services/shared/sheet_rows.py) and
checks every row, on one thread. Python runs one thread at a time, so at 100,000 cards the
reading was about half of the pass while the machine's other core idled (docs/import.md,
thirteenth pass). A large sheet is now read by a child process, which hands its rows over in
batches through a pipe, and this process checks them meanwhile.

- The child is forked by multiprocessing's fork server, never from this process: an import
  runs on a thread of a threaded app server, and a process forked from one may inherit a lock
  that another thread held. The server is started once a process, with the reader's modules
  loaded; ``warm`` starts it while the file is still being inspected here.
- The child reads a file this process has already inspected (services/shared/
  workbook_limits.py). It gets the file's path, or the bytes of an upload opened in memory:
  nothing is written to disk.
- Memory stays flat whatever the sheet's length: a pipe holds a batch or so, and the child
  waits until this process has taken it.
- What the child raises is raised here, as the same exception, so a damaged sheet reads as it
  does in this process; a child that ends without its rows raises ``ReaderStopped``.
- The rows are a generator: the child starts with the first row asked for and is stopped when
  the generator is closed (the end of the rows, a cancel, the row cap, the time limit).
- As with any process multiprocessing starts this way, the child imports the program's main
  module again (as ``__mp_main__``): a script must keep its work under ``if __name__ ==
  "__main__":``, as gunicorn, flask, pytest and the benches do.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import forkserver

#: Rows a message: some 150 KB of a welcome card's values, a few dozen messages a second.
BATCH_ROWS = 1000
#: The modules the fork server loads once, so that a child starts in a tenth of a second.
PRELOAD = ["services.shared.sheet_process", "services.shared.sheet_reader"]

log = logging.getLogger(__name__)
_ROWS, _END, _ERROR = "rows", "end", "error"
_lock = threading.Lock()
_context = None
#: What the last child that read to the end reported: its peak RSS (MB) and CPU seconds, for
#: the benches (bench/import_timing.py) and the log.
last_child: dict[str, float] | None = None


class ReaderStopped(RuntimeError):
    """The reading process ended without handing over all the rows (killed, out of memory)."""


def _fork_context():
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
        return _context


def warm() -> None:
    """Start the fork server now (it loads the reader's modules, some 0.4 s), so that the
    first child is ready when the rows are first asked for."""
    _fork_context()
    forkserver.ensure_running()


def rows_in_child(
    read: Callable[..., Iterable],
    args: tuple,
    *,
    deadline: float,
    too_slow: Callable[[], BaseException],
) -> Iterator:
    """The items of ``read(*args)``, made by a child process. ``read`` is a module-level
    function (the child imports it by name). ``too_slow()`` is raised when no batch has come
    by ``deadline`` (``time.monotonic()``)."""
    context = _fork_context()
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_serve, args=(send, read, args, BATCH_ROWS), name="sheet-reader", daemon=True
    )
    try:
        child.start()
        send.close()
        while True:
            if not receive.poll(max(0.0, deadline - time.monotonic())):
                raise too_slow()
            try:
                what, payload = receive.recv()
            except EOFError:
                child.join(1)
                raise ReaderStopped(
                    f"the sheet's reader ended (exit code {child.exitcode})"
                ) from None
            if what == _ROWS:
                yield from payload
            elif what == _END:
                _ended(payload)
                return
            else:
                raise payload
    finally:
        receive.close()
        send.close()
        if child.pid is not None:
            if child.is_alive():
                child.terminate()
            child.join(5)


def _ended(usage: dict[str, float]) -> None:
    global last_child
    last_child = usage
    log.info(
        "sheet read by a child process: peak RSS %.0f MB, CPU %.2f s",
        usage["peak_rss_mb"],
        usage["cpu_s"],
    )


def _serve(send, read: Callable[..., Iterable], args: tuple, batch_rows: int) -> None:
    """The child: ``read(*args)`` in batches, then the end, or what it raised."""
    batch: list = []
    try:
        for item in read(*args):
            batch.append(item)
            if len(batch) >= batch_rows:
                send.send((_ROWS, batch))
                batch = []
        send.send((_ROWS, batch))
        times = os.times()
        usage = {
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cpu_s": times.user + times.system,
        }
        send.send((_END, usage))
    except (BrokenPipeError, ConnectionResetError):
        return  # the rows were closed: nobody reads them any more
    except BaseException as exc:  # noqa: BLE001 (handed to the parent, which raises it)
        try:
            send.send((_ROWS, batch))  # the rows before it, as a reading here yields them
            send.send((_ERROR, exc))
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:  # noqa: BLE001 (an exception that cannot be pickled)
            send.send((_ERROR, ReaderStopped(f"the sheet's reader failed: {type(exc).__name__}")))
    finally:
        send.close()
