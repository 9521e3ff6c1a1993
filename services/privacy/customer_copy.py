"""The copy of their data a customer is given on request (PIPL art. 45): one document of
sections and rows, written as an XLSX workbook or shown as an A4 print page.

The document is for the customer to read, so every value is already what a person reads:
labels instead of codes, reference-list items by their label, 是/否 for flags, dates as dates,
times in Beijing time, people by name. The numbers (mobile, ID) are in full: it is the
customer's own data, given to that customer only. Internal record numbers, blind indexes and
ciphertext never reach it; the sections are built from the values a details page shows
(views/privacy/customer_copy.py chooses them, with the screens' own labels).

Each copy given, as a workbook or a print, is one ``subject_copy`` access-log event in the
transaction of the request that gives it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import MINUTE_FORMAT, in_office_zone
from core.masking import neutralise_formula
from models.admin.people import User
from models.admin.reference import ReferenceItem
from models.archive.archives import ArchiveFile
from models.privacy.privacy import SubjectRequest
from models.property.moves import MoveIn
from models.property.property import Owner, ParkingSpace, ResidentCard, Tenant
from models.property.transfers import Transfer
from models.sales.prospects import Prospect
from models.sales.sales import IdentityCheck
from services.privacy import audit, sharing
from services.privacy.consent import for_subject
from services.privacy.subject_requests import subject_of

YES = _l("Yes")
NO = _l("No")
#: Access-log action of a copy given (a workbook or a print).
LOG_ACTION = "subject_copy"
#: Widest column of the workbook, in characters; longer text wraps.
MAX_WIDTH = 60
MIN_WIDTH = 8
#: Excel's limits on a sheet name.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

#: A cell as the document holds it: text, a number, a date or an office-time datetime.
Cell = str | int | Decimal | date | datetime


@dataclass(frozen=True)
class Section:
    """One part of the copy: a heading and a table (a sheet of the workbook)."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    #: Said instead of an empty table ("no receptions recorded").
    empty: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    #: Who the copy is about, as a person reads it (kind and name).
    customer: str
    made_on: date
    sections: Sequence[Section] = field(default_factory=tuple)


# --- what is held -----------------------------------------------------------------------------
@dataclass
class Held:
    """Everything the office holds about one person, as records (the view labels them)."""

    subject_type: str
    person: object
    consents: list = field(default_factory=list)
    archive_files: list = field(default_factory=list)
    visits: list = field(default_factory=list)
    identity_checks: list = field(default_factory=list)
    ownerships: list = field(default_factory=list)
    parking_spaces: list = field(default_factory=list)
    transfers: list = field(default_factory=list)
    move_ins: list = field(default_factory=list)
    leases: list = field(default_factory=list)
    resident_cards: list = field(default_factory=list)
    #: Every share of the person's data with a partner (services/privacy/sharing.py), and
    #: their separate consents to partners.
    shares: list = field(default_factory=list)
    partner_consents: list = field(default_factory=list)


def held_about(session: Session, subject_type: str, subject_id: int) -> Held | None:
    """The person and every record about them, or None when there is no such person.

    Household members of an owner's unit are other people's data and stay out."""
    person = subject_of(session, subject_type, subject_id)
    if person is None:
        return None
    held = Held(subject_type, person, consents=for_subject(session, subject_type, subject_id))
    held.shares = sharing.shares_for(session, subject_type, subject_id)
    held.partner_consents = sharing.consents_for(session, subject_type, subject_id)
    if isinstance(person, Prospect):
        held.visits = list(person.visits)
        held.identity_checks = _all(
            session, IdentityCheck, IdentityCheck.prospect_id == person.id, IdentityCheck.checked_at
        )
        held.archive_files = _all(
            session, ArchiveFile, ArchiveFile.prospect_id == person.id, ArchiveFile.code
        )
    elif isinstance(person, Owner):
        held.ownerships = sorted(person.ownerships, key=lambda o: (o.started_on, o.id))
        held.parking_spaces = _all(
            session, ParkingSpace, ParkingSpace.owner_id == person.id, ParkingSpace.code
        )
        held.transfers = _all(
            session,
            Transfer,
            or_(Transfer.seller_id == person.id, Transfer.buyer_id == person.id),
            Transfer.opened_on,
        )
        held.move_ins = _all(session, MoveIn, MoveIn.owner_id == person.id, MoveIn.moved_in_on)
        held.archive_files = _all(
            session, ArchiveFile, ArchiveFile.owner_id == person.id, ArchiveFile.code
        )
    elif isinstance(person, Tenant):
        held.leases = sorted(person.leases, key=lambda lease: (lease.starts_on, lease.id))
        held.resident_cards = _all(
            session, ResidentCard, ResidentCard.tenant_id == person.id, ResidentCard.issued_on
        )
    return held


