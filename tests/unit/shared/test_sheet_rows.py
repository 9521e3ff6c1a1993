"""An .xlsx sheet's rows read by services/shared/sheet_rows.py (plain rows matched as bytes,
the rest by ElementTree) are the rows openpyxl reads (issue 22)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from services.shared import sheet_reader

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WIDTH = 8


def openpyxl_rows(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True, max_col=WIDTH))
    finally:
        workbook.close()


def our_rows(data: bytes) -> list[tuple]:
    workbook = sheet_reader._load_workbook(io.BytesIO(data))
    try:
        return list(sheet_reader._sheet_values(workbook.worksheets[0], WIDTH))
    finally:
        workbook.close()


def assert_same(data: bytes) -> list[tuple]:
    expected = openpyxl_rows(data)
    assert our_rows(data) == expected
    return expected


def both_refuse(data: bytes) -> None:
    with pytest.raises(sheet_reader._DAMAGED):
        openpyxl_rows(data)
    with pytest.raises(sheet_reader._DAMAGED):
        our_rows(data)


def workbook_bytes(rows, write_only: bool = False) -> bytes:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in rows:
        sheet.append(row)
    target = io.BytesIO()
    workbook.save(target)
    return target.getvalue()


def with_sheet_xml(sheet_xml: str | bytes) -> bytes:
    """A workbook (made by openpyxl, with a date style as s="1") whose first sheet's XML is
    ``sheet_xml``; shared strings "alpha", "β&gamma".'"""
    base = workbook_bytes([["alpha", "β&gamma", date(2026, 3, 1)]])
    source = zipfile.ZipFile(io.BytesIO(base))
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SHARED_TYPE + b"</Types>")
            out.writestr(item, data)
        out.writestr("xl/sharedStrings.xml", SHARED_STRINGS)
    return target.getvalue()


SHARED_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SHARED_STRINGS = (
    f'<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>alpha</t></si>'
    "<si><t>β&amp;gamma</t></si></sst>"
).encode()


def sheet(rows_xml: str, root: str = f'<worksheet xmlns="{MAIN}">', head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{root}{head}'
        f"<sheetData>{rows_xml}</sheetData></worksheet>"
    )


def test_openpyxl_workbooks_read_the_same():
    rows = [
        ["名字", "手机", "日期", "数", "是", None, "备注"],
        ["王伟", "13900000000", date(2026, 3, 1), 12.5, True, None, "a & b < c"],
        ["客户1", 13900000001, datetime(2026, 3, 1, 9, 30), -3, False, "x", "line\nbreak"],
        [None, None, None, None, None, None, None],
        ["  spaced  ", "", "=1+1", 10**12, 0.1, "ß", "中文\t制表"],
    ]
    assert len(assert_same(workbook_bytes(rows))) == 5
    assert len(assert_same(workbook_bytes(rows, write_only=True))) == 5


def test_plain_and_unusual_rows_read_the_same():
    prefixed = (
        f'<worksheet xmlns="{MAIN}" xmlns:x14ac="http://schemas.microsoft.com/office/'
        'spreadsheetml/2009/9/ac">'
    )
    cases = [
        # Excel's way: r s t, shared strings, a date by its style, booleans, errors
        '<row r="1" spans="1:5"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46082</v></c>'
        '<c r="C1" t="b"><v>1</v></c><c r="D1" t="e"><v>#N/A</v></c>'
        '<c r="E1" t="str"><v>text</v></c></row>',
        # attributes in another order and quoted singly, an empty styled cell, a gap
        "<row r='2'><c t='inlineStr' r='B2'><is><t>二</t></is></c><c r='C2' s='1'/>"
        "<c r='F2'><v>7</v></c></row>",
        # no r on rows and cells: they follow the ones before
        '<row><c t="inlineStr"><is><t>a</t></is></c><c><v>1.5</v></c></row><row><c><v>2</v></c></row>',
        # references, a carriage return, CDATA, a comment, rich text, a formula, xml:space
        '<row r="7"><c r="A7" t="inlineStr"><is><t>A&amp;B &#x4E2D;</t></is></c>'
        '<c r="B7" t="inlineStr"><is><t>x\r\ny</t></is></c>'
        '<c r="C7" t="inlineStr"><is><t><![CDATA[<raw>]]></t></is></c><!-- note -->'
        '<c r="D7" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r></is></c>'
        '<c r="E7"><f>1+1</f><v>2</v></c>'
        '<c r="F7" t="inlineStr"><is><t xml:space="preserve"> sp </t></is></c></row>',
        # pretty-printed, a self-closing row, a shared string with a reference
        '\n  <row r="9">\n    <c r="A9" t="s"><v>1</v></c>\n    <c r="B9"><v>3</v></c>\n  </row>\n'
        '  <row r="10"/>\n  <row r="11"><c r="A11" t="d"><v>2026-03-01T00:00:00</v></c></row>\n',
    ]
    for rows_xml in cases:
        assert_same(with_sheet_xml(sheet(rows_xml)))
    rows = assert_same(with_sheet_xml(sheet("".join(cases))))
    assert rows[0][:5] == ("alpha", datetime(2026, 3, 1), True, "#N/A", "text")
    assert rows[6][:4] == ("A&B 中", "x\ny", "<raw>", "rich")
    # a declared prefix on a row's attribute; the whole sheet under a prefix; no rows at all
    assert_same(
        with_sheet_xml(
            sheet('<row r="1" x14ac:dyDescent="0.25"><c r="A1"><v>1</v></c></row>', prefixed)
        )
    )
    assert_same(
        with_sheet_xml(
            f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>5</x:v>'
            "</x:c></x:row></x:sheetData></x:worksheet>"
        )
    )
    assert_same(with_sheet_xml(sheet("")))
    assert assert_same(with_sheet_xml(f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>')) == []


@pytest.mark.parametrize(
    "rows_xml",
    [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a]]>b</t></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a\x01b</t></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',
        '<row r="1" y:z="1"><c r="A1"><v>1</v></c></row>',  # an undeclared prefix
        '<row r="1"><c r="A1"><v>1</v></c>',  # not closed
        '<row r="1"><c r="A1"><v>abc</v></c></row>',  # a number that is none
    ],
)
def test_damaged_rows_are_refused_by_both(rows_xml):
    both_refuse(with_sheet_xml(sheet(rows_xml)))


def test_text_that_is_not_utf8_is_refused_by_both():
    data = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>@</t></is></c></row>').encode()
    both_refuse(with_sheet_xml(data.replace(b"@", b"\xff\xfe")))


CELL_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"],
    ),
    max_size=12,
)
CELLS = st.one_of(
    st.none(),
    CELL_TEXT,
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(date(1990, 1, 1), date(2090, 12, 31)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELLS, max_size=WIDTH + 2), max_size=6), st.booleans())
def test_any_cells_read_the_same(rows, write_only):
    rows = [[v for v in row if not (isinstance(v, str) and v.startswith("="))] for row in rows]
    assert_same(workbook_bytes(rows, write_only=write_only))
