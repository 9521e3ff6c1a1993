"""Excel import of welcome cards and owner lists: map the columns, check every row, import
all or nothing.

Offices keep years of welcome cards in Excel. A file is read row by row (openpyxl read-only
mode: the sheet is never held in memory) twice: once to check every row and count what is
wrong, once to insert, in chunks, inside ONE transaction, so a file either goes in whole (or
whole minus the rows the user chose to skip) or not at all.

Checks per row: a name; a valid mainland mobile or landline; a grade A-D; a source channel
and project that exist in the reference lists (by label or code); a date; the phone not
already on another card (in the database or earlier in the file).
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import insert, select, true
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from core import crypto
from core.phones import LANDLINE_RE, is_mobile, normalise_phone
from models.admin.offices import account_office_id, default_office_id, project_office_id
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.privacy import ConsentRecord
from models.property.property import Owner
from models.sales.prospects import GRADES, Prospect
from models.types import blind_index_of, blind_indexes_for
from services.admin.offices import office_clause
from services.privacy import audit
from services.sales import consultants
from services.sales.workbook_limits import (
    ImportLimits,
    WorkbookRefused,
    inspect_rows,
    inspect_zip,
    too_many_columns,
    too_many_rows,
    too_slow,
)
from services.shared import name_search

#: Rows inserted (and logged) per statement.
CHUNK = 1000
#: Characters kept of a free-text cell.
NOTES_MAX = 2000


@dataclass(frozen=True)
class Kind:
    """What one import kind makes: its model, fields with the titles offices use for them,
    each field's check, the reference list of reference fields, and fixed values."""

    model: type
    record_type: str
    fields: dict[str, tuple[str, ...]]
    checks: dict[str, str]
    references: dict[str, str]
    fixed: dict
    #: Fields whose value may be on one record only (duplicate check).
    unique: tuple[str, ...]
    #: Bases a record of the kind may be kept on (PIPL), as on its create form.
    consent_bases: tuple[str, ...] = ("consent",)


KINDS: dict[str, Kind] = {
    "prospect": Kind(
        model=Prospect,
        record_type="prospect",
        fields={
            "name": ("姓名", "客户姓名", "客户", "name", "customer"),
            "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell"),
            "landline": ("座机", "固定电话", "电话", "landline", "phone"),
            "grade": ("等级", "客户等级", "意向等级", "grade"),
            "source": ("来源", "来源渠道", "获知途径", "source", "channel"),
            "project": ("意向项目", "项目", "楼盘", "project"),
            "first_visit_on": ("来访日期", "首次来访", "日期", "first visit", "date"),
            "notes": ("备注", "说明", "notes", "remarks"),
        },
        checks={
            "name": "name",
            "mobile": "mobile",
            "landline": "landline",
            "grade": "grade",
            "source": "reference",
            "project": "reference",
            "first_visit_on": "visit_date",
            "notes": "text",
        },
        references={"source": "source_channel", "project": "project"},
        fixed={"progress": "follow_up", "is_scout": False},
        unique=("mobile",),
    ),
    "owner": Kind(
        model=Owner,
        record_type="owner",
        fields={
            "name": ("姓名", "业主姓名", "业主", "name", "owner"),
            "mobile": ("手机", "手机号", "手机号码", "移动电话", "mobile", "cell"),
            "landline": ("座机", "固定电话", "电话", "landline", "phone"),
            "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id number", "id"),
            "address": ("地址", "联系地址", "通讯地址", "address"),
            "notes": ("备注", "说明", "notes", "remarks"),
        },
        checks={
            "name": "name",
            "mobile": "mobile",
            "landline": "landline",
            "id_number": "id_number",
            "address": "text200",
            "notes": "text",
        },
        references={},
        fixed={},
        unique=("mobile", "id_number"),
        consent_bases=("contract", "consent"),
    ),
}
#: The welcome-card fields (kept for callers that import cards only).
FIELDS = KINDS["prospect"].fields
REQUIRED = ("name",)


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
def open_rows(
    path: Path | BinaryIO, limits: ImportLimits | None = None
) -> tuple[list[str], Iterator[tuple[int, tuple]]]:
    """The header row and an iterator of (row number, values) of the first sheet.

    The zip is inspected before openpyxl opens it (services/sales/workbook_limits.py), and the
    rows stop at the row cap, the column cap and the time limit: a bomb is refused with a
    message (ImportFileError), never read to its end."""
    limits = limits or ImportLimits.current()
    try:
        inspect_zip(_rewound(path), limits)
        inspect_rows(_rewound(path), limits)
    except WorkbookRefused as exc:
        raise ImportFileError(exc.message) from exc
    try:
        path = _rewound(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            _("This is not an Excel .xlsx file (an old .xls must be saved as .xlsx first).")
        ) from exc
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise ImportFileError(_("The file has no sheet."))
    # One column past the cap is read, to tell a too-wide sheet from one at the cap; a
    # declared dimension of A1:XFD1048576 would otherwise pad every row to 16,384 cells.
    rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
    header = next(rows, None)
    if header is None or not any(cell not in (None, "") for cell in header):
        rows.close()
        workbook.close()
        raise ImportFileError(_("The first row of the first sheet must hold the column titles."))
    if len(header) > limits.max_columns and header[limits.max_columns] not in (None, ""):
        rows.close()  # openpyxl's reader holds the sheet's stream open until closed
        workbook.close()
        raise ImportFileError(too_many_columns(limits).message)
    header = header[: limits.max_columns]
    headers = [str(cell).strip() if cell is not None else "" for cell in header]

    def body() -> Iterator[tuple[int, tuple]]:
        deadline = time.monotonic() + limits.max_seconds
        try:
            for number, values in enumerate(rows, start=2):
                # Empty rows count: millions of them cost time although none is kept.
                if number > limits.max_rows + 1:
                    raise ImportFileError(too_many_rows(limits).message)
                if number % 1000 == 0 and time.monotonic() > deadline:
                    raise ImportFileError(too_slow(limits).message)
                values = values[: limits.max_columns]
                # counted in C: empty rows (most rows of a bomb) cost next to nothing
                if values and values.count(None) + values.count("") < len(values):
                    yield number, tuple(values)
        finally:
            rows.close()  # openpyxl's reader holds the sheet's stream open until closed
            workbook.close()

    return headers, body()


