"""Zip bombs and oversized sheets are refused before or while reading, cheaply and clearly."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from services.shared import importer, sheet_reader
from services.shared.workbook_limits import ImportLimits
from tests.importing import HEADERS, good_row, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"
_HEAD = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:XFD1048576"/><sheetData>'
)
_TAIL = "</sheetData></worksheet>"


def _header_row(columns: int = len(HEADERS)) -> str:
    titles = HEADERS + [f"列{n}" for n in range(len(HEADERS), columns)]
    cells = "".join(
        f'<c r="{_column(i)}1" t="inlineStr"><is><t>{title}</t></is></c>'
        for i, title in enumerate(titles[:columns])
    )
    return f'<row r="1">{cells}</row>'


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _with_sheet(tmp_path: Path, name: str, chunks) -> Path:
    """A real workbook whose first sheet's XML is replaced by ``chunks`` (streamed)."""
    template = write_xlsx(tmp_path / "template.xlsx", [good_row(1)])
    target = tmp_path / name
    with (
        zipfile.ZipFile(template) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out,
    ):
        for item in source.infolist():
            if item.filename == SHEET:
                with out.open(SHEET, "w", force_zip64=True) as stream:
                    for chunk in chunks:
                        stream.write(chunk.encode())
            else:
                out.writestr(item, source.read(item.filename))
    return target


def _read_all(path: Path, limits: ImportLimits | None) -> str:
    with pytest.raises(importer.ImportFileError) as refused:
        _headers, rows = importer.open_rows(path, limits)
        for _row in rows:
            pass
    return refused.value.message


def _refused_cheaply(path: Path, limits: ImportLimits | None = None) -> tuple[str, float]:
    """Open and read the file as the check does: refused, with its time and its memory (a
    second read under tracemalloc, which slows Python down) bounded."""
    started = time.monotonic()
    message = _read_all(path, limits)
    elapsed = time.monotonic() - started
    tracemalloc.start()
    try:
        _read_all(path, limits)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    return message, elapsed


def test_a_sheet_that_expands_a_thousandfold_is_refused_unopened(app, tmp_path):
    # ~100 MB of XML in a file of ~100 KB: refused by its compression ratio, nothing read.
    padding = "<!--" + "x" * (1024 * 1024) + "-->"
    bomb = _with_sheet(tmp_path, "bomb.xlsx", [_HEAD, _header_row(), *([padding] * 100), _TAIL])
    assert bomb.stat().st_size < 1024 * 1024
    with app.test_request_context():
        message, elapsed = _refused_cheaply(bomb)
    assert "没有打开" in message or "not opened" in message
    assert elapsed < 20  # generous: the unbounded read took over 20 minutes


def test_the_total_uncompressed_size_is_bounded(app, tmp_path):
    rows = [good_row(n) for n in range(2000)]
    path = write_xlsx(tmp_path / "plain.xlsx", rows)
    with app.test_request_context():
        _refused_cheaply(path, ImportLimits(max_uncompressed_bytes=50_000))
        # the same file passes the default bounds
        _headers, body = importer.open_rows(path)
        assert sum(1 for _ in body) == 2000


def test_too_many_members_is_refused(app, tmp_path):
    path = write_xlsx(tmp_path / "plain.xlsx", [good_row(1)])
    with app.test_request_context():
        _refused_cheaply(path, ImportLimits(max_members=3))


def _empty_rows(count: int):
    yield _HEAD + _header_row()
    for start in range(2, count + 2, 10_000):
        yield "".join(f'<row r="{n}"/>' for n in range(start, start + 10_000))
    yield _TAIL


@pytest.fixture(scope="module")
def rows_bomb(tmp_path_factory):
    # A million empty rows in a ~2 MB file (one of the report held 11.5 million).
    folder = tmp_path_factory.mktemp("bomb")
    return _with_sheet(folder, "rows.xlsx", _empty_rows(1_000_000))


def test_a_million_empty_rows_are_refused_before_reading(app, rows_bomb):
    with app.test_request_context():
        message, elapsed = _refused_cheaply(rows_bomb)
    assert "200,000" in message
    assert elapsed < 20  # generous: the unbounded read took over 20 minutes


def test_while_reading_rows_stop_at_the_cap(app, rows_bomb, monkeypatch):
    # Should the raw scan miss a sheet's rows, the reader still stops at the cap.
    monkeypatch.setattr(sheet_reader, "inspect_rows", lambda path, limits: None)
    with app.test_request_context():
        message, elapsed = _refused_cheaply(rows_bomb, ImportLimits(max_rows=20_000))
    assert "20,000" in message
    assert elapsed < 30  # generous: a bound, not a benchmark


def test_one_row_far_down_is_refused_not_padded_to(app, tmp_path, monkeypatch):
    bomb = _with_sheet(
        tmp_path,
        "far.xlsx",
        [
            _HEAD,
            _header_row(),
            '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            _TAIL,
        ],
    )
    with app.test_request_context():
        message, elapsed = _refused_cheaply(bomb)
        assert "200,000" in message and elapsed < 20
        monkeypatch.setattr(sheet_reader, "inspect_rows", lambda path, limits: None)
        message, elapsed = _refused_cheaply(bomb, ImportLimits(max_rows=50_000))
    assert "50,000" in message
    assert elapsed < 30  # generous: a bound, not a benchmark


def test_a_sheet_wider_than_the_column_cap_is_refused(app, tmp_path):
    wide = _with_sheet(tmp_path, "wide.xlsx", [_HEAD, _header_row(80), _TAIL])
    with app.test_request_context():
        message, _elapsed = _refused_cheaply(wide)
    assert "50" in message
    # A declared dimension of A1:XFD1048576 does not pad rows to 16,384 cells.
    narrow = _with_sheet(
        tmp_path,
        "narrow.xlsx",
        [
            _HEAD,
            _header_row(),
            '<row r="2"><c r="A2" t="inlineStr"><is><t>甲</t></is></c></row>',
            _TAIL,
        ],
    )
    with app.test_request_context():
        headers, body = importer.open_rows(narrow)
        rows = list(body)
    assert len(headers) <= 50 and len(rows[0][1]) <= 50


def test_the_messages_are_in_chinese(app, tmp_path):
    bomb = _with_sheet(tmp_path, "rows.xlsx", [_HEAD, _header_row(), '<row r="30"/>', _TAIL])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        message, _elapsed = _refused_cheaply(bomb, ImportLimits(max_rows=10))
    assert "行" in message and "拆分" in message


def test_limits_come_from_the_configuration(app):
    with app.app_context():
        app.config["IMPORT_MAX_ROWS"] = 1234
        try:
            assert ImportLimits.current().max_rows == 1234
        finally:
            app.config.pop("IMPORT_MAX_ROWS")
        assert ImportLimits.current() == ImportLimits()
