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
- Memory stays flat whatever the sheet's length or its cells' length: a batch is at most
  1,000 rows and 1,000,000 characters, a pipe holds a batch or so, and the child waits until
  this process has taken it.
- What the child raises is raised here, as the same exception, so a damaged sheet reads as it
  does in this process; a child that ends without its rows, a broken pipe or an exception
  that cannot make the trip raise ``ReaderStopped`` (never taken for a damaged file). When
  no child can be started, the sheet is read in this process, as a small one is.
- The rows are a generator: the child starts with the first row asked for and is stopped when
  the generator is closed (the end of the rows, a cancel, the row cap, the time limit).
- As with any process multiprocessing starts this way, the child imports the program's main
  module again (as ``__mp_main__``): a script must keep its work under ``if __name__ ==
  "__main__":``, as gunicorn, flask, pytest and the benches do.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import resource
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import forkserver

#: Rows a message at most: some 150 KB of a welcome card's values.
BATCH_ROWS = 1000
#: Characters of text a message at most: a sheet of long cells makes shorter batches.
BATCH_CHARS = 1_000_000
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
    here: Callable[[], Iterable] | None = None,
) -> Iterator:
    """The items of ``read(*args)``, made by a child process. ``read`` is a module-level
    function (the child imports it by name). ``too_slow()`` is raised when no batch has come
    by ``deadline`` (``time.monotonic()``). When no child can be started (the fork server's
    socket deleted, no file descriptors left), the items are ``here()``'s, made in this
    process, and the fork server is started again next time."""
    context = _fork_context()
    try:
        receive, send = context.Pipe(duplex=False)
    except OSError:
        if here is None:
            raise
        log.warning("no pipe for the sheet's reader: the sheet is read in this process")
        yield from here()
        return
    child = context.Process(
        target=_serve,
        args=(send, read, args, BATCH_ROWS, BATCH_CHARS),
        name="sheet-reader",
        daemon=True,
    )
    try:
        try:
            child.start()
        except OSError:
            _restart_fork_server()
            if here is None:
                raise
            log.warning("the sheet's reader could not start: the sheet is read in this process")
            yield from here()
            return
        send.close()
        while True:
            if not receive.poll(max(0.0, deadline - time.monotonic())):
                raise too_slow()
            what, payload = _received(receive, child)
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


def _received(receive, child) -> tuple[str, object]:
    """The next message, or ``ReaderStopped`` when the pipe broke or the message cannot be
    read: never an error of the transport taken for one of the sheet (``OSError`` and
    ``TypeError`` mean a damaged file to the reader)."""
    try:
        return receive.recv()
    except EOFError:
        child.join(1)
        raise ReaderStopped(f"the sheet's reader ended (exit code {child.exitcode})") from None
    except Exception as exc:  # noqa: BLE001 (a broken pipe, a message that does not unpickle)
        raise ReaderStopped(
            f"the sheet's reader's message was lost: {type(exc).__name__}"
        ) from None


def _restart_fork_server() -> None:
    """Forget a fork server that cannot be reached, so that the next child starts a new one."""
    stop = getattr(forkserver._forkserver, "_stop", None)  # private, Python 3.9 and later
    if stop is not None:
        with contextlib.suppress(OSError):
            stop()


def _ended(usage: dict[str, float]) -> None:
    global last_child
    last_child = usage
    log.info(
        "sheet read by a child process: peak RSS %.0f MB, CPU %.2f s",
        usage["peak_rss_mb"],
        usage["cpu_s"],
    )


def _serve(
    send, read: Callable[..., Iterable], args: tuple, batch_rows: int, batch_chars: int
) -> None:
    """The child: ``read(*args)`` in batches, then the end, or what it raised. A batch ends at
    ``batch_rows`` items or when its text passes ``batch_chars`` characters, whichever comes
    first: a sheet of long cells stays a few MB a batch on both sides of the pipe."""
    batch: list = []
    chars = 0
    try:
        for item in read(*args):
            batch.append(item)
            chars += _chars(item)
            if len(batch) >= batch_rows or chars >= batch_chars:
                send.send((_ROWS, batch))
                batch, chars = [], 0
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
        _send_error(send, batch, exc)
    finally:
        send.close()


def _chars(item) -> int:
    """The characters of an item's text (a row's strings), 1 for anything else."""
    if isinstance(item, tuple):
        return sum(len(value) for value in item if isinstance(value, str | bytes)) + 1
    return len(item) + 1 if isinstance(item, str | bytes) else 1


def _send_error(send, batch: list, exc: BaseException) -> None:
    """The rows before ``exc`` (as a reading here yields them), then ``exc`` itself when it
    makes the trip whole (pickled and unpickled), else ``ReaderStopped`` naming its type.
    Never raises: a traceback on the child's stderr could show a cell's text."""
    try:
        send.send((_ROWS, batch))
        try:
            travels = pickle.loads(pickle.dumps(exc))  # noqa: S301 (made here, a moment ago)
        except Exception:  # noqa: BLE001 (an exception that does not survive pickling)
            travels = None
        if type(travels) is not type(exc):
            exc = ReaderStopped(f"the sheet's reader failed: {type(exc).__name__}")
        send.send((_ERROR, exc))
    except BaseException:  # noqa: BLE001, S110 (the parent is gone or stopped reading)
        pass