def _rewound(source: Path | BinaryIO) -> Path | BinaryIO:
    # An upload is opened in memory (services/sales/import_store.py), read more than once.
    if hasattr(source, "seek"):
        source.seek(0)
    return source


def guess_mapping(headers: list[str], kind: str = "prospect") -> dict[str, int]:
    """{field: column index} from the titles, by the aliases of the kind's fields."""
    mapping: dict[str, int] = {}
    normalised = [h.strip().lower() for h in headers]
    for target, aliases in KINDS[kind].fields.items():
        for alias in aliases:
            if alias.lower() in normalised:
                index = normalised.index(alias.lower())
                if index not in mapping.values():
                    mapping[target] = index
                    break
    return mapping


# --- checking ---------------------------------------------------------------------------
class RowChecker:
    """Checks rows one by one; keeps the unique values seen so far to find duplicates in the
    file itself."""

    def __init__(
        self,
        session: Session,
        mapping: dict[str, int],
        kind: str = "prospect",
        user: User | None = None,
    ):
        self.session = session
        self.mapping = mapping
        self.kind = KINDS[kind]
        #: Whose offices' records a row may duplicate (None: the whole group's).
        self.user = user
        self.references = {
            name: _reference_index(session, code) for name, code in self.kind.references.items()
        }
        self.seen: dict[tuple[str, str], int] = {}

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
        record: dict = {}
        for target, check in self.kind.checks.items():
            raw = self._cell(values, target)
            if raw is None:
                if check == "name":
                    result.errors.append(_("Name is missing."))
                continue
            error = getattr(self, f"_check_{check}")(target, raw, record)
            if error:
                result.errors.append(error)
        for target in self.kind.unique:
            value = record.get(target)
            if not value:
                continue
            earlier = self.seen.get((target, value))
            if earlier is not None:
                result.errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=_field_label(target),
                        row=earlier,
                    )
                )
            else:
                self.seen[(target, value)] = row_number
        result.record = None if result.errors else record
        return result

    # Each check stores the clean value in ``record`` or returns the message of what is wrong.
    def _check_name(self, target, raw, record):
        if len(str(raw)) > 50:
            return _("Name is longer than 50 characters.")
        record[target] = str(raw)
        return None

    def _check_mobile(self, target, raw, record):
        phone = normalise_phone(_text_of_number(raw))
        if phone is None or not is_mobile(phone):
            return _("Bad mobile number: %(value)s", value=raw)
        record[target] = phone
        return None

    def _check_landline(self, target, raw, record):
        phone = normalise_phone(_text_of_number(raw))
        if phone is None or not LANDLINE_RE.fullmatch(phone):
            return _("Bad landline: %(value)s", value=raw)
        record[target] = phone
        return None

    def _check_id_number(self, target, raw, record):
        try:
            record[target] = ric.validate(_text_of_number(raw).strip().upper())
        # KeyError: python-stdnum fails so on a place code it knows without a county.
        except (StdnumError, KeyError):
            return _(
                "Bad ID number (check the digits and the last character): %(value)s", value=raw
            )
        return None

    def _check_grade(self, target, raw, record):
        grade = str(raw).upper()
        if grade not in GRADES:
            return _("Grade must be A, B, C or D, not %(value)s.", value=grade)
        record[target] = grade
        return None

    def _check_reference(self, target, raw, record):
        item_id = self.references[target].get(str(raw).strip().lower())
        if item_id is None:
            return _("Unknown %(what)s: %(value)s", what=_field_label(target), value=raw)
        record[f"{target}_id"] = item_id
        return None

    def _check_visit_date(self, target, raw, record):
        day = _as_date(raw)
        if day is None:
            return _("Bad date: %(value)s (use 2026-03-01)", value=raw)
        record[target] = day
        record["last_contact_on"] = day
        return None

    def _check_text(self, target, raw, record):
        record[target] = str(raw)[:NOTES_MAX]
        return None

    def _check_text200(self, target, raw, record):
        if len(str(raw)) > 200:
            return _("%(what)s is longer than 200 characters.", what=_field_label(target))
        record[target] = str(raw)
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """Reject rows whose unique values are already on a record (one query per field)."""
        for target in self.kind.unique:
            values = {r.record[target] for r in results if r.record and r.record.get(target)}
            for value in existing_values(self.session, self.kind, target, values, self.user):
                for r in results:
                    if r.record and r.record.get(target) == value:
                        r.errors.append(
                            _(
                                "A customer with %(what)s %(value)s already exists.",
                                what=_field_label(target),
                                value=value,
                            )
                        )
                        r.record = None


