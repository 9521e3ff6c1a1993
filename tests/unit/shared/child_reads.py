"""What the child processes of tests/unit/shared/test_sheet_process.py run: imported by name
in each child, so only the standard library (a child starts in milliseconds)."""

from __future__ import annotations

import os
import threading
import time


def numbers(count: int):
    yield from range(count)


def fails_after(count: int):
    yield from range(count)
    raise ValueError(f"broken after {count}")


class Unpicklable(Exception):
    def __init__(self):
        super().__init__("holds a lock")
        self.lock = threading.Lock()


class Unloadable(Exception):
    """Pickles, but does not unpickle: its __init__ wants two arguments."""

    def __init__(self, first, second):
        super().__init__(f"{first} {second}")


def fails_unpicklably():
    yield 1
    raise Unpicklable()


def fails_unloadably():
    yield 1
    raise Unloadable("a", "b")


def pid_then_waits():
    yield os.getpid()
    time.sleep(60)
    yield None


def long_rows(count: int, width: int):
    """Rows of ``width`` characters, and this process's id on each."""
    for _ in range(count):
        yield (os.getpid(), "字" * width)
