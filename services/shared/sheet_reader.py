"""Reading an uploaded sheet as people make it: which sheet, which row holds the titles,
merged cells, and CSV files in the encodings Chinese offices save them in.

``open_table`` takes the upload's bytes (or a path) and gives a ``Table``: the column titles,
an iterator of (row number as in Excel, values), and what the user may change in the preview
(the sheet, the title row). The importer (services/shared/importer.py ``open_rows``) reads every
file through it; this module knows nothing of record kinds: the caller passes the titles it
knows (lower-cased, ``clean_title``-ed).

- **Kind of file**, told by its first bytes, never by its name alone: a zip is an .xlsx; an
  OLE compound file is an old .xls, or an .xlsx under a password (it then holds the streams
  ``EncryptionInfo``/``EncryptedPackage``); text is a CSV. Each refusal is one message.
- **Sheet**: the one the user chose, else the first visible sheet whose first rows hold a known
  title, else the first sheet.
- **Title row**: the one the user chose, else, among the first ``HEADER_SCAN`` filled rows, the
  one matching most known titles (the first of equals): a report title and blank rows above
  it are skipped, and of a two-row title the row with the field names wins.
- **Merged cells** read as their value in every cell they cover. openpyxl's read-only sheets
  do not read ``<mergeCells>``: it is read here from the sheet's XML by a raw scan (it follows
  the rows), bounded by ``MAX_MERGES``, and applied row by row as the rows stream past.
- **Rows of an .xlsx**: the plain rows (as Excel, WPS, LibreOffice and openpyxl write them)
  matched as bytes by services/shared/sheet_rows.py, every other row by ElementTree and
  openpyxl's own cell parsing: the same values, five times faster (issue 22).
- **CSV**: UTF-8 (with or without BOM), UTF-16 with its BOM, else GB18030 (a superset of GBK
  and GB2312); comma, tab or semicolon, whichever the first line holds most of.
- **Bounds**: the zip is inspected before openpyxl opens it (workbook_limits.py); rows stop at
  the row cap (counted by row number), columns at the column cap, a pass at the time limit, for
  a CSV too. Memory stays flat: rows stream, only the first ``HEADER_SCAN`` filled rows are
  held while the title row is found.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser

from services.shared import sheet_process, sheet_rows
from services.shared.workbook_limits import (
    ImportLimits,
    WorkbookRefused,
    inspect_rows,
    inspect_zip,
    too_many_columns,
    too_many_rows,
    too_slow,
)

#: Filled rows read to find the title row (and offered in the preview).
HEADER_SCAN = 20
#: Sheets whose first rows are looked at to find the one with titles.
SHEET_SCAN = 20
#: Merged ranges a sheet may have (a card sheet has a few dozen).
MAX_MERGES = 20_000
#: Bytes of <mergeCells> kept while scanning (a range is some 30 bytes).
_MERGE_XML_MAX = MAX_MERGES * 64
_SCAN_CHUNK = 1024 * 1024
#: A sheet whose XML is larger is read by a child process while this one checks its rows
#: (services/shared/sheet_process.py): some 16,000 rows of a welcome card, half a second of
#: reading, where a child costs a tenth of a second to start.
CHILD_READ_MIN_BYTES = 16 * 1024 * 1024
#: Chunks of the scans that keep nothing (merged ranges, a CSV's encoding): a small peak.
_SMALL_CHUNK = 64 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
#: What parsing a damaged file may raise, from zipfile, zlib, ElementTree and openpyxl.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    InvalidFileException,
    csv.Error,
)


class ImportFileError(Exception):
    """The file cannot be read as a sheet of records; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Layout:
    """What the user chose in the preview (None: found by the reader), and the file's name."""

    sheet: str | None = None
    header_row: int | None = None
    name: str | None = None

    @classmethod
    def of(cls, value: Layout | dict | None) -> Layout:
        if value is None:
            return cls()
        if isinstance(value, Layout):
            return value
        header_row = value.get("header_row")
        return cls(
            sheet=value.get("sheet") or None,
            header_row=int(header_row) if header_row else None,
            name=value.get("name") or None,
        )

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class HeaderCandidate:
    """A filled row among the first ones: its number and the known titles it holds."""

    row: int
    titles: tuple[str, ...]