def existing_values(
    session: Session, kind: Kind, target: str, values: set[str], user: User | None = None
) -> set[str]:
    """The values of ``values`` already stored in ``target`` of the kind's table, in
    ``user``'s offices when given (another office's customers are neither duplicates nor
    shown to exist: issue 18). The one place the import looks a phone or ID number up, so
    it follows however they are stored."""
    if not values:
        return set()
    column = getattr(kind.model, target)
    offices = true() if user is None else office_clause(kind.model.office_id, user)
    kept = blind_index_of(column)
    if kept is None:
        return set(session.scalars(select(column).where(column.in_(values), offices)))
    # Encrypted: look the keyed indexes up, then map them back to what the file holds.
    index_attr, purpose = kept
    by_index = {crypto.blind_index(v, purpose): v for v in values if crypto.normalise(v, purpose)}
    found = session.scalars(select(index_attr).where(index_attr.in_(list(by_index)), offices))
    return {by_index[index] for index in found}


def existing_phones(session: Session, phones: set[str]) -> set[str]:
    return existing_values(session, KINDS["prospect"], "mobile", phones)


def _text_of_number(raw) -> str:
    # Excel stores a typed phone as a number: 13812345678.0 must read 13812345678.
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _chunks(
    session: Session, mapping: dict[str, int], rows, kind: str, user: User | None = None
) -> Iterator[list[RowResult]]:
    checker = RowChecker(session, mapping, kind, user)
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
    path: Path | BinaryIO,
    mapping: dict[str, int],
    *,
    keep_rejected: int = 10_000,
    progress: Callable[[int], None] | None = None,
    kind: str = "prospect",
    user: User | None = None,
) -> Report:
    """Check every row; the report keeps up to ``keep_rejected`` rejected rows. A row
    duplicating a record of ``user``'s offices is rejected (None: of any office)."""
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise ImportFileError(_("Choose the column that holds the customer's name."))
    headers, rows = open_rows(path)
    report = Report(headers)
    for chunk in _chunks(session, mapping, rows, kind, user):
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


@dataclass(frozen=True)
class ConsentBasis:
    """The basis the importing user states once for the whole file (PIPL), recorded for
    every card the file creates, as the create form records it for one card."""

    basis: str
    purpose: str
    policy_version: str


def _consent_rows(consent: ConsentBasis, subject_type: str, ids, user: User) -> list[dict]:
    return [
        {
            "subject_type": subject_type,
            "subject_id": record_id,
            "basis": consent.basis,
            "purpose": consent.purpose,
            "policy_version": consent.policy_version,
            "recorded_by_id": user.id,
        }
        for record_id in ids
    ]


