"""A large sheet read by a child process while this one checks its rows
(services/shared/sheet_process.py). tests/unit/sales/test_sheet_reader.py runs every reading
test both ways; here: which sheets go to a child, and what the child does when things go wrong.

The read functions below are module-level: the child imports them by name."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest

from services.shared import importer, sheet_process, sheet_reader
from tests.importing import good_row, write_xlsx

pytestmark = pytest.mark.instant()


def _numbers(count: int):
    yield from range(count)


def _fails_after(count: int):
    yield from range(count)
    raise ValueError(f"broken after {count}")


class _Unpicklable(Exception):
    def __init__(self):
        super().__init__("holds a lock")
        self.lock = threading.Lock()


def _fails_unpicklably():
    yield 1
    raise _Unpicklable()


def _pid_then_waits():
    yield os.getpid()
    time.sleep(60)
    yield None


def _rows(read, *args, deadline: float = 60.0):
    return sheet_process.rows_in_child(
        read, args, deadline=time.monotonic() + deadline, too_slow=TimeoutError
    )


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_items_come_in_order_across_batches():
    assert list(_rows(_numbers, 2_500)) == list(range(2_500))
    assert sheet_process.last_child["peak_rss_mb"] > 0
    assert sheet_process.last_child["cpu_s"] >= 0


def test_what_the_child_raises_is_raised_here_after_the_rows_before_it():
    got = []
    with pytest.raises(ValueError, match="broken after 1500"):
        for item in _rows(_fails_after, 1_500):
            got.append(item)
    assert got == list(range(1_500))


def test_an_exception_that_cannot_travel_arrives_as_reader_stopped():
    with pytest.raises(sheet_process.ReaderStopped, match="_Unpicklable"):
        list(_rows(_fails_unpicklably))


def test_a_child_that_dies_raises_reader_stopped(monkeypatch):
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(_pid_then_waits)
    pid = next(rows)
    os.kill(pid, 9)
    with pytest.raises(sheet_process.ReaderStopped, match="exit code -9"):
        next(rows)


def test_closing_the_rows_stops_the_child(monkeypatch):
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(_pid_then_waits)
    pid = next(rows)
    assert not _gone(pid)
    rows.close()
    assert _gone(pid)


def test_a_child_past_the_deadline_is_too_slow_and_stopped(monkeypatch):
    assert list(_rows(_numbers, 1)) == [0]  # the fork server started: the deadline is the read's
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(_pid_then_waits, deadline=2.0)
    pid = next(rows)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        next(rows)
    assert time.monotonic() - started < 10
    assert _gone(pid)


@pytest.fixture
def children(monkeypatch):
    """The calls that handed a sheet to a child process."""
    calls = []
    real = sheet_process.rows_in_child

    def counted(read, args, **kwargs):
        calls.append(args[1:])
        return real(read, args, **kwargs)

    monkeypatch.setattr(sheet_process, "rows_in_child", counted)
    return calls


def test_a_large_sheet_goes_to_a_child_and_reads_as_here(app, tmp_path, monkeypatch, children):
    small = write_xlsx(tmp_path / "small.xlsx", [good_row(n) for n in range(1, 50)])
    large = write_xlsx(tmp_path / "large.xlsx", [good_row(n) for n in range(1, 3_000)])
    with app.test_request_context():
        monkeypatch.setattr(sheet_reader, "CHILD_READ_MIN_BYTES", 10**12)
        here = {name: _read(path) for name, path in (("small", small), ("large", large))}
        assert children == []
        monkeypatch.setattr(sheet_reader, "CHILD_READ_MIN_BYTES", 100_000)
        assert _read(small) == here["small"]
        assert children == []
        assert _read(large) == here["large"]
        # an upload is opened in memory: the child gets its bytes, nothing goes to disk
        assert _read(io.BytesIO(large.read_bytes())) == here["large"]
    assert children == [(0, 51), (0, 51)]
    assert len(here["large"][1]) == 2_999


def _read(source):
    headers, rows = importer.open_rows(source)
    return headers, list(rows)