@dataclass
class Table:
    """An opened sheet: its titles and its rows below them (``rows``, to be read once)."""

    headers: list[str]
    rows: Iterator[tuple[int, tuple]]
    header_row: int
    #: The sheet read (None for a CSV) and every sheet of the workbook.
    sheet: str | None
    sheets: list[str]
    #: The first filled rows, the title row's choices.
    candidates: list[HeaderCandidate]
    #: The title row holds known titles (else it is the first filled row).
    found: bool
    format: str
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Free the file (also when the rows were never read)."""
        self.rows.close()
        for closer in self._closers:
            closer()
        self._closers.clear()


# --- messages ---------------------------------------------------------------------------
def _empty_file() -> ImportFileError:
    return ImportFileError(_("The file is empty."))


def _old_xls() -> ImportFileError:
    return ImportFileError(
        _(
            "This is an old Excel .xls file: open it in Excel and save it as an Excel workbook "
            "(.xlsx) or as CSV, then upload that."
        )
    )


def _encrypted() -> ImportFileError:
    return ImportFileError(
        _(
            "The file is protected by a password: open it in Excel, remove the password "
            "(File > Info > Protect Workbook) and save it again."
        )
    )


def _damaged() -> ImportFileError:
    return ImportFileError(
        _("The file is damaged and cannot be read: open it in Excel and save it again as .xlsx.")
    )


def _not_a_sheet() -> ImportFileError:
    return ImportFileError(
        _(
            "This is neither an Excel .xlsx file nor a CSV file (an old .xls must be saved as "
            ".xlsx first)."
        )
    )


def _empty_sheet(sheet: str | None) -> ImportFileError:
    if sheet is None:
        return ImportFileError(_("The file has no rows."))
    return ImportFileError(_("The sheet %(sheet)s is empty.", sheet=sheet))


def no_rows(row: int) -> ImportFileError:
    """The sheet has its titles in ``row`` and nothing below them."""
    return ImportFileError(
        _("The titles are in row %(row)s, but no rows below them hold data.", row=row)
    )


# --- opening ----------------------------------------------------------------------------
def open_table(
    source: Path | BinaryIO,
    limits: ImportLimits,
    titles: frozenset[str] | set[str],
    layout: Layout | dict | None = None,
    *,
    whole: bool = False,
) -> Table:
    """The chosen (or found) sheet of ``source`` with its title row; ``ImportFileError`` with
    a message for the user when the file cannot be read. ``whole``: the caller reads every
    row (the check, the import), so a large sheet is read by a child process meanwhile; a
    preview of the first rows reads them here."""
    layout = Layout.of(layout)
    head = _head(source, 8)
    if not head:
        raise _empty_file()
    if head.startswith(_OLE_MAGIC):
        raise _encrypted() if _is_encrypted_ole(source) else _old_xls()
    if head.startswith(_ZIP_MAGICS):
        return _open_xlsx(source, limits, titles, layout, whole)
    if head.startswith(b"PK"):
        raise _damaged()
    return _open_csv(source, limits, titles, layout)


def _head(source: Path | BinaryIO, size: int) -> bytes:
    if isinstance(source, str | Path):
        try:
            with open(source, "rb") as handle:
                return handle.read(size)
        except OSError:
            raise _damaged() from None
    source.seek(0)
    head = source.read(size)
    source.seek(0)
    return head


def _rewound(source: Path | BinaryIO) -> Path | BinaryIO:
    # An upload is opened in memory (services/shared/import_store.py), read more than once.
    if hasattr(source, "seek"):
        source.seek(0)
    return source


def _is_encrypted_ole(source: Path | BinaryIO) -> bool:
    """An OLE file holding Office's encryption streams (a password-protected .xlsx); the
    directory's names are UTF-16, anywhere in the file (bounded by the upload's size)."""
    marker = "EncryptedPackage".encode("utf-16-le")
    info = "EncryptionInfo".encode("utf-16-le")
    tail = b""
    with _binary(source) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            data = tail + chunk
            if marker in data or info in data:
                return True
            tail = data[-len(marker) :]
    return False


class _binary:
    """The source as a binary stream from its start (a path opened, a stream rewound)."""

    def __init__(self, source: Path | BinaryIO):
        self.source = source
        self.handle = None

    def __enter__(self):
        if isinstance(self.source, str | Path):
            self.handle = open(self.source, "rb")  # noqa: SIM115 (closed in __exit__)
            return self.handle
        self.source.seek(0)
        return self.source

    def __exit__(self, *exc):
        if self.handle is not None:
            self.handle.close()
        else:
            self.source.seek(0)


# --- xlsx -------------------------------------------------------------------------------
def _open_xlsx(source, limits: ImportLimits, titles, layout: Layout, whole: bool) -> Table:
    # A path is opened here, so that the file is closed even when openpyxl fails half-way
    # through loading a damaged workbook (it then leaves its zip open).
    handle = open(source, "rb") if isinstance(source, str | Path) else None  # noqa: SIM115
    stream = handle if handle is not None else source
    try:
        try:
            largest = inspect_zip(_rewound(stream), limits)
            if whole and largest >= CHILD_READ_MIN_BYTES:
                sheet_process.warm()  # loads its modules while the rows are counted here
            inspect_rows(_rewound(stream), limits)
        except WorkbookRefused as exc:
            raise ImportFileError(exc.message) from exc
        try:
            workbook = _load_workbook(_rewound(stream))
        except zipfile.BadZipFile as exc:
            raise _damaged() from exc
        except InvalidFileException as exc:
            raise _not_a_sheet() from exc
        except _DAMAGED as exc:
            raise _damaged() from exc

        def close() -> None:
            workbook.close()
            if handle is not None:
                handle.close()

        try:
            return _xlsx_table(workbook, limits, titles, layout, close, source if whole else None)
        except BaseException:
            workbook.close()
            raise
    except BaseException:
        if handle is not None:
            handle.close()
        raise


def _xlsx_table(
    workbook, limits: ImportLimits, titles, layout: Layout, close, source: Path | BinaryIO | None
) -> Table:
    sheets = list(workbook.worksheets)
    names = [sheet.title for sheet in sheets]
    if not sheets:
        raise ImportFileError(_("The file has no sheet."))
    if layout.sheet is not None:
        if layout.sheet not in names:
            raise ImportFileError(
                _("The file has no sheet %(sheet)s: choose another sheet.", sheet=layout.sheet)
            )
        sheet = sheets[names.index(layout.sheet)]
    else:
        sheet = _sheet_with_titles(sheets, limits, titles)
    merges = _Merges(_merged_ranges(workbook, sheet), limits.max_columns)

    # One column past the cap is read, to tell a too-wide sheet from one at the cap; a
    # declared dimension of A1:XFD1048576 would otherwise pad every row to 16,384 cells.
    # (_frame closes it: openpyxl's reader holds the sheet's stream open until closed.)
    width = limits.max_columns + 1
    if source is not None and _sheet_bytes(sheet) >= CHILD_READ_MIN_BYTES:
        rows = _values_in_child(source, sheet, sheets.index(sheet), width, limits)
    else:
        rows = _sheet_values(sheet, width)
    return _frame(
        rows,
        limits,
        titles,
        layout,
        sheet=sheet.title,
        sheets=names,
        fmt="xlsx",
        fill=merges.fill if merges else None,
        closer=close,
    )


def _sheet_bytes(sheet) -> int:
    """The size of the sheet's XML, inflated (0 when unknown)."""
    try:
        return sheet.parent._archive.getinfo(sheet._worksheet_path).file_size
    except (AttributeError, KeyError):
        return 0