def _office_placer(session: Session, user: User, model) -> Callable[[dict], int]:
    """Where an imported row belongs (a bulk insert passes the ORM event that places rows):
    the office holding the row's project, else the importer's own office of that kind."""
    kind = model.__office_kind__
    own = account_office_id(session, user.id, kind) or default_office_id(session)
    by_project: dict[int, int] = {}

    def place(record: dict) -> int:
        project = record.get("project_id")
        if project is None or model.__office_project__ is None:
            return own
        if project not in by_project:
            by_project[project] = project_office_id(session, project, kind) or own
        return by_project[project]

    return place


def import_file(
    session: Session,
    user: User,
    path: Path | BinaryIO,
    mapping: dict[str, int],
    *,
    skip_rejected: bool,
    actor: audit.Actor | None = None,
    progress: Callable[[int], None] | None = None,
    kind: str = "prospect",
    consent: ConsentBasis | None = None,
) -> Outcome:
    """Insert the valid rows in the caller's transaction, each with its consent record;
    refuse the whole file when a row is wrong and ``skip_rejected`` is not chosen, or when no
    allowed basis is stated. The caller commits (or rolls back) once."""
    spec = KINDS[kind]
    if consent is None or consent.basis not in spec.consent_bases:
        raise ImportFileError(
            _("State the basis the customers' data is kept on before importing them.")
        )
    _headers, rows = open_rows(path)
    actor = actor or audit.Actor(user.id, user.username, user.role_code)
    empty = {column: None for column in _stored_columns(spec)}
    owner_of_card = {}
    if spec.model is Prospect:
        # The importing consultant owns the cards; other accounts leave them unassigned.
        consultant = consultants.default_consultant(user)
        owner_of_card = {"consultant_id": consultant.id if consultant else None}
    place = _office_placer(session, user, spec.model)
    inserted = skipped = seen = 0
    for chunk in _chunks(session, mapping, rows, kind, user):
        records = []
        for result in chunk:
            if result.record is None:
                if not skip_rejected:
                    raise RowsRejected(
                        _("Row %(row)s is wrong: nothing was imported.", row=result.row_number)
                    )
                skipped += 1
                continue
            record = {**empty, **result.record, **spec.fixed, **owner_of_card}
            record["office_id"] = place(record)
            # A bulk insert passes the attribute events that keep the blind indexes.
            records.append(
                {**record, **blind_indexes_for(spec.model, record), "created_by_id": user.id}
            )
        if records:
            # Ids in the order of the rows, so each name gets its own tokens.
            returning = insert(spec.model).returning(spec.model.id, sort_by_parameter_order=True)
            ids = list(session.scalars(returning, records))
            kind = name_search.kind_of(spec.model)
            if kind is not None:
                # The bulk insert passes the ORM events that keep the name-search tokens.
                names = [record.get("name") for record in records]
                name_search.bulk_tokens(session, kind, zip(ids, names, strict=True))
            inserted += len(ids)
            session.execute(
                insert(ConsentRecord), _consent_rows(consent, spec.record_type, ids, user)
            )
            audit.record(session, actor, "import", record_type=spec.record_type, record_ids=ids)
        seen += len(chunk)
        if progress:
            progress(seen)
    return Outcome(inserted, skipped)


def rejected_workbook(report: Report, target: Path | BinaryIO) -> Path | BinaryIO:
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


def _stored_columns(spec: Kind) -> list[str]:
    """Model columns every inserted row names (a multi-row INSERT needs the same keys)."""
    columns = []
    for target, check in spec.checks.items():
        if check == "reference":
            columns.append(f"{target}_id")
        else:
            columns.append(target)
        if check == "visit_date":
            columns.append("last_contact_on")
    return columns


def _field_label(target: str) -> str:
    return {
        "source": _("source channel"),
        "project": _("project"),
        "mobile": _("mobile"),
        "id_number": _("ID number"),
        "address": _("Address"),
    }.get(target, target)


def field_labels(kind: str = "prospect") -> dict[str, str]:
    labels = {
        "name": _("Name"),
        "mobile": _("Mobile"),
        "landline": _("Landline"),
        "grade": _("Grade"),
        "source": _("Source channel"),
        "project": _("Intended project"),
        "first_visit_on": _("First visit date"),
        "id_number": _("ID number"),
        "address": _("Address"),
        "notes": _("Notes"),
    }
    return {target: labels[target] for target in KINDS[kind].fields}
