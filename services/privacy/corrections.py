"""A customer's correction request, carried out through the usual approval of edits.

The request's page leads to the customer's edit form, marked with the request. Saving it
goes through the approval gate (views/shared/gating.py) like any edit:

- a change that needs approval becomes a change request linked to the customer's request
  (``ChangeRequest.subject_request_id``); the customer's request stays open until a
  supervisor decides: approving applies the change and answers the request in the same
  transaction (``applied``, called by services/shared/approvals.py); a rejection leaves it open,
  the rejection and its comment shown on the request's page, for another try or an answer;
- a change the role may make directly (a supervisor's) is applied at once, and the request
  is answered in the same transaction as the edit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.privacy.privacy import SubjectRequest
from models.shared.approvals import ChangeRequest
from services.privacy import audit
from services.shared.office_scope import get_in_offices


def open_correction(
    session: Session, request_id: int | None, subject_type: str, subject_id: int, user: User
) -> SubjectRequest | None:
    """The open correction request ``request_id`` if it is about this very record and of
    one of ``user``'s offices."""
    if not request_id:
        return None
    item = get_in_offices(session, SubjectRequest, request_id, user)
    if (
        item is None
        or item.kind != "correct"
        or item.status != "open"
        or (item.subject_type, item.subject_id) != (subject_type, subject_id)
    ):
        return None
    return item


def after_edit(
    session: Session,
    item: SubjectRequest,
    change: ChangeRequest | None,
    *,
    changed: bool,
    user: User,
    actor,
) -> None:
    """In the edit's transaction: link the change request to the customer's request, or,
    when nothing waits for approval and the record did change, answer the request now."""
    if change is not None:
        change.subject_request_id = item.id
        session.flush()
        return
    if changed:
        _answer(
            session,
            item,
            user,
            actor,
            _("The correction was applied to the record by %(name)s.", name=user.full_name),
        )


def applied(session: Session, change: ChangeRequest) -> None:
    """An approved change request was applied: answer the customer's request it carries
    out, once (a second change for the same request finds it answered already)."""
    if change.subject_request_id is None:
        return
    item = session.get(SubjectRequest, change.subject_request_id, with_for_update=True)
    if item is None or item.status != "open":
        return
    approver = session.get(User, change.decided_by_id)
    _answer(
        session,
        item,
        approver,
        audit.Actor(approver.id, approver.username, approver.role_code),
        _(
            "The correction was applied after approval (change request #%(id)s, approved by "
            "%(name)s).",
            id=change.id,
            name=approver.full_name,
        ),
    )


def attempts(session: Session, item: SubjectRequest) -> list[ChangeRequest]:
    """The change requests filed to carry out ``item``, oldest first."""
    return list(
        session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.subject_request_id == item.id)
            .order_by(ChangeRequest.requested_at, ChangeRequest.id)
        )
    )


def _answer(session: Session, item: SubjectRequest, user: User, actor, note: str) -> None:
    item.status = "answered"
    item.answered_by_id = user.id
    item.answered_at = utcnow()
    item.answer_note = note
    session.flush()
    audit.record(
        session,
        actor,
        "subject_answered",
        record_type=item.subject_type,
        record_id=item.subject_id,
    )