def _values_in_child(
    source: Path | BinaryIO, sheet, index: int, width: int, limits: ImportLimits
) -> Iterator[tuple]:
    """``_sheet_values`` of the workbook's sheet ``index``, read by a child process
    (services/shared/sheet_process.py) from the file's path or the upload's bytes; read here
    (``sheet``) when no child can be started."""
    if isinstance(source, str | Path):
        payload: str | bytes = str(source)
    else:
        payload = source.getvalue() if hasattr(source, "getvalue") else _rewound(source).read()
    return sheet_process.rows_in_child(
        read_sheet_values,
        (payload, index, width),
        deadline=time.monotonic() + limits.max_seconds,
        too_slow=lambda: ImportFileError(too_slow(limits).message),
        here=lambda: _sheet_values(sheet, width),
    )


def read_sheet_values(source: str | bytes, index: int, width: int) -> Iterator[tuple]:
    """The values of the rows of the workbook's sheet ``index`` as ``_sheet_values`` reads
    them, the workbook opened from a path or bytes: what a child process runs."""
    workbook = _load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)
    try:
        yield from _sheet_values(workbook.worksheets[index], width)
    finally:
        workbook.close()


_TEXT_TAG = INLINE_STRING[: -len("is")] + "t"
_RUN_TAG = INLINE_STRING[: -len("is")] + "r"


