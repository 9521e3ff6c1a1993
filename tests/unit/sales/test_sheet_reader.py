"""Sheets as people make them: a title above the titles, several sheets, merged cells, CSV in
GBK or UTF-8, dates in every form, and a clear message for what cannot be read."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from extensions import db
from models.sales.prospects import Prospect
from services.shared import importer, sheet_reader
from services.shared.workbook_limits import ImportLimits
from tests.factories import make_user, ref_item
from tests.importing import HEADERS, good_row, write_xlsx

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")


@pytest.fixture(params=["in_process", "child_process"], autouse=True)
def reader(request, monkeypatch):
    """Every test twice: the sheet read in this process, and read by a child process as a
    large sheet is (services/shared/sheet_process.py)."""
    if request.param == "child_process":
        monkeypatch.setattr(sheet_reader, "CHILD_READ_MIN_BYTES", 0)
    return request.param


@pytest.fixture
def s(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        ref_item(db.session, "source_channel", "walk_in")  # label 来访 in the standard list
        yield db.session
        db.session.rollback()


def _mapping():
    return importer.guess_mapping(HEADERS)


def _office_sheet(path, rows, *, title="2026年3月来访客户登记表", merge_title=True):
    """A sheet as offices keep it: a report title (merged across), a blank row, the titles
    in row 3, the rows from row 4."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "来访登记"
    sheet.append([title])
    if merge_title:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append([])
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _rows(path, **kwargs):
    headers, body = importer.open_rows(path, **kwargs)
    return headers, list(body)


# --- the title row ----------------------------------------------------------------------------
def test_a_title_and_a_blank_row_above_the_titles_are_skipped(s, tmp_path):
    path = _office_sheet(tmp_path / "office.xlsx", [good_row(1), good_row(2)])
    headers, rows = _rows(path)
    assert headers == HEADERS
    assert [number for number, _values in rows] == [4, 5]  # rows numbered as in Excel
    assert rows[0][1][:2] == ("客户1", "13900000001")
    table = importer.open_table(path)
    assert (table.header_row, table.found, table.sheet) == (3, True, "来访登记")
    assert [c.row for c in table.candidates] == [1, 3, 4, 5]
    assert table.candidates[1].titles[:2] == ("客户姓名", "手机")
    table.close()


def test_row_numbers_in_the_errors_are_the_rows_of_excel(s, tmp_path):
    bad = good_row(2)
    bad[1] = "12345"
    path = _office_sheet(tmp_path / "office.xlsx", [good_row(1), bad, good_row(1)])
    report = importer.check_file(s, path, _mapping())
    by_row = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(by_row) == {5, 6}
    assert "12345" in by_row[5]
    assert "第 4 行" in by_row[6]  # the earlier row with the same mobile, as Excel numbers it


def test_the_user_may_choose_the_title_row(s, tmp_path):
    path = _office_sheet(tmp_path / "office.xlsx", [good_row(1)])
    headers, rows = _rows(path, layout={"header_row": 1})
    assert headers[0] == "2026年3月来访客户登记表"
    assert [number for number, _values in rows] == [3, 4]
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(path, layout={"header_row": 2})  # the blank row
    assert "2" in refused.value.message


