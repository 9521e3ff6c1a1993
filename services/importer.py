"""Excel import of welcome cards: map the columns, check every row, import all or nothing.

Offices keep years of welcome cards in Excel. A file is read row by row (openpyxl read-only
mode: the sheet is never held in memory) twice: once to check every row and count what is
wrong, once to insert, in chunks, inside ONE transaction, so a file either goes in whole (or
whole minus the rows the user chose to skip) or not at all.

Checks per row: a name; a valid mainland mobile or landline; a grade A-D; a source channel
and project that exist in the reference lists (by label or code); a date; the phone not
already on another card (in the database or earlier in the file).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from forms.validators import LANDLINE_RE, is_mobile, normalise_phone
from models.people import User
from models.prospects import GRADES, Prospect
from models.reference import ReferenceItem, ReferenceList
from services import audit

#: Rows inserted (and logged) per statement.
CHUNK = 1000
#: Characters kept of a free-text cell.
NOTES_MAX = 2000

#: Target fields of a welcome card and the headers offices use for them.
FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "客户姓名", "客户", "name", "customer"),
    "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell"),
    "landline": ("座机", "固定电话", "电话", "landline", "phone"),
    "grade": ("等级", "客户等级", "意向等级", "grade"),
    "source": ("来源", "来源渠道", "获知途径", "source", "channel"),
    "project": ("意向项目", "项目", "楼盘", "project"),
    "first_visit_on": ("来访日期", "首次来访", "日期", "first visit", "date"),
    "notes": ("备注", "说明", "notes", "remarks"),
}
REQUIRED = ("name",)
#: Reference list of each reference field.
REFERENCE_LISTS = {"source": "source_channel", "project": "project"}


class ImportFileError(Exception):
    """The file cannot be read as a sheet of welcome cards; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowResult:
    row_number: int
    values: tuple
    errors: list[str] = field(default_factory=list)
    record: dict | None = None


@dataclass
class Report:
    """What a check pass found."""

    headers: list[str]
    total: int = 0
    valid: int = 0
    rejected: list[RowResult] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


# --- reading ----------------------------------------------------------------------------
def open_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, tuple]]]:
    """The header row and an iterator of (row number, values) of the first sheet."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("This is not an Excel .xlsx file (an old .xls must be saved as .xlsx first).")
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise ImportFileError(_("The file has no sheet."))
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or not any(cell not in (None, "") for cell in header):
        workbook.close()
        raise ImportFileError(_("The first row of the first sheet must hold the column titles."))
    headers = [str(cell).strip() if cell is not None else "" for cell in header]

    def body() -> Iterator[tuple[int, tuple]]:
        try:
            for number, values in enumerate(rows, start=2):
                if values and any(cell not in (None, "") for cell in values):
                    yield number, tuple(values)
        finally:
            workbook.close()

    return headers, body()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """{field: column index} from the titles, by the aliases of FIELDS (exact, then prefix)."""
    mapping: dict[str, int] = {}
    normalised = [h.strip().lower() for h in headers]
    for target, aliases in FIELDS.items():
        for alias in aliases:
            if alias.lower() in normalised:
                index = normalised.index(alias.lower())
                if index not in mapping.values():
                    mapping[target] = index
                    break
    return mapping


# --- checking ---------------------------------------------------------------------------
class RowChecker:
    """Checks rows one by one; keeps the phones seen so far to find duplicates in the file."""

    def __init__(self, session: Session, mapping: dict[str, int]):
        self.session = session
        self.mapping = mapping
        self.references = {
            name: _reference_index(session, code) for name, code in REFERENCE_LISTS.items()
        }
        self.seen_phones: dict[str, int] = {}

    def _cell(self, values: tuple, target: str):
        index = self.mapping.get(target)
        if index is None or index >= len(values):
            return None
        value = values[index]
        if isinstance(value, str):
            value = value.strip()
        return None if value == "" else value

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record: dict = {}
        name = self._cell(values, "name")
        if name is None:
            errors.append(_("Name is missing."))
        elif len(str(name)) > 50:
            errors.append(_("Name is longer than 50 characters."))
        else:
            record["name"] = str(name)
        for target, check in (("mobile", is_mobile), ("landline", LANDLINE_RE.fullmatch)):
            raw = self._cell(values, target)
            if raw is None:
                continue
            phone = normalise_phone(str(raw).split(".")[0] if isinstance(raw, float) else str(raw))
            if phone is None or not check(phone):
                errors.append(
                    _("Bad mobile number: %(value)s", value=raw)
                    if target == "mobile"
                    else _("Bad landline: %(value)s", value=raw)
                )
            else:
                record[target] = phone
        grade = self._cell(values, "grade")
        if grade is not None:
            grade = str(grade).upper()
            if grade not in GRADES:
                errors.append(_("Grade must be A, B, C or D, not %(value)s.", value=grade))
            else:
                record["grade"] = grade
        for target in REFERENCE_LISTS:
            raw = self._cell(values, target)
            if raw is None:
                continue
            item_id = self.references[target].get(str(raw).strip().lower())
            if item_id is None:
                errors.append(
                    _("Unknown %(what)s: %(value)s", what=_field_label(target), value=raw)
                )
            else:
                record[f"{target}_id"] = item_id
        visit = self._cell(values, "first_visit_on")
        if visit is not None:
            day = _as_date(visit)
            if day is None:
                errors.append(_("Bad date: %(value)s (use 2026-03-01)", value=visit))
            else:
                record["first_visit_on"] = day
                record["last_contact_on"] = day
        notes = self._cell(values, "notes")
        if notes is not None:
            record["notes"] = str(notes)[:NOTES_MAX]
        phone = record.get("mobile")
        if phone:
            earlier = self.seen_phones.get(phone)
            if earlier is not None:
                errors.append(_("Same mobile as row %(row)s of this file.", row=earlier))
            else:
                self.seen_phones[phone] = row_number
        result.record = None if errors else record
        return result

    def mark_existing(self, results: list[RowResult]) -> None:
        """Reject rows whose mobile is already on a card in the database (one query)."""
        phones = {r.record["mobile"] for r in results if r.record and r.record.get("mobile")}
        for phone in existing_phones(self.session, phones):
            for r in results:
                if r.record and r.record.get("mobile") == phone:
                    r.errors.append(
                        _("A customer with mobile %(value)s already exists.", value=phone)
                    )
                    r.record = None


def existing_phones(session: Session, phones: set[str]) -> set[str]:
    """The phones of ``phones`` already on a welcome card. The one place the import looks a
    phone up, so it follows however phones are stored."""
    if not phones:
        return set()
    return set(session.scalars(select(Prospect.mobile).where(Prospect.mobile.in_(phones))))


def _chunks(session: Session, mapping: dict[str, int], rows) -> Iterator[list[RowResult]]:
    checker = RowChecker(session, mapping)
    chunk: list[RowResult] = []
    for number, values in rows:
        chunk.append(checker.check(number, values))
        if len(chunk) >= CHUNK:
            checker.mark_existing(chunk)
            yield chunk
            chunk = []
    if chunk:
        checker.mark_existing(chunk)
        yield chunk


def check_file(
    session: Session,
    path: Path,
    mapping: dict[str, int],
    *,
    keep_rejected: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Check every row; the report keeps up to ``keep_rejected`` rejected rows."""
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ImportFileError(_("Choose the column that holds the customer's name."))
    headers, rows = open_rows(path)
    report = Report(headers)
    for chunk in _chunks(session, mapping, rows):
        for result in chunk:
            report.total += 1
            if result.record is None:
                if len(report.rejected) < keep_rejected:
                    report.rejected.append(result)
            else:
                report.valid += 1
        if progress:
            progress(report.total)
    return report


