"""Fewer garbage collections while a long batch (an import's check or import) runs.

CPython collects its youngest generation every 700 net allocations and the oldest every
100 of those; each oldest collection walks every object the process holds. A check or
import of 100,000 rows makes millions of short-lived objects: at the default thresholds the
collector ran some 3,600 times and took 1.9 s of a lease list's 21 s on PostgreSQL
(docs/import.md, ninth pass), although nearly all of those objects are freed by their
reference counts, not by the collector. While a batch runs the thresholds are raised; the
garbage cycles left wait for a later collection, bounded by the thresholds, not by the size
of the file. The thresholds are the process's: the first batch to start raises them and the
last to end puts back what it found.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

#: The collector's thresholds while a batch runs (CPython's are 700, 10, 10).
BATCH_THRESHOLDS = (50_000, 20, 20)

_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for the batch (also usable as a decorator)."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*BATCH_THRESHOLDS)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
