"""The rows of an .xlsx sheet read from its XML by regular expressions, as openpyxl reads them.

openpyxl parses a sheet with ElementTree: an element object for every cell and every <v>, <is>
and <t>, then a dict for every cell. At 100,000 cards of 19 columns that was 10 s a pass, and
the check and the import each read the file: the reading alone held the import under 5,000
rows/s (docs/import.md, "Speed at 100,000 cards").

Here the sheet's rows are cut at ``</row>`` and a row written the plain way (what Excel, WPS,
LibreOffice and openpyxl write: ``<c r="A2" s="1" t="s"><v>3</v></c>``, inline strings as
``<is><t>text</t></is>``, empty styled cells as ``<c r="B2" s="1"/>``) has its cells taken by
one ``findall``, in C, whose pattern also takes any other character (so a row of anything else
is told without a second match). A row of strings only, in columns A, B, C, ... (openpyxl's
write-only mode, most exports, Excel's text columns) is read column-wise: its inline strings
decoded at once, its shared strings looked up by one comprehension. Any other row's cells go
through the same conversions as in openpyxl's ``WorkSheetParser.parse_cell`` (numbers, shared
strings, booleans, dates by their cell format, ISO dates, errors as their text), a date
column's repeated serials converted once: a third less time again at 100,000 cards (issue 22).

Anything else is parsed by ElementTree and openpyxl's own ``parse_row``, one piece of the sheet
at a time (the rows up to the next ``</row>``): a row with an entity or character reference
(``&amp;``), a carriage return (XML folds it), a comment, CDATA, a formula, rich text, a
namespace prefix, a control character, text that is not UTF-8. So a row reads the same by either
path, and a damaged row raises what ElementTree raises (``services/shared/sheet_reader.py``
turns it into "the file is damaged"). The whole sheet goes to openpyxl when its head is not the
plain kind: another encoding than UTF-8, a DOCTYPE, the main namespace under a prefix.

Only bytes are matched, no native code is added: the zip is inflated by ``zlib`` and
the patterns run in ``re``, both of the standard library, as openpyxl's own reading does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import product
from warnings import warn
from xml.etree.ElementTree import XMLPullParser

from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet._reader import ROW_TAG, _cast_number
from openpyxl.xml.functions import fromstring

_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: Bytes inflated a read (the rows of a chunk are handled before the next is read).
_CHUNK = 64 * 1024
#: The longest piece of a sheet matched as bytes before ElementTree reads the rest.
_PIECE_MAX = 1024 * 1024
#: Dates kept converted (a few hundred KB at most).
_DATES_KEPT = 4096
#: Cell styles whose kind (a date's or not) is kept: a sheet has a few dozen, a hostile
#: one may name millions.
_STYLES_KEPT = 4096
#: How far into the sheet <sheetData> is looked for (column widths, views, ... come first).
_HEAD_MAX = 4 * 1024 * 1024

# Text that needs no normalising: no markup, no reference, no carriage return (XML folds it),
# no character XML forbids.
_TEXT = rb"[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f]*"
# An attribute value likewise, and without white space (XML folds it too).
_VALUE = rb"""(?:"[^"'<>&\s\x00-\x1f]*"|'[^"'<>&\s\x00-\x1f]*')"""
# White space as XML has it (re's \s also takes \v and \f, which XML refuses).
_SPACE = rb"[ \t\r\n]"


def _cell_end(inline_mark: bytes) -> bytes:
    """The value part of a cell: empty, a <v>, or an inline string of one <t> (xml:space
    allowed); ``inline_mark`` is <is> with the group that tells an inline string."""
    return (
        rb"(?:/>|>(?:<v>("
        + _TEXT
        + rb")</v>|"
        + inline_mark
        + rb"<t(?:"
        + _SPACE
        + rb"+xml:space"
        + _SPACE
        + rb"*="
        + _SPACE
        + rb"""*(?:"preserve"|'preserve'|"default"|'default'))?"""
        + _SPACE
        + rb"*>("
        + _TEXT
        + rb")</t></is>)?</c>)"
    )


_CELL_END = _cell_end(rb"(<is>)")
# A cell as Excel, WPS, LibreOffice and openpyxl write it (r, s, t in this order), with the
# white space before it; else one character of anything else (its group set: the row is not
# of plain cells). So ``findall`` over a row's content takes every cell in one pass and tells
# a row that is not plain without a second match of the row. Groups: column letters, style,
# "i" of t="inlineStr", any other t, the <v> text, "<" of <is>, the <t> text, the other
# character. Markers are one byte and most groups empty: CPython shares those bytes objects,
# so a cell costs few allocations.
_TILED_CELL = (
    _SPACE
    + rb'*(?:<c(?: r="([A-Z]{1,3})[0-9]{1,7}")?(?: s="([0-9]{1,9})")?'
    + rb'(?: t="(?:(i)nlineStr|([A-Za-z]{1,9}))")?'
    + _cell_end(rb"(<)is>")
    + rb"|([^ \t\r\n]))"
)
# The attributes the values depend on (c: r, s, t; row: r), of a cell written another way.
_NAMED = re.compile(rb"""\s([A-Za-z_][\w.:-]*)\s*=\s*["']([^"']*)["']""")
_ROW_END = b"</row>"
#: Column letters of columns 1, 2, 3, ... (A to ZZ), as the cells' references give them.
_LETTERS = tuple(
    bytes(letters) for size in (1, 2) for letters in product(range(65, 91), repeat=size)
)
_XML_DECL = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_ROOT = re.compile(rb"<worksheet\b([^>]*)>")
_SHEET_DATA = re.compile(rb"<sheetData\s*(/?)>")
_NS_DECL = re.compile(rb"""\sxmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*(["'])(.*?)\2""")


class NotPlain(Exception):
    """The sheet's head is not the plain kind: openpyxl reads it."""


def sheet_rows(
    source, shared_strings, *, width, epoch, date_formats, timedelta_formats, parser
) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of every row of the sheet's XML ``source`` (a binary stream), as
    openpyxl's ``WorkSheetParser.parse`` (data only) reads them, the values of columns 1 to
    ``width`` as ``ReadOnlyWorksheet._get_row(cells, 1, width, values_only=True)`` gives
    them. ``parser`` (a ``WorkSheetParser``) reads the rows that go to ElementTree, its row
    counter kept in step with the plain rows.

    ``NotPlain`` is raised before any row when the sheet must be read by openpyxl whole."""
    head, rest_at, wrapper, prefixes = _head(source)
    state = _State(shared_strings, epoch, date_formats, timedelta_formats, parser, wrapper)
    state.width = width
    yield from state.rows(source, head, rest_at, _patterns(tuple(prefixes)))


@lru_cache(maxsize=64)
def _patterns(prefixes: tuple[bytes, ...]) -> tuple:
    """The row patterns of a sheet whose root declares ``prefixes``: a row's start tag (or a
    row without cells), the fast cells of a row's content (each cell, or one character of
    anything else), and a plain row of cells of any attributes (an attribute's prefix must
    be declared, as ElementTree wants, and a row or cell declares no namespace of its own)."""
    known = b"|".join(re.escape(p) for p in (b"xml", *prefixes))
    name = rb"(?!xmlns)(?:(?:" + known + rb"):)?[A-Za-z_][\w.-]*"
    attrs = rb"(?:" + _SPACE + b"+" + name + _SPACE + b"*=" + _SPACE + b"*" + _VALUE
    attrs += rb")*" + _SPACE + b"*"
    cell = rb"<c(" + attrs + rb")" + _CELL_END
    row = _SPACE + rb"*<row(" + attrs + rb")>((?:" + _SPACE + rb"*%s)*" + _SPACE + rb"*)</row>"
    return (
        re.compile(_SPACE + rb"*<row(" + attrs + rb")(/?)>").match,
        re.compile(_TILED_CELL).findall,
        re.compile(row % cell).fullmatch,
        re.compile(cell).findall,
    )


def _head(source) -> tuple[bytes, int, bytes, list[bytes]]:
    """The bytes read so far, where the rows begin in them, the start tag that wraps a piece
    of the sheet for ElementTree (the root's namespace declarations) and the declared
    prefixes."""
    head = b""
    while True:
        at = _SHEET_DATA.search(head)
        if at is not None:
            break
        if len(head) > _HEAD_MAX:
            raise NotPlain
        chunk = source.read(_CHUNK)
        if not chunk:
            raise NotPlain
        head += chunk
    before = head[: at.start()]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"<!" in before.replace(b"<!--", b""):
        raise NotPlain  # UTF-16, or a DOCTYPE
    declaration = _XML_DECL.match(head.removeprefix(b"\xef\xbb\xbf"))
    if declaration is not None and declaration.group(1).lower() not in (b"utf-8", b"utf8"):
        raise NotPlain
    root = _ROOT.search(before)
    if root is None:
        raise NotPlain  # the main namespace under a prefix (<x:worksheet ...>)
    namespaces = {prefix: uri for prefix, _quote, uri in _NS_DECL.findall(root.group(1))}
    if namespaces.get(b"") != _MAIN_NS or any(
        mark in uri for uri in namespaces.values() for mark in (b'"', b"&", b"<")
    ):
        raise NotPlain  # another default namespace, or a name to unescape
    declarations = b"".join(
        b" xmlns" + (b":" + prefix if prefix else b"") + b'="' + uri + b'"'
        for prefix, uri in namespaces.items()
    )
    prefixes = [prefix for prefix in namespaces if prefix]
    if at.group(1):  # <sheetData/>: no rows
        return b"", 0, b"", prefixes
    return head, at.end(), b"<sheetData" + declarations + b">", prefixes


class _State:
    __slots__ = (
        "strings",
        "epoch",
        "date_formats",
        "timedelta_formats",
        "parser",
        "wrapper",
        "counter",
        "columns",
        "width",
        "dates",
        "dated",
    )

    def __init__(self, strings, epoch, date_formats, timedelta_formats, parser, wrapper):
        self.strings = strings
        self.epoch = epoch
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self.parser = parser
        self.wrapper = wrapper
        self.counter = 0
        #: b"AB" -> 28, of the cells' references.
        self.columns: dict[bytes, int] = {}
        #: Columns of a row's values (cells further right are read, not kept).
        self.width = 0
        #: (<v> text, a duration) -> its date, of the cells of a date format.
        self.dates: dict[tuple[bytes, bool], object] = {}
        #: A cell's s (b"" without) -> its number format is a date's, as cells show them.
        self.dated: dict[bytes, bool] = {}

    def rows(self, source, head: bytes, at: int, patterns):
        if not self.wrapper:
            return
        row_start, tiled_cells, any_row, any_cells = patterns
        buffer = head
        read = source.read
        # where the next "]]>" (a text XML refuses) is: looked for once a buffer, not a row
        refused = buffer.find(b"]]>", at)
        while True:
            start = row_start(buffer, at)
            if start is not None and start.group(2):  # <row r="7"/>: a row without cells
                at = start.end()
                yield self._fast(start.group(1), ())
                continue
            end = buffer.find(_ROW_END, at)
            if end == -1 and len(buffer) - at <= _PIECE_MAX:
                chunk = read(_CHUNK)
                if chunk:
                    buffer = buffer[at:] + chunk
                    at = 0
                    refused = buffer.find(b"]]>")
                    continue
            if end == -1 or end - at > _PIECE_MAX:
                # The rows' end (or something that is no plain row, megabytes long): the
                # rest of the sheet by ElementTree, as it streams in.
                yield from self._stream(buffer[at:], read)
                return
            row = None
            if -1 < refused < at:
                refused = buffer.find(b"]]>", at)
            if refused == -1 or refused > end:
                try:
                    if start is not None:
                        row = self._fast(start.group(1), tiled_cells(buffer, start.end(), end))
                    if row is None:
                        match = any_row(buffer[at : end + len(_ROW_END)])
                        if match is not None:
                            row = self._any(match.group(1), any_cells(match.group(2)))
                except UnicodeDecodeError:
                    row = None
            piece_at = at
            at = end + len(_ROW_END)
            if row is None:
                yield from self._slow(buffer[piece_at:at])
            else:
                yield row

    def _number(self, row_attrs: bytes) -> int:
        # Excel's <row r="2" spans="1:19" ...>: r first, no other attribute holding "r="
        if row_attrs.startswith(b' r="'):
            end = row_attrs.find(b'"', 4)
            digits = row_attrs[4:end]
            if digits.isdigit() and b"r=" not in row_attrs[end:]:
                return int(digits)
        number = None
        for name, value in _NAMED.findall(row_attrs):
            if name == b"r":
                number = _row_number(value)
        # as openpyxl's parse_row: a row without r follows the one before
        return self.counter + 1 if number is None else number

    def _fast(self, row_attrs: bytes, found: list) -> tuple[int, tuple] | None:
        """The row of the cells ``_TILED_CELL`` found, None when something else is among
        them. Rows whose cells are all inline strings, or all shared strings, in columns
        1, 2, 3, ... (what openpyxl's write-only mode and most exports write) are read
        column-wise in C; any other row cell by cell, as parse_cell reads it."""
        width = self.width
        if not found:
            number = self._number(row_attrs)
            self.counter = number
            return number, (None,) * width
        letters, _styles, inline_kinds, kinds, v_texts, inline_marks, t_texts, others = zip(
            *found, strict=True
        )
        count = len(found)
        if others.count(b"") != count:
            return None  # not plain cells only
        number = self._number(row_attrs)
        values = None
        if letters == _LETTERS[:count] or letters.count(b"") == count:  # columns 1 to count
            if inline_kinds.count(b"i") == count and inline_marks.count(b"<") == count:
                # no text holds a NUL (XML refuses it): one decode for the row
                values = b"\0".join(t_texts).decode().split("\0")
            elif kinds.count(b"s") == count and b"" not in v_texts:
                strings = self.strings
                values = [strings[int(v_text)] for v_text in v_texts]
        if values is None:
            return self._cells(number, found)
        self.counter = number
        if count >= width:
            return number, tuple(values[:width])
        return number, (*values, *((None,) * (width - count)))

    def _cells(self, number: int, found: list) -> tuple[int, tuple]:
        width = self.width
        values = [None] * width
        column = 0
        columns = self.columns
        strings = self.strings
        value_of = self._value
        dated = self.dated
        for letters, style, inline_kind, kind, v_text, inline, t_text, _other in found:
            if letters:
                column = columns.get(letters) or self._column(letters)
            else:
                column += 1
            if inline_kind:
                value = t_text.decode() if inline else None
            elif kind == b"s" and v_text:
                value = strings[int(v_text)]
            elif v_text and (not kind or kind == b"n") and not dated.get(style, True):
                value = _cast_number(v_text.decode())  # a number not of a date format
            else:
                value = value_of(kind or None, style or None, v_text, inline, t_text)
                if style not in dated and len(dated) < _STYLES_KEPT:  # a few dozen styles
                    dated[style] = (int(style) if style else 0) in self.date_formats
            if column <= width:  # a column from a reference or a count is 1 or more
                values[column - 1] = value
        self.counter = number
        return number, tuple(values)

    def _column(self, letters: bytes) -> int:
        column = self.columns[letters] = column_index_from_string(letters.decode())
        return column

    def _any(self, row_attrs: bytes, found: list) -> tuple[int, tuple]:
        number = self._number(row_attrs)
        cells = []
        column = 0
        value_of = self._value
        for attrs, v_text, inline, t_text in found:
            reference = kind = style = None
            for name, value in _NAMED.findall(attrs):
                if name == b"r":
                    reference = value
                elif name == b"t":
                    kind = value
                elif name == b"s":
                    style = value
            column = column + 1 if reference is None else _column(reference)
            cells.append((column, value_of(kind, style, v_text, inline, t_text)))
        self.counter = number
        return number, values_of(cells, self.width)

    def _value(self, kind, style, v_text: bytes, inline: bytes, t_text: bytes):
        """parse_cell's value of a cell (data only)."""
        if kind == b"inlineStr":
            return t_text.decode() if inline else None
        if not v_text:
            return None
        value = v_text.decode()
        if kind is None or kind == b"n":
            value = _cast_number(value)
            style_id = int(style) if style else (0 if style is None else "")
            if style_id in self.date_formats:
                # a date column repeats its days: each serial converted once (datetimes
                # are immutable, so the rows may share them)
                key = (v_text, style_id in self.timedelta_formats)
                found = self.dates.get(key)
                if found is not None:
                    return found
                try:
                    found = from_excel(value, self.epoch, timedelta=key[1])
                except (OverflowError, ValueError):
                    warn(
                        f"A cell is marked as a date but the serial value {value} is outside"
                        " the limits for dates. The cell will be treated as an error.",
                        stacklevel=2,
                    )
                    return "#VALUE!"
                if len(self.dates) >= _DATES_KEPT:
                    self.dates.clear()
                self.dates[key] = found
                return found
            return value
        if kind == b"s":
            return self.strings[int(value)]
        if kind == b"b":
            return bool(int(value))
        if kind == b"d":
            return from_ISO8601(value)
        return value  # "str", "e" and anything else: the text

    def _slow(self, piece: bytes):
        """The rows of ``piece`` (a row and what came before it since the last one) by
        ElementTree and openpyxl's own parse_row."""
        parser = self.parser
        parser.row_counter = self.counter
        holder = fromstring(self.wrapper + piece + b"</sheetData>")
        for element in holder:
            if element.tag == ROW_TAG:
                number, cells = parser.parse_row(element)
                self.counter = number
                yield number, values_of([(c["column"], c["value"]) for c in cells], self.width)

    def _stream(self, data: bytes, read):
        """The rows of ``data`` and of what ``read`` gives after it, up to </sheetData>, by
        ElementTree as they stream in (as openpyxl's parse, each row let go once read)."""
        parser = self.parser
        parser.row_counter = self.counter
        pull = XMLPullParser(events=("start", "end"))
        pull.feed(self.wrapper)
        holder = None
        while True:
            pull.feed(data)
            # The events before a fault come first: </sheetData> ends the rows before what
            # follows it (the rest of the sheet, no XML document of its own) is a fault.
            for event, element in pull.read_events():
                if holder is None:
                    holder = element  # the wrapper's <sheetData>
                elif event == "end" and element is holder:
                    return
                elif event == "end" and element.tag == ROW_TAG:
                    number, cells = parser.parse_row(element)
                    self.counter = number
                    holder.clear()
                    yield number, values_of([(c["column"], c["value"]) for c in cells], self.width)
            data = read(_CHUNK)
            if not data:
                pull.close()  # a sheet cut short: ElementTree says so
                return


def values_of(cells, width: int) -> tuple:
    """The values of columns 1 to ``width`` of (column, value) pairs, None where no cell is,
    as openpyxl's ``ReadOnlyWorksheet._get_row(cells, 1, width, values_only=True)``."""
    values = [None] * width
    for column, value in cells:
        if 0 < column <= width:
            values[column - 1] = value
    return tuple(values)


def _row_number(value: bytes) -> int:
    """A row's r as openpyxl's parse_row reads it."""
    try:
        return int(value)
    except ValueError:
        number = float(value)
        if number.is_integer():
            return int(number)
        raise ValueError(f"{value.decode()} is not a valid row number") from None


def _column(reference: bytes) -> int:
    """The column of a cell reference (A1 -> 1), as coordinate_to_tuple reads it."""
    return coordinate_to_tuple(reference.decode())[1]