def test_of_two_title_rows_the_one_with_the_field_names_wins(s, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["客户", None, "联系方式", None, "其他", None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.append(["姓名", "等级", "手机", "座机", "来源", "备注"])
    sheet.append(["张三", "B", "13900000001", None, "来访", None])
    workbook.save(tmp_path / "two.xlsx")
    headers, rows = _rows(tmp_path / "two.xlsx")
    assert headers == ["姓名", "等级", "手机", "座机", "来源", "备注"]
    assert rows == [(3, ("张三", "B", "13900000001", None, "来访", None))]


def test_titles_are_cleaned_as_typed_in_cells(s, tmp_path):
    path = write_xlsx(
        tmp_path / "titles.xlsx",
        [good_row(1)],
        headers=["客户\n姓名", " 手机* ", "等级：", "来源", "来访日期", "备注"],
    )
    headers, _rows_read = _rows(path)
    assert headers == HEADERS
    assert importer.guess_mapping(headers) == _mapping()


# --- sheets -----------------------------------------------------------------------------------
def _two_sheets(path):
    workbook = Workbook()
    notes = workbook.active
    notes.title = "填表说明"
    notes.append(["请按下表填写，每行一位客户"])
    notes.append(["日期写作 2026-03-01"])
    cards = workbook.create_sheet("客户")
    cards.append(HEADERS)
    cards.append(good_row(1))
    cards.append(good_row(2))
    workbook.save(path)
    return path


def test_the_sheet_with_the_titles_is_found(s, tmp_path):
    path = _two_sheets(tmp_path / "two.xlsx")
    table = importer.open_table(path)
    assert (table.sheet, table.sheets, table.header_row) == ("客户", ["填表说明", "客户"], 1)
    assert [number for number, _values in table.rows] == [2, 3]


def test_the_user_may_choose_another_sheet(s, tmp_path):
    path = _two_sheets(tmp_path / "two.xlsx")
    table = importer.open_table(path, layout={"sheet": "填表说明"})
    assert table.headers == ["请按下表填写，每行一位客户"]
    assert not table.found  # no known title: the first filled row, for the user to change
    assert list(table.rows) == [(2, ("日期写作 2026-03-01",))]
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(path, layout={"sheet": "不存在"})
    assert "不存在" in refused.value.message


def test_the_check_and_the_import_read_the_chosen_sheet(s, tmp_path):
    user = make_user(s, "clerk")
    s.commit()
    path = _two_sheets(tmp_path / "two.xlsx")
    layout = sheet_reader.Layout(sheet="客户", header_row=1)
    report = importer.check_file(s, path, _mapping(), layout=layout)
    assert (report.total, report.valid) == (2, 2)
    outcome = importer.import_file(
        s, user, path, _mapping(), skip_rejected=False, consent=CONSENT, layout=layout.as_dict()
    )
    s.commit()
    assert outcome.inserted == 2
    assert set(s.scalars(select(Prospect.name))) == {"客户1", "客户2"}


# --- merged cells -----------------------------------------------------------------------------
def test_merged_cells_read_as_their_value(s, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for n in (1, 2, 3):
        sheet.append(
            [
                f"客户{n}",
                f"139{n:08d}",
                "B" if n == 1 else None,
                "来访" if n == 1 else None,
                "2026-03-01",
                None,
            ]
        )
    sheet.merge_cells("C2:C4")  # one grade for three cards
    sheet.merge_cells("D2:D4")  # one source for three cards
    sheet.append(["客户4", "13900000004", "A", "来访", "2026/3/2", "看了两套"])
    sheet.merge_cells("F5:G5")  # a note spread over two cells stays in its own column
    workbook.save(tmp_path / "merged.xlsx")
    headers, rows = _rows(tmp_path / "merged.xlsx")
    assert [values[2:4] for _n, values in rows] == [("B", "来访")] * 3 + [("A", "来访")]
    assert rows[3][1][5] == "看了两套"
    report = importer.check_file(s, tmp_path / "merged.xlsx", _mapping())
    assert (report.total, report.valid) == (4, 4)


def test_merged_ranges_are_read_from_the_sheet_xml_bounded(s, tmp_path, monkeypatch):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for n in range(1, 12):
        sheet.append(good_row(n))
        sheet.merge_cells(start_row=n + 1, start_column=5, end_row=n + 1, end_column=6)
    workbook.save(tmp_path / "many.xlsx")
    assert len(_rows(tmp_path / "many.xlsx")[1]) == 11
    monkeypatch.setattr(sheet_reader, "MAX_MERGES", 10)
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(tmp_path / "many.xlsx")
    assert "10" in refused.value.message and "合并" in refused.value.message


# --- CSV --------------------------------------------------------------------------------------
def _csv_text(rows, headers=HEADERS, delimiter=","):
    lines = [delimiter.join(headers)] + [delimiter.join(str(c) for c in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("gbk", ","), ("gb18030", ","), ("utf-8-sig", ","), ("utf-8", ","), ("utf-16", "\t")],
)
def test_a_csv_is_read_in_its_encoding(s, tmp_path, encoding, delimiter):
    text = "客户来访登记\r\n\r\n" + _csv_text([good_row(1), good_row(2)], delimiter=delimiter)
    data = io.BytesIO(text.encode(encoding))
    table = importer.open_table(data, layout={"name": "cards.csv"})
    assert (table.format, table.header_row, table.headers) == ("csv", 3, HEADERS)
    rows = list(table.rows)
    assert [n for n, _v in rows] == [4, 5]
    assert rows[0][1][:2] == ("客户1", "13900000001")
    report = importer.check_file(s, io.BytesIO(text.encode(encoding)), _mapping())
    assert (report.total, report.valid) == (2, 2)


def test_a_csv_stream_is_left_open_to_be_read_again(s):
    data = io.BytesIO(_csv_text([good_row(1)]).encode("gbk"))
    for _pass in range(2):
        _headers, rows = importer.open_rows(data)
        assert len(list(rows)) == 1
    table = importer.open_table(data)
    table.close()  # never read: still frees the file, not the caller's stream
    assert not data.closed


def test_a_csv_keeps_the_bounds(s):
    data = io.BytesIO(_csv_text([good_row(n) for n in range(1, 30)]).encode("utf-8"))
    with pytest.raises(importer.ImportFileError) as refused:
        list(importer.open_rows(data, ImportLimits(max_rows=10))[1])
    assert "10" in refused.value.message
    wide = io.BytesIO(_csv_text([], headers=[f"列{n}" for n in range(60)]).encode("utf-8"))
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(wide)
    assert "50" in refused.value.message
    big = io.BytesIO(_csv_text([good_row(n) for n in range(1, 3000)]).encode("utf-8"))
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(big, ImportLimits(max_uncompressed_bytes=64 * 1024))
    assert "MB" in refused.value.message


def test_reading_a_csv_keeps_memory_flat(s):
    def peak(rows: int) -> int:
        data = io.BytesIO(_csv_text([good_row(n) for n in range(rows)]).encode("gbk"))
        tracemalloc.start()
        try:
            _headers, body = importer.open_rows(data)
            for _row in body:
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(5_000), peak(50_000)
    assert large < small * 2 + 512 * 1024, (small, large)


# --- files that cannot be read ----------------------------------------------------------------
def _ole(*stream_names: str) -> bytes:
    """An OLE compound file's first sector and a directory naming ``stream_names`` (UTF-16),
    as an .xls or a password-protected .xlsx starts."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff"
    header = header.ljust(512, b"\x00")
    directory = b"".join(
        (name.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00") + b"\x00" * 64
        for name in ("Root Entry", *stream_names)
    )
    return header + directory.ljust(4096, b"\x00")


def _corrupt_zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>" * 100)
    return data.getvalue()[:60] + b"\x00" * 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "_empty_file"),
        (_ole("Workbook", "SummaryInformation"), "_old_xls"),
        (_ole("EncryptionInfo", "EncryptedPackage", "DataSpaces"), "_encrypted"),
        (_corrupt_zip(), "_damaged"),
        (b"PK\x03\x04" + b"junk" * 100, "_damaged"),
        (b"not a spreadsheet at all", "_not_a_sheet"),
        (b"\x00\x01\x02binary\xff\xfe" * 50, "_not_a_sheet"),
    ],
)
def test_each_unreadable_file_gets_its_message(s, content, message):
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(io.BytesIO(content))
    assert refused.value.message == getattr(sheet_reader, message)().message
    assert refused.value.message and not refused.value.message.isascii()  # in Chinese


def test_the_messages_say_what_to_do(s):
    assert ".xls" in sheet_reader._old_xls().message and "另存" in sheet_reader._old_xls().message
    assert "密码" in sheet_reader._encrypted().message
    assert "损坏" in sheet_reader._damaged().message


def test_an_empty_sheet_is_refused(s, tmp_path):
    workbook = Workbook()
    workbook.active.title = "空表"
    workbook.save(tmp_path / "empty.xlsx")
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(tmp_path / "empty.xlsx")
    assert refused.value.message == sheet_reader._empty_sheet("空表").message
    assert "空表" in refused.value.message
    with pytest.raises(importer.ImportFileError) as refused:
        importer.open_rows(io.BytesIO(b"\r\n\r\n"), layout={"name": "empty.csv"})
    assert refused.value.message == sheet_reader._empty_sheet(None).message


# --- dates ------------------------------------------------------------------------------------
def test_dates_in_every_form_are_imported(s, tmp_path):
    user = make_user(s, "clerk")
    s.commit()
    forms = [
        "2026-03-01",
        "2026/3/1",
        "2026.3.1",
        "2026年3月1日",
        "20260301",
        20260301,
        datetime(2026, 3, 1, 10, 30),
        46082,  # a serial in a number-formatted cell
    ]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for n, form in enumerate(forms, start=1):
        row = good_row(n)
        row[4] = form
        sheet.append(row)
    serial = sheet.cell(row=len(forms) + 1, column=5)
    serial.number_format = "0"  # typed as a date, shown as the number Excel stores
    typed_as_date = sheet.cell(row=len(forms), column=5)
    typed_as_date.value = datetime(2026, 3, 1)
    typed_as_date.number_format = 'yyyy"年"m"月"d"日"'
    workbook.save(tmp_path / "dates.xlsx")
    report = importer.check_file(s, tmp_path / "dates.xlsx", _mapping())
    assert (report.total, report.valid, report.rejected) == (len(forms), len(forms), [])
    outcome = importer.import_file(
        s, user, tmp_path / "dates.xlsx", _mapping(), skip_rejected=False, consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == len(forms)
    assert set(s.scalars(select(Prospect.first_visit_on))) == {date(2026, 3, 1)}


def test_an_ambiguous_date_is_refused_with_the_row_and_the_value(s, tmp_path):
    rows = [good_row(1), good_row(2), good_row(3)]
    rows[1][4] = "3/4/2026"
    rows[2][4] = "03-04-26"
    report = importer.check_file(s, _office_sheet(tmp_path / "a.xlsx", rows), _mapping())
    by_row = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(by_row) == {5, 6}  # rows 5 and 6 of the sheet
    assert "3/4/2026" in by_row[5] and "2026-03-04" in by_row[5] and "2026-04-03" in by_row[5]
    assert "03-04-26" in by_row[6] and "2003-04-26" in by_row[6]
    assert "有歧义" in by_row[5]


def test_reading_merged_cells_adds_nothing_that_grows(s, tmp_path, monkeypatch):
    # The raw row scan before reading has its own bound (test_workbook_bombs.py); this
    # measures the reading itself against openpyxl's own read-only pass over the same sheet.
    monkeypatch.setattr(sheet_reader, "inspect_rows", lambda path, limits: None)
    rows = 20_000
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for n in range(rows):
        # no text of its own per row: openpyxl holds a workbook's shared strings whole
        sheet.append(["客户", 13900000000 + n, "B", "来访" if n == 0 else None, 46082, None])
    sheet.merge_cells(start_row=2, start_column=4, end_row=rows + 1, end_column=4)
    path = tmp_path / "merged.xlsx"
    workbook.save(path)

    def peak(read) -> int:
        tracemalloc.start()
        try:
            read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def plain():
        book = load_workbook(path, read_only=True, data_only=True)
        for _values in book.worksheets[0].iter_rows(values_only=True, max_col=51):
            pass
        book.close()

    def ours():
        _headers, body = importer.open_rows(path)
        assert sum(1 for _n, values in body if values[3] == "来访") == rows

    assert peak(ours) < peak(plain) + 512 * 1024


def test_a_sheet_broken_past_its_first_rows_gets_a_message(s, tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", [good_row(n) for n in range(1, 200)])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2] + b'<row r="x"><c><<<'
            target.writestr(item, data)
    with pytest.raises(importer.ImportFileError) as refused:
        _headers, rows = importer.open_rows(broken)
        list(rows)
    assert refused.value.message == sheet_reader._damaged().message