@dataclass
class Outcome:
    inserted: int
    skipped: int


class RowsRejected(ImportFileError):
    pass


def import_file(
    session: Session,
    user: User,
    path: Path,
    mapping: dict[str, int],
    *,
    skip_rejected: bool,
    actor: audit.Actor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Insert the valid rows in the caller's transaction; refuse the whole file when a row is
    wrong and ``skip_rejected`` is not chosen. The caller commits (or rolls back) once."""
    _headers, rows = open_rows(path)
    actor = actor or audit.Actor(user.id, user.username, user.role_code)
    consultant_id = user.id if user.has_role("clerk") else None
    inserted = skipped = seen = 0
    for chunk in _chunks(session, mapping, rows):
        records = []
        for result in chunk:
            if result.record is None:
                if not skip_rejected:
                    raise RowsRejected(
                        _("Row %(row)s is wrong: nothing was imported.", row=result.row_number)
                    )
                skipped += 1
                continue
            records.append(
                {
                    "name": None,
                    "mobile": None,
                    "landline": None,
                    "grade": None,
                    "source_id": None,
                    "project_id": None,
                    "first_visit_on": None,
                    "last_contact_on": None,
                    "notes": None,
                    **result.record,
                    "progress": "follow_up",
                    "is_scout": False,
                    "consultant_id": consultant_id,
                    "created_by_id": user.id,
                }
            )
        if records:
            ids = list(session.scalars(insert(Prospect).returning(Prospect.id), records))
            inserted += len(ids)
            audit.record(session, actor, "import", record_type="prospect", record_ids=ids)
        seen += len(chunk)
        if progress:
            progress(seen)
    return Outcome(inserted, skipped)


def rejected_workbook(report: Report, target: Path) -> Path:
    """The rejected rows with their original columns and an error column, to fix and re-upload."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([*report.headers, _("Errors")])
    for result in report.rejected:
        cells = list(result.values) + [None] * (len(report.headers) - len(result.values))
        sheet.append([*cells[: len(report.headers)], "; ".join(result.errors)])
    workbook.save(target)
    return target


# --- helpers ----------------------------------------------------------------------------
def _reference_index(session: Session, list_code: str) -> dict[str, int]:
    """{label, English label and code, lower-cased: item id} of a reference list."""
    index: dict[str, int] = {}
    items = session.execute(
        select(ReferenceItem.id, ReferenceItem.code, ReferenceItem.label, ReferenceItem.label_en)
        .join(ReferenceList)
        .where(ReferenceList.code == list_code, ReferenceItem.active.is_(True))
    )
    for item_id, code, label, label_en in items:
        for key in (code, label, label_en):
            if key:
                index.setdefault(str(key).strip().lower(), item_id)
    return index


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _field_label(target: str) -> str:
    return {"source": _("source channel"), "project": _("project")}.get(target, target)


def field_labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "mobile": _("Mobile"),
        "landline": _("Landline"),
        "grade": _("Grade"),
        "source": _("Source channel"),
        "project": _("Intended project"),
        "first_visit_on": _("First visit date"),
        "notes": _("Notes"),
    }