class _Worksheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, whose size (the <dimension> element, before the rows) is
    looked for by a raw scan of the XML up to <sheetData>: openpyxl's own search parses the
    whole sheet when the element is missing (openpyxl's write-only mode and many programs
    leave it out), one more full read of the file."""

    def _get_size(self):
        with self._get_source() as src:
            head = b""
            while chunk := src.read(_SMALL_CHUNK):
                head += chunk
                rows_at = head.find(b"sheetData")
                if rows_at != -1:
                    if head.find(b"dimension", 0, rows_at) == -1:
                        return  # no dimension: the sheet's size is unknown, as in openpyxl
                    break
                if len(head) > _SCAN_CHUNK:
                    break
        super()._get_size()


class _ExcelReader(ExcelReader):
    """openpyxl's reader, read-only, its sheets ``_Worksheet``."""

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            ws = _Worksheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            self.wb._sheets.append(ws)


def _load_workbook(source):
    """``openpyxl.load_workbook(source, read_only=True, data_only=True)``, sheets sized by
    ``_Worksheet``."""
    reader = _ExcelReader(source, read_only=True, data_only=True)
    reader.read()
    return reader.wb


class _FastParser(WorkSheetParser):
    """openpyxl's sheet parser, with the text of an inline-string cell (what openpyxl's own
    write-only mode and many exporting programs write) read straight from its <t> elements
    instead of through openpyxl's rich-text objects: the same value (the plain text and the
    runs' text, no phonetic runs), a third of the time of a row. Every other cell is
    openpyxl's own parse (numbers, shared strings, dates by their number format, ...)."""

    def parse_cell(self, element):
        if element.get("t") != "inlineStr" or self.rich_text:
            return super().parse_cell(element)
        if not self.data_only and element.find(FORMULA_TAG) is not None:
            return super().parse_cell(element)
        style_id = element.get("s", 0)
        if style_id:
            style_id = int(style_id)
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        value, data_type = None, "inlineStr"
        child = element.find(INLINE_STRING)
        if child is not None:
            data_type = "s"
            pieces = [child.findtext(_TEXT_TAG) or ""]
            pieces += [run.findtext(_TEXT_TAG) or "" for run in child.iterfind(_RUN_TAG)]
            value = "".join(pieces)
        return {
            "row": row,
            "column": column,
            "value": value,
            "data_type": data_type,
            "style_id": style_id,
        }


def _sheet_values(sheet, max_col: int) -> Iterator[tuple]:
    """The rows' values of a read-only sheet, as ``sheet.iter_rows(values_only=True,
    max_col=max_col)`` gives them (a missing row as an empty one, each row padded to
    ``max_col``, nothing past the declared last row), read by ``_sheet_rows``."""
    source = getattr(sheet, "_get_source", None)
    if source is None or not hasattr(sheet, "_get_row"):
        yield from sheet.iter_rows(values_only=True, max_col=max_col)
        return
    max_row = sheet.max_row
    empty = (None,) * max_col
    counter = 1
    for number, values in _sheet_rows(sheet, source, max_col):
        if max_row is not None and number > max_row:
            # as openpyxl: the rows up to the declared last one, then nothing
            while counter <= max_row:
                counter += 1
                yield empty
            break
        while counter < number:
            counter += 1
            yield empty
        if counter <= number:
            counter += 1
            yield values


