"""The rows of an .xlsx sheet read from its XML by regular expressions, as openpyxl reads them.

openpyxl parses a sheet with ElementTree: an element object for every cell and every <v>, <is>
and <t>, then a dict for every cell. At 100,000 cards of 19 columns that was 10 s a pass, and
the check and the import each read the file: the reading alone held the import under 5,000
rows/s (docs/import.md, "Speed at 100,000 cards").

Here the sheet's rows are cut at ``</row>`` and a row written the plain way (what Excel, WPS,
LibreOffice and openpyxl write: ``<c r="A2" s="1" t="s"><v>3</v></c>``, inline strings as
``<is><t>text</t></is>``, empty styled cells as ``<c r="B2" s="1"/>``) is matched whole by one
pattern and its values taken by ``findall``, in C. Every cell value then goes through the same
conversions as in openpyxl's ``WorkSheetParser.parse_cell`` (numbers, shared strings, booleans,
dates by their cell format, ISO dates, errors as their text).

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
#: How far into the sheet <sheetData> is looked for (column widths, views, ... come first).
_HEAD_MAX = 4 * 1024 * 1024

# Text that needs no normalising: no markup, no reference, no carriage return (XML folds it),
# no character XML forbids.
_TEXT = rb"[^<&\r\x00-\x08\x0b\x0c\x0e-\x1f]*"
# An attribute value likewise, and without white space (XML folds it too).
_VALUE = rb"""(?:"[^"'<>&\s\x00-\x1f]*"|'[^"'<>&\s\x00-\x1f]*')"""
# The value part of a cell: empty, a <v>, or an inline string of one <t> (xml:space allowed).
_CELL_END = (
    rb"(?:/>|>(?:<v>(" + _TEXT + rb")</v>|(<is>)<t(?:\s+xml:space\s*=\s*"
    rb"""(?:"preserve"|'preserve'|"default"|'default'))?\s*>(""" + _TEXT + rb")</t></is>)?</c>)"
)
# A cell as Excel, WPS, LibreOffice and openpyxl write it: r, s, t in this order.
_FAST_CELL = rb'<c(?: r="([A-Z]{1,3})[0-9]{1,7}")?(?: s="([0-9]{1,9})")?(?: t="([A-Za-z]{1,9})")?'
_FAST_CELL += _CELL_END
# The attributes the values depend on (c: r, s, t; row: r), of a cell written another way.
_NAMED = re.compile(rb"""\s([A-Za-z_][\w.:-]*)\s*=\s*["']([^"']*)["']""")
_ROW_END = b"</row>"
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
    """The row patterns of a sheet whose root declares ``prefixes``: a plain row of fast cells,
    and a plain row of cells of any attributes (an attribute's prefix must be declared, as
    ElementTree wants, and a row or cell declares no namespace of its own)."""
    known = b"|".join(re.escape(p) for p in (b"xml", *prefixes))
    name = rb"(?!xmlns)(?:(?:" + known + rb"):)?[A-Za-z_][\w.-]*"
    attrs = rb"(?:\s+" + name + rb"\s*=\s*" + _VALUE + rb")*\s*"
    cell = rb"<c(" + attrs + rb")" + _CELL_END
    row = rb"\s*<row(" + attrs + rb")>((?:\s*%s)*\s*)</row>"
    return (
        re.compile(rb"\s*<row(" + attrs + rb")/>").match,
        re.compile(row % _FAST_CELL).fullmatch,
        re.compile(_FAST_CELL).findall,
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

    def rows(self, source, head: bytes, at: int, patterns):
        if not self.wrapper:
            return
        empty_row, fast_row, fast_cells, any_row, any_cells = patterns
        buffer = head
        read = source.read
        while True:
            empty = empty_row(buffer, at)
            if empty is not None:  # <row r="7"/>: a row without cells
                at = empty.end()
                yield self._fast(empty.group(1), ())
                continue
            end = buffer.find(_ROW_END, at)
            if end == -1 and len(buffer) - at <= _PIECE_MAX:
                chunk = read(_CHUNK)
                if chunk:
                    buffer = buffer[at:] + chunk
                    at = 0
                    continue
            if end == -1 or end - at > _PIECE_MAX:
                # The rows' end (or something that is no plain row, megabytes long): the
                # rest of the sheet by ElementTree, as it streams in.
                yield from self._stream(buffer[at:], read)
                return
            end += len(_ROW_END)
            piece = buffer[at:end]
            at = end
            row = None
            if b"]]>" not in piece:  # a text XML refuses
                try:
                    match = fast_row(piece)
                    if match is not None:
                        row = self._fast(match.group(1), fast_cells(match.group(2)))
                    else:
                        match = any_row(piece)
                        if match is not None:
                            row = self._any(match.group(1), any_cells(match.group(2)))
                except UnicodeDecodeError:
                    row = None
            if row is None:
                yield from self._slow(piece)
            else:
                yield row

    def _number(self, row_attrs: bytes) -> int:
        number = None
        for name, value in _NAMED.findall(row_attrs):
            if name == b"r":
                number = _row_number(value)
        # as openpyxl's parse_row: a row without r follows the one before
        return self.counter + 1 if number is None else number

    def _fast(self, row_attrs: bytes, found) -> tuple[int, tuple]:
        number = self._number(row_attrs)
        width = self.width
        values = [None] * width
        column = 0
        columns = self.columns
        strings = self.strings
        value_of = self._value
        for letters, style, kind, v_text, inline, t_text in found:
            if letters:
                column = columns.get(letters) or self._column(letters)
            else:
                column += 1
            if kind == b"inlineStr":
                value = t_text.decode() if inline else None
            elif kind == b"s" and v_text:
                value = strings[int(v_text)]
            else:
                value = value_of(kind or None, style or None, v_text, inline, t_text)
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
                try:
                    return from_excel(
                        value, self.epoch, timedelta=style_id in self.timedelta_formats
                    )
                except (OverflowError, ValueError):
                    warn(
                        f"A cell is marked as a date but the serial value {value} is outside"
                        " the limits for dates. The cell will be treated as an error.",
                        stacklevel=2,
                    )
                    return "#VALUE!"
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
