"""Bounds an uploaded .xlsx must respect before openpyxl opens it (zip-bomb defence).

An .xlsx is a zip: a 1 MB upload can hold a sheet that expands to gigabytes, or millions of
empty rows. Before openpyxl reads anything, the zip's central directory is inspected: the
number of members, the total declared uncompressed size, the size of each member openpyxl
loads whole (shared strings, styles, workbook) and each large member's compression ratio.
The declared sizes are a real bound: Python's zipfile stops a member's stream at its declared
size (and fails its CRC), so a member cannot expand beyond what its header says.

While rows are read, importer.open_rows stops at a row cap, a column cap and a time limit.
The limits are configuration (IMPORT_MAX_* in config.py) with the defaults below.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    #: Declared uncompressed size of all members together.
    max_uncompressed_bytes: int = 150 * MB
    #: Members openpyxl reads whole into memory (everything but the worksheets).
    max_loaded_member_bytes: int = 32 * MB
    #: Uncompressed / compressed size of a member above ``ratio_floor_bytes``. Ordinary sheet
    #: XML compresses 5-20 times; deflate cannot pass about 1,030.
    max_ratio: int = 150
    ratio_floor_bytes: int = 1 * MB
    #: Members in the zip (a workbook of a few sheets has some 10-30).
    max_members: int = 500
    #: Rows (counted by row number, empty ones included) and columns read of the first sheet.
    max_rows: int = 200_000
    max_columns: int = 50
    #: Seconds one pass over the rows may take.
    max_seconds: float = 600.0

    @classmethod
    def current(cls) -> ImportLimits:
        """The app's configured limits (IMPORT_MAX_*), the defaults outside an app."""
        if not has_app_context():
            return cls()
        config = current_app.config
        values = {}
        for item in fields(cls):
            key = "IMPORT_" + item.name.upper()
            if config.get(key) is not None:
                convert = float if item.name == "max_seconds" else int
                values[item.name] = convert(config[key])
        return cls(**values)


class WorkbookRefused(Exception):
    """The upload passes a bound; ``message`` says which, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _is_worksheet(name: str) -> bool:
    # openpyxl streams worksheets in read-only mode; every other part is parsed whole.
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _too_big() -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The file expands to far more data than a sheet of customers holds (a damaged or "
            "hostile file?): it was not opened. Save the sheet again as a plain .xlsx, or "
            "split it."
        )
    )


def inspect_zip(path: Path, limits: ImportLimits) -> int:
    """Refuse the file (WorkbookRefused) when its zip passes a bound; reads no member.
    Returns the inflated size of its largest worksheet (0 when it is not a zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 0  # not a zip: openpyxl's own refusal gives the "not an .xlsx" message
    if len(members) > limits.max_members:
        raise _too_big()
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if total > limits.max_uncompressed_bytes:
            raise _too_big()
        if not _is_worksheet(member.filename) and size > limits.max_loaded_member_bytes:
            raise _too_big()
        large = size > limits.ratio_floor_bytes
        if large and size > max(member.compress_size, 1) * limits.max_ratio:
            raise _too_big()
    return max((m.file_size for m in members if _is_worksheet(m.filename)), default=0)


# The last row element's number (rows are in order in sheet XML), any namespace prefix.
_ROW_NUMBER_RE = re.compile(rb"row\b[^>]{0,400}?\br=\"(\d{1,9})\"")
_SCAN_CHUNK = 1024 * 1024


def _rows_in(stream, chunk_size: int = _SCAN_CHUNK) -> int:
    """About the highest row of a worksheet's XML -- the larger of the row elements counted
    and the last row number stated -- by a raw scan in C (no XML parser, nothing kept)."""
    highest = count = 0
    tail = b""
    while chunk := stream.read(chunk_size):
        data = tail + chunk
        tail = data[-16:]  # a "<row" cut by the chunk's end is seen in the next one
        count += (
            data.count(b"<row") + data.count(b":row") - tail.count(b"<row") - tail.count(b":row")
        )
        last = max(data.rfind(b"<row"), data.rfind(b":row"))
        if last != -1:
            number = _ROW_NUMBER_RE.search(data, last + 1, last + 500)
            if number is not None:
                highest = max(highest, int(number.group(1)))
    count += tail.count(b"<row") + tail.count(b":row")
    return max(highest, count)


def rows_in_sheet(stream) -> int:
    """The raw scan of one worksheet's rows (as inspect_rows), in small chunks: the reader
    runs it when inspect_rows did not, to count the empty rows after the last filled one."""
    return _rows_in(stream, 64 * 1024)


def inspect_rows(path: Path, limits: ImportLimits) -> dict[str, int]:
    """Refuse the file when a worksheet goes past the row cap (header row included): a quick
    scan of the raw XML, so millions of empty rows are refused in a second, not read.
    Returns {worksheet member: its rows as found} (the reader pads trailing empty rows)."""
    found: dict[str, int] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if _is_worksheet(member.filename):
                    with archive.open(member) as stream:
                        rows = found[member.filename] = _rows_in(stream)
                        if rows > limits.max_rows + 1:
                            raise too_many_rows(limits)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return {}  # unreadable: openpyxl's own refusal says so
    return found


def too_many_rows(limits: ImportLimits) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The sheet has more than %(rows)s rows: split it into several files.",
            rows=f"{limits.max_rows:,}",
        )
    )


def too_many_columns(limits: ImportLimits) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The sheet has more than %(columns)s columns: keep only the customer columns.",
            columns=limits.max_columns,
        )
    )


def too_slow(limits: ImportLimits) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "Reading the file took longer than %(seconds)s seconds: split it into several files.",
            seconds=int(limits.max_seconds),
        )
    )
