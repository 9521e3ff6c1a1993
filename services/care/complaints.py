"""Customers' complaints and feedback (投诉处理：针对客户的投诉反馈，及时处理和解决问题，并进行改进).

A complaint is registered against the customer's record with the day it was received; its
answer is due the admin's "answer time" (an office setting, services/admin/office_settings.py;
default 5) working days later on the Chinese calendar (the admin's calendar overrides
included). The steps, each one transaction in the caller:

- register (clerk or supervisor): due date computed, status open, logged;
- assign (supervisor): the handler, a clerk or supervisor with an active account;
- answer (the handler or a supervisor): what the customer was told; open -> answered;
- close (supervisor): what the office changed or improved because of it; answered -> closed.

Each step is a conditional UPDATE on the status and version the page showed, so of two
people pressing at once exactly one wins and a step out of order is refused with a message.
A complaint is overdue while it is open and its due date is before the office's today.

A complaint belongs to its customer's office: only that office's staff see it, register it
for that customer and handle it; lists and numbers count the account's offices only.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import office_today
from models.admin.people import Role, User
from models.base import utcnow
from models.care.complaints import CATEGORIES, CHANNELS, Complaint
from models.property.property import Owner, Tenant
from models.sales.prospects import Prospect
from services.admin import office_settings
from services.admin.offices import office_clause
from services.privacy import audit
from services.shared.office_scope import colleagues_clause, get_in_offices, works_in
from services.shared.workdays import WorkdayCalendar

#: Working days to answer when the office sets nothing (the office setting's default).
DEFAULT_ANSWER_WORKDAYS = office_settings.SETTINGS["complaint_answer_workdays"].default
#: Roles whose accounts may handle a complaint.
HANDLER_ROLES = ("clerk", "supervisor")
#: Roles that assign, answer any complaint and close.
SUPERVISORS = ("supervisor",)
#: Longest answer or improvement note kept.
TEXT_MAX = 2000

MODELS = {"prospect": Prospect, "owner": Owner, "tenant": Tenant}


class ComplaintError(ValueError):
    """The step is not allowed now or by this person; the message is for the user."""


def answer_workdays(session: Session | None = None) -> int:
    """Working days to answer: the admin's office setting (its default without a session)."""
    if session is None:
        return office_settings.default_of(office_settings.COMPLAINT_ANSWER_WORKDAYS)
    return office_settings.value_of(session, office_settings.COMPLAINT_ANSWER_WORKDAYS)


def due_date(session: Session, received_on: date, workdays: int | None = None) -> date:
    """The day the answer is due: ``workdays`` working days after receipt."""
    count = answer_workdays(session) if workdays is None else workdays
    return WorkdayCalendar.from_session(session).add_workdays(received_on, count).day


def eligible_handlers(session: Session, user: User) -> list[User]:
    """Active clerks and supervisors working in one of ``user``'s offices."""
    return list(
        session.scalars(
            select(User)
            .join(Role, Role.id == User.role_id)
            .where(Role.code.in_(HANDLER_ROLES), User.active.is_(True), colleagues_clause(user))
            .order_by(User.full_name, User.id)
        )
    )


def check_handler(session: Session, handler_id: int | None, office_id: int | None) -> None:
    """A handler is an active clerk or supervisor of the complaint's office."""
    if handler_id is None:
        return
    handler = session.get(User, handler_id)
    if (
        handler is None
        or not handler.active
        or not handler.has_role(*HANDLER_ROLES)
        or not works_in(handler, office_id)
    ):
        raise ComplaintError(_("a complaint is handled by an active clerk or supervisor"))


def register(session: Session, complaint: Complaint, user: User, actor) -> Complaint:
    """Complete a new complaint (due date, who, status) and log it, in the caller's
    transaction. The complaint may already be in the session (an admin form)."""
    with session.no_autoflush:
        model = MODELS.get(complaint.subject_type)
        # A customer of another office is not found: that office registers the complaint.
        customer = get_in_offices(session, model, complaint.subject_id, user) if model else None
        if customer is None:
            raise ComplaintError(_("no such customer record"))
        complaint.office_id = customer.office_id
        if complaint.channel not in CHANNELS or complaint.category not in CATEGORIES:
            raise ComplaintError(_("choose the channel and the category"))
        if not (complaint.summary or "").strip():
            raise ComplaintError(_("write what the customer said"))
        check_received_on(complaint.received_on)
        # A form sets the relationship, a caller may set the id: check whichever is given.
        handler = complaint.handler
        check_handler(
            session,
            handler.id if handler is not None else complaint.handler_id,
            complaint.office_id,
        )
        complaint.summary = complaint.summary.strip()[:TEXT_MAX]
        complaint.due_on = due_date(session, complaint.received_on)
    complaint.status = "open"
    complaint.registered_by_id = user.id
    if complaint not in session:
        session.add(complaint)
    session.flush()
    _log(session, actor, "complaint_registered", complaint)
    return complaint


