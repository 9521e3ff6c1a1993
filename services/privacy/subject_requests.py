"""Customers' requests about their data, and anonymisation.

PIPL gives a person the right to a copy of their data, to have it corrected and to have it
deleted. The office registers each request with a due date 15 working days after receipt
(Chinese calendar), and answers it from the record: a copy is a document the customer reads
(services/privacy/customer_copy.py: an XLSX or an A4 print, the one output that is not masked: it is
their own data), a correction is an edit that goes through the approval rules and answers
the request when it is approved (services/privacy/corrections.py), a deletion anonymises the person
once a second person has approved. Anonymising keeps the record and its statistics (grade, dates,
consultant, counts) and clears every personal field, the blind indexes (through the
attribute events) and the old values in the change history.

The retention review (services/privacy/retention.py) anonymises with ``anonymise`` too.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.care.complaints import Complaint
from models.privacy.privacy import SubjectRequest
from models.property.property import Owner, ResidentCard, Tenant
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest, RecordHistory
from services.privacy import audit
from services.shared.office_scope import get_in_offices, in_offices
from services.shared.workdays import WorkdayCalendar

#: Working days the office has to answer.
ANSWER_WORKDAYS = 15
#: What an anonymised person is called.
ANONYMISED = "已匿名"
#: What a cleared free text reads.
CLEARED = "（已匿名）"
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


def subject_in_offices(session: Session, subject_type: str, subject_id: int, user: User):
    """The customer's record when it is of one of ``user``'s offices, else None."""
    model = MODELS.get(subject_type)
    return get_in_offices(session, model, subject_id, user) if model is not None else None


def register(session: Session, request: SubjectRequest, user: User, actor) -> SubjectRequest:
    """Complete a new request (due date, who) and log it, in the caller's transaction."""
    # The request is already in the session: no autoflush before it is complete.
    with session.no_autoflush:
        # A customer of another office is not found: its office registers their requests.
        subject = subject_in_offices(session, request.subject_type, request.subject_id, user)
        if subject is None:
            raise RequestError(_("no such customer record"))
        request.due_on = due_date(session, request.received_on)
    request.registered_by_id = user.id
    request.status = "open"
    session.flush()
    _log(session, actor, "subject_request", request)
    return request


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
    if not in_offices(request, user):
        raise RequestError(_("no such customer record"))
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
            visit.summary = CLEARED
            for field in VISIT_FIELDS:
                setattr(visit, field, None)
    if isinstance(person, Tenant):
        # A returned resident card still carries the tenant's name.
        session.execute(
            update(ResidentCard)
            .where(ResidentCard.tenant_id == subject_id)
            .values(holder_name=ANONYMISED)
            .execution_options(synchronize_session=False)
        )
    # The customer's complaints keep their dates, category and what the office changed;
    # what the customer said and what they were told are theirs.
    for complaint in session.scalars(
        select(Complaint).where(
            Complaint.subject_type == subject_type, Complaint.subject_id == subject_id
        )
    ):
        complaint.summary = CLEARED
        if complaint.answer is not None:
            complaint.answer = CLEARED
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
