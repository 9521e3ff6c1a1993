"""The faster reading of an .xlsx's rows (issue 22: one match a row, whole rows of inline or
shared strings read column-wise, dates converted once) gives what openpyxl gives: the same
titles, row numbers and values through ``open_table``, for workbooks as openpyxl writes them
and as Excel writes them (shared strings, numbers without t, rows with spans)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from services.shared import sheet_reader, sheet_rows
from services.shared.sheet_reader import title_key
from services.shared.workbook_limits import ImportLimits

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TITLES = ["名字", "手机", "等级", "来访日期", "预算", "备注"]
KNOWN = frozenset(title_key(t) for t in TITLES)


def save(workbook: Workbook) -> bytes:
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()


def office_workbook(epoch=None) -> bytes:
    """Several sheets; the one with titles second, under a merged report title and a blank
    row; dates in every form; numbers; blank rows; merged cells in the body; a row that does
    not start in column A; a row wider than the titles."""
    workbook = Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    first = workbook.active
    first.title = "说明"
    first.append(["本表为来访登记"])
    sheet = workbook.create_sheet("来访登记")
    sheet.append(["2026年3月来访客户登记表"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(TITLES)
    rows = [
        ["王伟", "13900000000", "A", date(2026, 3, 1), 150, "a & b < c"],
        ["李娜", 13900000001, "B", datetime(2026, 3, 1, 9, 30), 12.5, "  spaced  "],
        [None, None, None, None, None, None],
        ["张三", "13900000002", "C", 46082, -3, "中文\t制表"],  # a serial in a date style
        ["赵六", "13900000003", None, "2026-03-01", 0.1, "x\ny"],
        ["钱七", "13900000004", "A", time(9, 30), 10**12, True],
        ["孙八", "13900000005", "B", timedelta(hours=30, minutes=5), 1e-7, False],
    ]
    for row in rows:
        sheet.append(row)
    for number in (4, 7, 8, 9):
        sheet.cell(number, 4).number_format = "yyyy-mm-dd"
    sheet.cell(9, 4).number_format = "h:mm"
    sheet.cell(10, 4).number_format = "[h]:mm:ss"
    sheet.cell(11, 4, 46082.75).number_format = "yyyy-mm-dd hh:mm"
    sheet.cell(11, 5, 46082).number_format = "0.00"  # a serial in a number style: a number
    sheet.merge_cells("C4:C5")  # one grade for two cards
    sheet.merge_cells("F12:G13")
    sheet.cell(12, 6, "合并")
    sheet.cell(14, 2, "13900000009")  # starts in column B
    sheet.cell(14, 3, "C")
    for column in range(1, 12):  # wider than the titles
        sheet.cell(15, column, f"w{column}")
    sheet.append([])
    sheet.append([])
    sheet.append(["最后", "13900000010"])
    return save(workbook)


def plain_workbook(rows: int = 40) -> bytes:
    """openpyxl's write-only way (the bench's card workbook): inline strings, columns from A."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(TITLES)
    for n in range(rows):
        sheet.append([f"客户{n}", f"139{n:08d}", "B", f"2026-03-{n % 28 + 1:02d}", "150万", "备注"])
    return save(workbook)


_INLINE = re.compile(
    rb'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is>(<t[^>]*>)(.*?)</t></is></c>'
)


def as_excel_writes(data: bytes) -> bytes:
    """The workbook as Excel saves it: strings in the shared strings table (t="s"), numbers
    without t="n", rows with spans."""
    source = zipfile.ZipFile(io.BytesIO(data))
    table: dict[bytes, int] = {}

    def shared(match) -> bytes:
        text = match.group(3) + match.group(4)
        index = table.setdefault(text, len(table))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2), index)

    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                content = _INLINE.sub(shared, content).replace(b' t="n"', b"")
                content = re.sub(rb'<row r="([0-9]+)"', rb'<row r="\1" spans="1:11"', content)
            elif item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            out.writestr(item, content)
        strings = b"".join(b"<si>" + text + b"</t></si>" for text in table)
        out.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">'.encode() + strings + b"</sst>")
    assert table, "the workbook held no inline strings to share"
    return target.getvalue()


def table_of(data: bytes, **layout) -> tuple:
    table = sheet_reader.open_table(io.BytesIO(data), ImportLimits(), KNOWN, layout or None)
    try:
        return table.sheet, table.header_row, table.headers, list(table.rows)
    finally:
        table.close()