def check_received_on(received_on: date | None) -> None:
    if received_on is None:
        raise ComplaintError(_("give the day the complaint was received"))
    if received_on > office_today():
        raise ComplaintError(_("a complaint cannot be received after today"))


def received_on_changed(session: Session, complaint: Complaint) -> None:
    """An edit moved the day of receipt: the due date follows it."""
    check_received_on(complaint.received_on)
    with session.no_autoflush:
        complaint.due_on = due_date(session, complaint.received_on)


def _step(session: Session, complaint: Complaint, from_status: str, values: dict) -> None:
    """Apply ``values`` only if the complaint is still ``from_status`` at the version the
    page showed; otherwise nothing changes."""
    result = session.execute(
        update(Complaint)
        .where(
            Complaint.id == complaint.id,
            Complaint.status == from_status,
            Complaint.version == complaint.version,
        )
        .values(version=Complaint.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ComplaintError(
            _("This complaint changed meanwhile (someone else took a step). Look at it again.")
        )
    session.expire(complaint)


def _text(value: str | None, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ComplaintError(message)
    return text[:TEXT_MAX]


def assign(session: Session, complaint: Complaint, handler_id: int | None, user: User, actor):
    if not user.has_role(*SUPERVISORS):
        raise ComplaintError(_("only a supervisor assigns who handles a complaint"))
    if complaint.status != "open":
        raise ComplaintError(_("only an open complaint gets a handler"))
    if handler_id is None:
        raise ComplaintError(_("choose who handles the complaint"))
    check_handler(session, handler_id, complaint.office_id)
    _step(session, complaint, "open", {"handler_id": handler_id})
    _log(session, actor, "complaint_assigned", complaint)


def answer(session: Session, complaint: Complaint, user: User, actor, text: str | None) -> None:
    if complaint.status != "open":
        raise ComplaintError(_("this complaint is already answered"))
    if complaint.handler_id != user.id and not user.has_role(*SUPERVISORS):
        raise ComplaintError(_("only its handler or a supervisor answers a complaint"))
    note = _text(text, _("write what the customer was told"))
    _step(
        session,
        complaint,
        "open",
        {"status": "answered", "answer": note, "answered_by_id": user.id, "answered_at": utcnow()},
    )
    _log(session, actor, "complaint_answered", complaint)


def close(session: Session, complaint: Complaint, user: User, actor, text: str | None) -> None:
    if not user.has_role(*SUPERVISORS):
        raise ComplaintError(_("only a supervisor closes a complaint"))
    if complaint.status == "open":
        raise ComplaintError(_("answer the customer before closing the complaint"))
    if complaint.status != "answered":
        raise ComplaintError(_("this complaint is already closed"))
    note = _text(text, _("write what was changed or improved because of the complaint"))
    _step(
        session,
        complaint,
        "answered",
        {"status": "closed", "improvement": note, "closed_by_id": user.id, "closed_at": utcnow()},
    )
    _log(session, actor, "complaint_closed", complaint)


# --- what is late, and the home pages' numbers ----------------------------------------------
def overdue_condition(today: date):
    """Open and past its due date: the answer is late."""
    return (Complaint.status == "open") & (Complaint.due_on < today)


def overdue(session: Session, today: date, user: User) -> list[Complaint]:
    """Overdue complaints of ``user``'s offices, the longest overdue first."""
    return list(
        session.scalars(
            select(Complaint)
            .where(overdue_condition(today), office_clause(Complaint.office_id, user))
            .order_by(Complaint.due_on)
        )
    )


def _count(session: Session, user: User, *where) -> int:
    query = select(func.count()).select_from(Complaint)
    return session.scalar(query.where(office_clause(Complaint.office_id, user), *where)) or 0


def counts(session: Session, today: date, user: User) -> dict[str, int]:
    """The supervisor's numbers for their offices: open complaints, and those overdue."""
    return {
        "open": _count(session, user, Complaint.status == "open"),
        "overdue": _count(session, user, overdue_condition(today)),
    }


def handler_counts(session: Session, user: User, today: date) -> dict[str, int]:
    """A handler's own open complaints (of their offices), and those of them overdue."""
    mine = Complaint.handler_id == user.id
    return {
        "open": _count(session, user, mine, Complaint.status == "open"),
        "overdue": _count(session, user, mine, overdue_condition(today)),
    }


def _log(session: Session, actor, action: str, complaint: Complaint) -> None:
    # Against the customer's record, so the complaint shows in "who looked at this record".
    audit.record(
        session,
        actor,
        action,
        record_type=complaint.subject_type,
        record_id=complaint.subject_id,
    )