def _all(session: Session, model, condition, order) -> list:
    return list(session.scalars(select(model).where(condition).order_by(order, model.id)))


# --- values ---------------------------------------------------------------------------------
def office_time(at: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as Beijing time, to the minute, kept typed for the workbook.

    The zone rule is core.clock's (the one every page uses); text() prints it the same way."""
    if at is None:
        return None
    return in_office_zone(at).replace(tzinfo=None, second=0, microsecond=0)


def cell(value, choices: Iterable[tuple[str, object]] | None = None) -> Cell:
    """``value`` as the customer reads it.

    ``choices`` are (code, label) pairs of a coded column (a status, who pays a fee): the
    code becomes its label. A reference item is its label, an account its person's name, a
    flag 是/否, a stored time Beijing time; numbers and dates stay typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(YES if value else NO)
    if choices is not None and isinstance(value, str):
        return str(dict(choices).get(value, value))
    if isinstance(value, ReferenceItem):
        return str(value)
    if isinstance(value, User):
        return value.full_name
    if isinstance(value, datetime):
        return office_time(value)
    if isinstance(value, int | Decimal | date | str):
        return value
    return str(value)


def text(value: Cell) -> str:
    """A cell as plain text (the print page)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # Already in Beijing time (cell() converted it): only the office's format is applied.
        return value.strftime(MINUTE_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def labelled(pairs: Iterable[tuple[object, object]], *, skip_empty: bool = True) -> str:
    """Several notes in one cell, one per line: "顾虑：价格"."""
    lines = []
    for label, value in pairs:
        shown = text(cell(value))
        if shown or not skip_empty:
            lines.append(f"{label}：{shown}")
    return "\n".join(lines)


# --- the workbook -----------------------------------------------------------------------------
def workbook(document: Document) -> bytes:
    """The document as XLSX: one sheet per section, Chinese names and headers, widths that
    fit the text (long text wraps), the header row frozen. Every text cell is made
    formula-safe: a note typed as "=..." stays text."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for section in document.sections:
        sheet = book.create_sheet(_sheet_name(section.title, taken))
        sheet.append([str(c) for c in section.columns])
        for header in sheet[1]:
            header.font = Font(bold=True)
            header.fill = PatternFill("solid", fgColor="DDDDDD")
        if not section.rows:
            sheet.append([section.empty] if section.empty else [])
        for row in section.rows:
            sheet.append([_xlsx_value(value) for value in row])
        _fit(sheet, section)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Cell):
    if isinstance(value, Decimal):
        return float(value)
    return neutralise_formula(value)


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", str(title)).strip()[:_SHEET_NAME_MAX] or "Sheet"
    name, n = base, 2
    while name in taken:
        suffix = f" {n}"
        name = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _width(value: Cell) -> int:
    shown = text(value)
    # CJK characters take about two columns of a Latin digit.
    return max(
        (sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in shown.split("\n")), default=0
    )


def _fit(sheet, section: Section) -> None:
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, header in enumerate(section.columns, start=1):
        values = [header, *(row[index - 1] for row in section.rows if len(row) >= index)]
        width = min(MAX_WIDTH, max(MIN_WIDTH, *(_width(v) + 2 for v in values)))
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        for (item,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(item.value, datetime):
                item.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(item.value, date):
                item.number_format = "yyyy-mm-dd"
            else:
                item.alignment = wrap


# --- the log ----------------------------------------------------------------------------------
def log_copy(session: Session, actor, request: SubjectRequest, *, path: str | None = None):
    """One event per copy given, in the caller's transaction (no log, no copy)."""
    audit.record(
        session,
        actor,
        LOG_ACTION,
        record_type=request.subject_type,
        record_id=request.subject_id,
        path=path,
    )
