"""Customers' requests about their data, anonymisation, and the retention review.

PIPL gives a person the right to a copy of their data, to have it corrected and to have it
deleted. The office registers each request with a due date 15 working days after receipt
(Chinese calendar), and answers it from the record: a copy is an XLSX of everything held
about the person (the one export that is not masked: it is their own data), a correction is
an edit that goes through the approval rules, a deletion anonymises the person once a second
person has approved. Anonymising keeps the record and its statistics (grade, dates,
consultant, counts) and clears every personal field, the blind indexes (through the
attribute events) and the old values in the change history.

The retention review finds records past the period configured for their type
(RETENTION_DAYS); anonymising them in bulk is asked by one person and run only when another
approves, and the ids go to the access log.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session

from models.approvals import ChangeRequest, RecordHistory
from models.people import User
from models.privacy import ConsentRecord, RetentionBatch, SubjectRequest
from models.property import Owner, Tenant
from models.prospects import Prospect
from services import audit
from services.workdays import WorkdayCalendar

#: Working days the office has to answer.
ANSWER_WORKDAYS = 15
#: What an anonymised person is called.
ANONYMISED = "已匿名"
#: Roles that may approve an anonymisation (never the person who asked for it).
APPROVERS = ("supervisor", "admin")

MODELS = {"prospect": Prospect, "owner": Owner, "tenant": Tenant}
#: Personal fields cleared by anonymisation (name is replaced, the rest set to NULL).
PERSONAL_FIELDS = {
    "prospect": ("mobile", "landline", "notes"),
    "owner": ("mobile", "landline", "id_number", "address", "notes"),
    "tenant": ("mobile", "id_number", "notes"),
}
VISIT_FIELDS = (
    "appearance",
    "character",
    "job_finances",
    "housing_owned",
    "reasons_needs",
    "concerns",
    "presented",
    "interests",
    "open_problems",
    "next_appointment_pretext",
    "next_time_todo",
    "reflection",
)


class RequestError(ValueError):
    """The step is not allowed now or by this person; the message is for the user."""


def due_date(session: Session, received_on: date) -> date:
    return WorkdayCalendar.from_session(session).add_workdays(received_on, ANSWER_WORKDAYS).day


def subject_of(session: Session, subject_type: str, subject_id: int):
    model = MODELS.get(subject_type)
    return session.get(model, subject_id) if model is not None else None


def register(session: Session, request: SubjectRequest, user: User, actor) -> SubjectRequest:
    """Complete a new request (due date, who) and log it, in the caller's transaction."""
    # The request is already in the session: no autoflush before it is complete.
    with session.no_autoflush:
        if subject_of(session, request.subject_type, request.subject_id) is None:
            raise RequestError(_("no such customer record"))
        request.due_on = due_date(session, request.received_on)
    request.registered_by_id = user.id
    request.status = "open"
    session.flush()
    _log(session, actor, "subject_request", request)
    return request


def copy_workbook(session: Session, request: SubjectRequest, actor) -> bytes:
    """Everything held about the person, unmasked, as XLSX; logged."""
    person = subject_of(session, request.subject_type, request.subject_id)
    if person is None:
        raise RequestError(_("no such customer record"))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("record")
    sheet.append(["field", "value"])
    for column in inspect(type(person)).columns:
        if column.key.endswith("_bidx"):
            continue
        value = getattr(person, column.key)
        sheet.append([column.key, _cell(value)])
    if isinstance(person, Prospect):
        _rows(workbook, "visits", person.visits, exclude=("prospect_id",))
    if isinstance(person, Owner):
        _rows(workbook, "ownerships", person.ownerships, exclude=())
    if isinstance(person, Tenant):
        _rows(workbook, "leases", person.leases, exclude=())
    consents = session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.subject_type == request.subject_type,
            ConsentRecord.subject_id == request.subject_id,
        )
    ).all()
    _rows(workbook, "consents", consents, exclude=())
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(
        session,
        actor,
        "subject_copy",
        record_type=request.subject_type,
        record_id=request.subject_id,
    )
    return buffer.getvalue()


def _rows(workbook, title: str, items, exclude) -> None:
    sheet = workbook.create_sheet(title)
    items = list(items)
    if not items:
        sheet.append(["(none)"])
        return
    keys = [c.key for c in inspect(type(items[0])).columns if c.key not in exclude]
    sheet.append(keys)
    for item in items:
        sheet.append([_cell(getattr(item, key)) for key in keys])


def _cell(value):
    if value is None or isinstance(value, int | float | str | date):
        return value
    return str(value)