def _sheet_rows(sheet, source, width: int) -> Iterator[tuple[int, tuple]]:
    """(row number, values of columns 1 to ``width``) of the sheet's rows: by
    services/shared/sheet_rows.py (its plain rows matched as bytes, 5 times faster), else
    (a sheet whose head is not the plain kind) by ``_FastParser``."""
    workbook = sheet.parent
    options = {
        "epoch": workbook.epoch,
        "date_formats": workbook._date_formats,
        "timedelta_formats": workbook._timedelta_formats,
    }
    strings = sheet._shared_strings
    with source() as src:
        parser = _FastParser(src, strings, data_only=workbook.data_only, **options)
        rows = sheet_rows.sheet_rows(src, strings, width=width, parser=parser, **options)
        try:
            first = next(rows, None)
        except sheet_rows.NotPlain:
            first = rows = None
        if rows is not None:
            if first is not None:
                yield first
                yield from rows
            return
    with source() as src:
        parser = _FastParser(src, strings, data_only=workbook.data_only, **options)
        for number, cells in parser.parse():
            pairs = [(cell["column"], cell["value"]) for cell in cells]
            yield number, sheet_rows.values_of(pairs, width)


def _sheet_with_titles(sheets: list, limits: ImportLimits, titles) -> object:
    """The first visible sheet whose first filled rows hold a known title, else the first
    visible sheet holding anything, else the first sheet."""
    visible = [s for s in sheets if getattr(s, "sheet_state", "visible") == "visible"] or sheets
    first_filled = None
    for sheet in visible[:SHEET_SCAN]:
        rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns)
        try:
            filled = 0
            for number, values in enumerate(rows, start=1):
                if number > limits.max_rows + 1:
                    break
                if not _filled(values):
                    continue
                if first_filled is None:
                    first_filled = sheet
                if _known(values, titles):
                    return sheet
                filled += 1
                if filled >= HEADER_SCAN:
                    break
        except _DAMAGED as exc:
            raise _damaged() from exc
        finally:
            rows.close()
    return first_filled or visible[0]


_MERGE_RE = re.compile(
    rb"<(?:[A-Za-z0-9_]+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})\""
)
_MERGES_START = re.compile(rb"<(?:[A-Za-z0-9_]+:)?mergeCells\b")
_MERGES_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?mergeCells>")