def openpyxl_table_of(data: bytes, monkeypatch, **layout) -> tuple:
    """The table as read by openpyxl's own iter_rows (the reference)."""
    with monkeypatch.context() as patch:
        patch.setattr(
            sheet_reader,
            "_sheet_values",
            lambda sheet, max_col: sheet.iter_rows(values_only=True, max_col=max_col),
        )
        return table_of(data, **layout)


@pytest.mark.parametrize("excel", [False, True], ids=["openpyxl", "excel"])
@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_office_workbooks_read_as_openpyxl_reads_them(app, monkeypatch, excel, epoch):
    data = office_workbook(epoch)
    if excel:
        data = as_excel_writes(data)
    with app.test_request_context():
        ours = table_of(data)
        assert ours == openpyxl_table_of(data, monkeypatch)
        for layout in ({"sheet": "说明"}, {"sheet": "来访登记", "header_row": 4}):
            assert table_of(data, **layout) == openpyxl_table_of(data, monkeypatch, **layout)
    sheet, header_row, headers, rows = ours
    assert (sheet, header_row, headers) == ("来访登记", 3, TITLES + [""] * 5)  # row 15 is wider
    numbers = [number for number, _values in rows]
    assert numbers == [4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18]  # blank rows skipped
    by_number = dict(rows)
    assert by_number[4][2] == by_number[5][2] == "A"  # merged down
    assert by_number[4][3] == datetime(2026, 3, 1)
    assert by_number[10][3] == timedelta(hours=30, minutes=5)
    if epoch is None:  # serials in a date style, and one in a number style
        assert by_number[7][3] == datetime(2026, 3, 1)
        assert by_number[11][3:5] == (datetime(2026, 3, 1, 18), 46082)
    assert isinstance(by_number[4][4], int) and isinstance(by_number[5][4], float)
    assert by_number[12][5] == by_number[13][5] == "合并"


@pytest.mark.parametrize("excel", [False, True], ids=["openpyxl", "excel"])
def test_plain_rows_take_the_column_wise_way(app, monkeypatch, excel):
    """Rows of strings only, from column A, are read without the cell-by-cell way, the any
    attributes way or ElementTree (the speed of issue 22 holds)."""
    data = plain_workbook()
    if excel:
        data = as_excel_writes(data)
    with app.test_request_context():
        expected = openpyxl_table_of(data, monkeypatch)

        def refused(*_args, **_kwargs):
            raise AssertionError("a plain row left the column-wise way")

        for way in ("_cells", "_any", "_slow"):
            monkeypatch.setattr(sheet_rows._State, way, refused)
        assert table_of(data) == expected
    assert len(expected[3]) == 40


def test_dates_beyond_the_kept_ones_read_the_same(app, monkeypatch):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(TITLES)
    for n in range(60):
        sheet.append([f"客户{n}", None, None, 40000 + n % 25, 40000 + n])
        sheet.cell(n + 2, 4).number_format = "yyyy-mm-dd"
        sheet.cell(n + 2, 5).number_format = "[h]:mm"  # the same serials as durations
    data = as_excel_writes(save(workbook))
    monkeypatch.setattr(sheet_rows, "_DATES_KEPT", 7)
    with app.test_request_context():
        ours = table_of(data)
        assert ours == openpyxl_table_of(data, monkeypatch)
    assert ours[3][0][1][3:5] == (datetime(2009, 7, 6), timedelta(days=40000))


@pytest.mark.parametrize(
    "rows_xml",
    [
        # an inline-string cell without <is>, a shared string without <v>: no value
        '<row r="2"><c r="A2" t="inlineStr"/><c r="B2" t="inlineStr"><is><t>b</t></is></c></row>'
        '<row r="3"><c r="A3" t="s"/><c r="B3" t="s"><v>0</v></c></row>',
        # a row number not first, another attribute ending in r, references without r
        '<row spans="1:2" r="2"><c r="A2" t="s"><v>0</v></c></row>'
        '<row r="3" customFormat="1" ar="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>',
        # white space XML refuses between cells (\v) and a stray character
        '<row r="2"><c r="A2" t="s"><v>0</v></c>\x0b<c r="B2" t="s"><v>1</v></c></row>',
        '<row r="2"><c r="A2" t="s"><v>0</v></c>x</row>',
        # "]]>" in a later row than the one read first
        '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>a]]>b</t></is></c></row>',
    ],
)
def test_unusual_rows_read_or_refused_as_openpyxl_does(rows_xml):
    from tests.unit.shared.test_sheet_rows import assert_same, both_refuse, sheet, with_sheet_xml

    data = with_sheet_xml(sheet(rows_xml))
    try:
        assert_same(data)
    except sheet_reader._DAMAGED:
        both_refuse(data)