def ask_anonymise(session: Session, request: SubjectRequest, user: User, actor) -> None:
    if request.kind != "delete" or request.status != "open":
        raise RequestError(_("only an open deletion request can be sent for approval"))
    request.status = "awaiting_approval"
    request.anonymise_requested_by_id = user.id
    _log(session, actor, "anonymise_asked", request)


def approve_anonymise(session: Session, request: SubjectRequest, user: User, actor) -> None:
    if request.status != "awaiting_approval":
        raise RequestError(_("this request is not waiting for approval"))
    _check_approver(user, request.anonymise_requested_by_id)
    anonymise(session, request.subject_type, request.subject_id)
    request.status = "answered"
    request.approved_by_id = request.answered_by_id = user.id
    request.answered_at = _now()
    _log(session, actor, "anonymise", request)


def answer(
    session: Session, request: SubjectRequest, user: User, actor, note: str, *, refuse=False
):
    if request.status not in ("open",):
        raise RequestError(_("this request is already answered"))
    if not (note or "").strip():
        raise RequestError(_("write what the customer was told"))
    request.status = "refused" if refuse else "answered"
    request.answer_note = note.strip()[:2000]
    request.answered_by_id = user.id
    request.answered_at = _now()
    _log(session, actor, "subject_refused" if refuse else "subject_answered", request)


def anonymise(session: Session, subject_type: str, subject_id: int) -> None:
    """Clear the person's personal data in place; the record and its statistics stay."""
    person = subject_of(session, subject_type, subject_id)
    if person is None:
        raise RequestError(_("no such customer record"))
    person.name = ANONYMISED
    for field in PERSONAL_FIELDS[subject_type]:
        setattr(person, field, None)  # attribute events clear the blind indexes too
    if isinstance(person, Prospect):
        for visit in person.visits:
            visit.summary = "（已匿名）"
            for field in VISIT_FIELDS:
                setattr(visit, field, None)
    # Old values of edits and requests would keep the data: clear them (through the ORM, so
    # the encrypted column type writes them; there are few per record).
    for entry in session.scalars(
        select(RecordHistory).where(
            RecordHistory.record_type == subject_type, RecordHistory.record_id == subject_id
        )
    ):
        entry.changes = None
    for change in session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.record_type == subject_type, ChangeRequest.record_id == subject_id
        )
    ):
        change.changes = {}


# --- retention ------------------------------------------------------------------------------
def retention_candidates(session: Session, record_type: str, cutoff: date):
    """Query of ids past retention: prospects not signed and not contacted since ``cutoff``."""
    if record_type != "prospect":
        raise RequestError(_("the retention review covers welcome cards"))
    last = func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on)
    return select(Prospect.id).where(
        Prospect.name != ANONYMISED,
        Prospect.progress != "signed",
        or_(last < cutoff, last.is_(None) & (func.date(Prospect.created_at) < cutoff)),
    )


def cutoff_for(today: date, days: int) -> date:
    return today - timedelta(days=days)


def request_batch(session: Session, user: User, actor, record_type: str, cutoff: date):
    expected = session.scalar(
        select(func.count()).select_from(
            retention_candidates(session, record_type, cutoff).subquery()
        )
    )
    if not expected:
        raise RequestError(_("nothing is past its retention period"))
    batch = RetentionBatch(
        record_type=record_type, cutoff_on=cutoff, expected=expected, requested_by_id=user.id
    )
    session.add(batch)
    session.flush()
    audit.record(session, actor, "retention_asked", record_type=record_type, record_id=batch.id)
    return batch


def decide_batch(session: Session, batch: RetentionBatch, user: User, actor, approve: bool) -> int:
    if batch.status != "pending":
        raise RequestError(_("this batch is already decided"))
    _check_approver(user, batch.requested_by_id)
    batch.decided_by_id = user.id
    batch.decided_at = _now()
    if not approve:
        batch.status = "rejected"
        audit.record(session, actor, "retention_rejected", record_type=batch.record_type)
        return 0
    ids = list(session.scalars(retention_candidates(session, batch.record_type, batch.cutoff_on)))
    for record_id in ids:
        anonymise(session, batch.record_type, record_id)
    batch.status = "done"
    batch.anonymised = len(ids)
    audit.record(
        session, actor, "retention_anonymise", record_type=batch.record_type, record_ids=ids
    )
    return len(ids)


def _check_approver(user: User, asked_by_id: int | None) -> None:
    if not user.has_role(*APPROVERS):
        raise RequestError(_("only a supervisor or an admin approves an anonymisation"))
    if asked_by_id == user.id:
        raise RequestError(_("another person must approve what you asked for"))


def _log(session: Session, actor, action: str, request: SubjectRequest) -> None:
    audit.record(
        session, actor, action, record_type=request.subject_type, record_id=request.subject_id
    )


def _now():
    from models.base import utcnow

    return utcnow()