def _merged_ranges(workbook, sheet) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range of the sheet,
    from its XML's <mergeCells> (after the rows): a raw scan in C through the workbook's own
    zip, nothing kept but the <mergeCells> element, bounded."""
    archive = getattr(workbook, "_archive", None)
    path = getattr(sheet, "_worksheet_path", None)
    if archive is None or path is None:
        return []
    kept = b""
    inside = False
    try:
        with archive.open(path) as stream:
            tail = b""
            while chunk := stream.read(_SMALL_CHUNK):
                data = tail + chunk
                if not inside:
                    # a find in C first: the regex only where the element may start
                    found = data.find(b"mergeCells")
                    start = _MERGES_START.search(data, max(found - 40, 0)) if found >= 0 else None
                    if start is None:
                        tail = data[-32:]
                        continue
                    inside = True
                    data = data[start.start() :]
                kept += data
                tail = b""
                if len(kept) > _MERGE_XML_MAX:
                    raise _too_many_merges()
                if _MERGES_END.search(kept):
                    break
    except ImportFileError:
        raise
    except _DAMAGED as exc:
        raise _damaged() from exc
    ranges = []
    for match in _MERGE_RE.finditer(kept):
        first_col, first_row, last_col, last_row = match.groups()
        ranges.append((int(first_row), _column(first_col), int(last_row), _column(last_col)))
        if len(ranges) > MAX_MERGES:
            raise _too_many_merges()
    return ranges


def _too_many_merges() -> ImportFileError:
    return ImportFileError(
        _(
            "The sheet has more than %(count)s merged cells: unmerge them and save it again.",
            count=f"{MAX_MERGES:,}",
        )
    )


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class _Merges:
    """Fills each merged range's cells with the value of its top-left cell, row by row: the
    rows come in order, so a range starts on its first row (where its value is read) and ends
    after its last; only the ranges covering the current row are looked at."""

    def __init__(self, ranges: list[tuple[int, int, int, int]], max_columns: int):
        self.pending = sorted(
            (r1, c1, r2, min(c2, max_columns))
            for r1, c1, r2, c2 in ranges
            if c1 <= max_columns and r2 >= r1 and c2 >= c1 and (r2 > r1 or c2 > c1)
        )
        self.next = 0
        self.active: list[tuple[int, int, int, object]] = []

    def __bool__(self) -> bool:
        return bool(self.pending)

    def fill(self, number: int, values: tuple) -> tuple:
        if self.active:
            self.active = [m for m in self.active if m[2] >= number]
        pending = self.pending
        while self.next < len(pending) and pending[self.next][0] <= number:
            r1, c1, r2, c2 = pending[self.next]
            self.next += 1
            if r1 == number and c1 <= len(values) and values[c1 - 1] not in (None, ""):
                self.active.append((c1, c2, r2, values[c1 - 1]))
        if not self.active:
            return values
        cells = list(values)
        for c1, c2, _r2, value in self.active:
            if len(cells) < c2:
                cells.extend([None] * (c2 - len(cells)))
            for index in range(c1 - 1, c2):
                cells[index] = value
        return tuple(cells)


# --- csv --------------------------------------------------------------------------------
def _open_csv(source, limits: ImportLimits, titles, layout: Layout) -> Table:
    encoding = _text_encoding(source, limits)
    if encoding is None:
        raise _not_a_sheet()
    named_text = (layout.name or "").lower().endswith(_TEXT_SUFFIXES)
    with _binary(source) as stream:
        sample = stream.read(64 * 1024)
    # The delimiter most used in the first filled lines (a title line above has none).
    lines = [line for line in sample.decode(encoding, "ignore").splitlines() if line.strip()]
    counts = {d: sum(line.count(d) for line in lines[:HEADER_SCAN]) for d in (",", "\t", ";")}
    delimiter = max(counts, key=counts.get)
    if not counts[delimiter]:
        if not named_text:
            raise _not_a_sheet()
        delimiter = ","
    if isinstance(source, str | Path):
        stream = open(source, "rb")  # noqa: SIM115 (closed by the table)
        close_stream = stream.close
    else:
        stream = _rewound(source)
        close_stream = None
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")

    def close() -> None:
        # The caller's stream is read again later: detach, never close it.
        if close_stream is None:
            text.detach()
        else:
            text.close()

    def raw_rows() -> Iterator[tuple]:
        try:
            for row in csv.reader(text, delimiter=delimiter):
                yield tuple(row[: limits.max_columns + 1])
        except UnicodeDecodeError as exc:
            raise _bad_encoding() from exc
        except csv.Error as exc:
            raise _damaged() from exc

    return _frame(
        raw_rows(),
        limits,
        titles,
        layout,
        sheet=None,
        sheets=[],
        fmt="csv",
        fill=None,
        closer=close,
    )


def _bad_encoding() -> ImportFileError:
    return ImportFileError(
        _(
            "The CSV file's characters cannot be read as UTF-8 or GBK: save it again from Excel "
            'as "CSV UTF-8".'
        )
    )


def _text_encoding(source, limits: ImportLimits) -> str | None:
    """The encoding of a text file: a BOM's, else UTF-8 when every byte decodes so, else
    GB18030; None when it is not text (a NUL character). Read in chunks, nothing kept. A
    file too big to be a CSV of records is refused."""
    with _binary(source) as stream:
        head = stream.read(4)
        if head.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            candidates = ["utf-16"]
        else:
            candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        size = 0
        try:
            with _binary(source) as stream:
                while chunk := stream.read(_SMALL_CHUNK):
                    size += len(chunk)
                    if size > limits.max_uncompressed_bytes:
                        raise ImportFileError(
                            _(
                                "The file is larger than %(mb)s MB.",
                                mb=limits.max_uncompressed_bytes // (1024 * 1024),
                            )
                        )
                    if encoding != "utf-16" and b"\x00" in chunk:
                        return None
                    if "\x00" in decoder.decode(chunk):
                        return None
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _bad_encoding()


# --- the title row and the rows below it ------------------------------------------------
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def clean_title(value) -> str:
    """A column title as shown and matched: no line breaks or doubled spaces (none between
    Chinese characters), no required-field star or trailing colon."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _SPACE_BETWEEN_CJK.sub("", str(value).strip())
    text = " ".join(text.split())
    return text.strip("*:＊：").strip()


def title_key(value) -> str:
    """A title as matched against the known ones: cleaned, full-width folded, no spaces,
    lower-case (as importer.guess_mapping compares them)."""
    return "".join(unicodedata.normalize("NFKC", clean_title(value)).lower().split())


def _filled(values) -> bool:
    # counted in C: empty rows (most rows of a bomb) cost next to nothing
    return bool(values) and values.count(None) + values.count("") < len(values)


