"""A large sheet read by a child process while this one checks its rows
(services/shared/sheet_process.py). tests/unit/sales/test_sheet_reader.py runs every reading
test both ways; here: which reads go to a child, and what happens when things go wrong.

The children run tests/unit/shared/child_reads.py, imported by name in each child."""

from __future__ import annotations

import io
import time

import pytest

from services.shared import importer, sheet_process, sheet_reader
from tests.importing import good_row, write_xlsx
from tests.unit.shared import child_reads

pytestmark = pytest.mark.instant()


def _rows(read, *args, deadline: float = 60.0, here=None):
    return sheet_process.rows_in_child(
        read, args, deadline=time.monotonic() + deadline, too_slow=TimeoutError, here=here
    )


def _running(pid: int) -> bool:
    """The process is alive (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_items_come_in_order_across_batches():
    assert list(_rows(child_reads.numbers, 2_500)) == list(range(2_500))
    assert sheet_process.last_child["peak_rss_mb"] > 0
    assert sheet_process.last_child["cpu_s"] >= 0


def test_a_batch_of_long_rows_is_cut_by_its_characters(monkeypatch):
    # 300 rows of 10,000 characters: three batches of 100 rows (1,000,000 characters), not one
    monkeypatch.setattr(sheet_process, "BATCH_CHARS", 1_000_000)
    sizes = []
    real = sheet_process._received

    def counted(receive, child):
        what, payload = real(receive, child)
        if what == "rows" and payload:
            sizes.append(len(payload))
        return what, payload

    monkeypatch.setattr(sheet_process, "_received", counted)
    rows = list(_rows(child_reads.long_rows, 300, 10_000))
    assert len(rows) == 300 and rows[0][1] == "字" * 10_000
    assert sizes == [100, 100, 100]


def test_what_the_child_raises_is_raised_here_after_the_rows_before_it():
    got = []
    with pytest.raises(ValueError, match="broken after 1500"):
        for item in _rows(child_reads.fails_after, 1_500):
            got.append(item)
    assert got == list(range(1_500))


@pytest.mark.parametrize("read", [child_reads.fails_unpicklably, child_reads.fails_unloadably])
def test_an_exception_that_cannot_make_the_trip_arrives_as_reader_stopped(read):
    got = []
    with pytest.raises(sheet_process.ReaderStopped, match="Unpicklable|Unloadable"):
        for item in _rows(read):
            got.append(item)
    assert got == [1]


def test_a_child_that_dies_raises_reader_stopped_not_a_damaged_file(monkeypatch):
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(child_reads.pid_then_waits)
    pid = next(rows)
    sheet_process.os.kill(pid, 9)
    with pytest.raises(sheet_process.ReaderStopped, match="ended") as stopped:
        next(rows)
    assert not isinstance(stopped.value, sheet_reader._DAMAGED)


def test_closing_the_rows_stops_the_child(monkeypatch):
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(child_reads.pid_then_waits)
    pid = next(rows)
    assert _running(pid)
    rows.close()
    assert not _running(pid)


def test_a_child_past_the_deadline_is_too_slow_and_stopped(monkeypatch):
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 1)
    rows = _rows(child_reads.pid_then_waits, deadline=5.0)
    pid = next(rows)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        next(rows)
    assert time.monotonic() - started < 15
    assert not _running(pid)


def test_when_no_child_can_start_the_rows_are_read_here(monkeypatch):
    def refused(self):
        raise FileNotFoundError("the fork server's socket is gone")

    monkeypatch.setattr(sheet_process.multiprocessing.context.ForkServerProcess, "start", refused)
    here = list(_rows(child_reads.numbers, 5, here=lambda: iter(["read", "here"])))
    assert here == ["read", "here"]
    with pytest.raises(FileNotFoundError):
        list(_rows(child_reads.numbers, 5))


@pytest.fixture
def children(monkeypatch):
    """The (sheet index, width) of each sheet handed to a child process."""
    calls = []
    real = sheet_process.rows_in_child

    def counted(read, args, **kwargs):
        calls.append(args[1:])
        return real(read, args, **kwargs)

    monkeypatch.setattr(sheet_process, "rows_in_child", counted)
    return calls


def _read(source):
    headers, rows = importer.open_rows(source)
    return headers, list(rows)


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
        # a preview reads a few rows: here, without a child
        table = importer.open_table(large)
        assert next(table.rows) == here["large"][1][0]
        table.close()
    assert children == [(0, 51), (0, 51)]
    assert len(here["large"][1]) == 2_999


def test_closing_a_table_read_by_a_child_stops_the_child(app, tmp_path, monkeypatch):
    large = write_xlsx(tmp_path / "large.xlsx", [good_row(n) for n in range(1, 3_000)])
    monkeypatch.setattr(sheet_reader, "CHILD_READ_MIN_BYTES", 0)
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 10)
    started = []
    real = sheet_process.multiprocessing.context.ForkServerProcess.start

    def start(self):
        real(self)
        started.append(self.pid)

    monkeypatch.setattr(sheet_process.multiprocessing.context.ForkServerProcess, "start", start)
    with app.test_request_context():
        table = importer.open_table(large, whole=True)
        assert next(table.rows)[0] == 2
        assert len(started) == 1 and _running(started[0])
        table.close()
    assert not _running(started[0])