def _known(values, titles) -> tuple[str, ...]:
    found = []
    for value in values:
        if value is None or value == "":
            continue
        if title_key(value) in titles:
            found.append(clean_title(value))
    return tuple(found)


def _frame(
    raw: Iterator[tuple],
    limits: ImportLimits,
    titles,
    layout: Layout,
    *,
    sheet: str | None,
    sheets: list[str],
    fmt: str,
    fill: Callable[[int, tuple], tuple] | None,
    closer: Callable[[], None],
) -> Table:
    """Find the title row among the first filled rows, then stream the rows below it."""
    closer = _once(closer)
    deadline = time.monotonic() + limits.max_seconds
    numbered = enumerate(raw, start=1)
    scanned: list[tuple[int, tuple]] = []
    try:
        for number, values in numbered:
            _bounds(number, limits, deadline)
            if fill is not None:
                values = fill(number, values)
            if _filled(values):
                scanned.append((number, values))
                if len(scanned) >= HEADER_SCAN:
                    break
        if not scanned:
            raise _empty_sheet(sheet)
        candidates = [HeaderCandidate(n, _known(v, titles)) for n, v in scanned]
        if layout.header_row is not None:
            chosen = next((c for c in candidates if c.row == layout.header_row), None)
            if chosen is None:
                raise ImportFileError(
                    _(
                        "Row %(row)s is empty or not among the first filled rows: choose "
                        "another title row.",
                        row=layout.header_row,
                    )
                )
        else:
            best = max(len(c.titles) for c in candidates)
            chosen = next(c for c in candidates if len(c.titles) == best)
        position = next(i for i, (n, _v) in enumerate(scanned) if n == chosen.row)
        header = scanned[position][1]
        if len(header) > limits.max_columns and header[limits.max_columns] not in (None, ""):
            raise ImportFileError(too_many_columns(limits).message)
        below = scanned[position + 1 :]
        # Titles up to the last titled column, or the last filled one of the rows seen.
        width = max(
            [_last_filled(header[: limits.max_columns])]
            + [_last_filled(v[: limits.max_columns]) for _n, v in below]
        )
        headers = [clean_title(cell) for cell in header[:width]]
        headers += [""] * (width - len(headers))
    except _DAMAGED as exc:
        raw.close()
        closer()
        raise _damaged() from exc
    except BaseException:
        raw.close()
        closer()
        raise

    def body() -> Iterator[tuple[int, tuple]]:
        try:
            for number, values in below:
                yield number, values[:width]
            if fill is None:
                for number, values in numbered:
                    # Empty rows count: millions of them cost time although none is kept.
                    if number > limits.max_rows + 1:
                        raise ImportFileError(too_many_rows(limits).message)
                    if number % 1000 == 0 and time.monotonic() > deadline:
                        raise ImportFileError(too_slow(limits).message)
                    values = values[:width]
                    # counted in C: empty rows (most rows of a bomb) cost next to nothing
                    if values and values.count(None) + values.count("") < len(values):
                        yield number, values
            else:
                for number, values in numbered:
                    _bounds(number, limits, deadline)
                    values = fill(number, values)[:width]
                    if _filled(values):
                        yield number, values
        except _DAMAGED as exc:  # a sheet's XML broken past its first rows
            raise _damaged() from exc
        finally:
            raw.close()
            closer()

    table = Table(
        headers=headers,
        rows=body(),
        header_row=chosen.row,
        sheet=sheet,
        sheets=sheets,
        candidates=candidates,
        found=bool(chosen.titles),
        format=fmt,
    )
    # A body never started does not run its finally: the table's close() frees the file.
    table._closers.extend([raw.close, closer])
    return table


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    done = []

    def once() -> None:
        if not done:
            done.append(True)
            fn()

    return once


def _bounds(number: int, limits: ImportLimits, deadline: float) -> None:
    if number > limits.max_rows + 1:
        raise ImportFileError(too_many_rows(limits).message)
    if number % 1000 == 0 and time.monotonic() > deadline:
        raise ImportFileError(too_slow(limits).message)


def _last_filled(values) -> int:
    for index in range(len(values), 0, -1):
        if values[index - 1] not in (None, ""):
            return index
    return 0
