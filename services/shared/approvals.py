"""Filing, approving and rejecting change requests.

Each function takes the acting user and plain data, flushes, writes the record's history in
the same transaction, and never commits: the caller commits once or rolls everything back.
Races are settled by the database: a decision is a conditional UPDATE on ``status =
'pending'`` (exactly one of two approvers wins), pending fields are a unique key (a second
request for the same field is refused), and applying a change goes through the record's
version counter (a concurrent edit makes the whole approval roll back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, inspect, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.dealers.dealers import Dealer, DealerDataCard
from models.property.property import HouseholdMember, Owner, Tenant
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest, PendingField, RecordHistory
from services.admin.offices import visible_office_ids
from services.privacy import audit, corrections
from services.property import household_history
from services.shared.approval_policy import may_approve

#: Record types that can carry change requests, by their view key.
RECORD_MODELS = {
    "prospect": Prospect,
    "owner": Owner,
    "household_member": HouseholdMember,
    "tenant": Tenant,
    "dealer": Dealer,
    "dealer_data_card": DealerDataCard,
}
#: Record types with no office: their requests carry none and stay routed by region.
REGION_RECORD_TYPES = ("dealer", "dealer_data_card")


def _after_apply(session: Session, request: ChangeRequest, record) -> None:
    """Follow-up writes some record types need once an approved change is applied."""
    if request.record_type == "household_member":
        household_history.after_approved_change(session, request, record)
    # A change that carries out a customer's correction request answers it (same transaction).
    corrections.applied(session, request)


class ApprovalError(Exception):
    """A rule was broken; ``code`` says which, the message is for logs (no personal data)."""

    code = "error"


class MissingReason(ApprovalError):
    code = "missing_reason"


class NothingToChange(ApprovalError):
    code = "nothing_to_change"


class DuplicatePending(ApprovalError):
    code = "duplicate_pending"

    def __init__(self, request_id: int, field: str):
        super().__init__(f"field {field} already has pending request #{request_id}")
        self.request_id = request_id
        self.field = field


class SelfDecision(ApprovalError):
    code = "self_decision"


class NotAnApprover(ApprovalError):
    code = "not_an_approver"


class AlreadyDecided(ApprovalError):
    code = "already_decided"


class MissingComment(ApprovalError):
    code = "missing_comment"


class NotFound(ApprovalError):
    """The request is of an office the account does not work for (a 404 at the web edge)."""

    code = "not_found"


@dataclass
class Decision:
    request_id: int
    status: str  # approved, rejected or stale


# --- values ----------------------------------------------------------------------------
def to_json(value):
    """A column value as JSON: dates as ISO text, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(model, column: str, value):
    """The JSON value back as the column's Python type."""
    if value is None:
        return None
    python_type = inspect(model).columns[column].type.python_type
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    return python_type(value)


def _history(
    session,
    request: ChangeRequest | None,
    *,
    record_type,
    record_id,
    event,
    actor_id,
    changes=None,
    note=None,
) -> None:
    session.add(
        RecordHistory(
            record_type=record_type,
            record_id=record_id,
            event=event,
            actor_id=actor_id,
            request_id=request.id if request else None,
            changes=changes,
            note=note,
        )
    )


# --- offices ---------------------------------------------------------------------------
def _office_of(record) -> int | None:
    """The office whose supervisors decide a request about ``record`` (None: a dealer's)."""
    return getattr(record, "office_id", None)


def visible_clause(user: User | None):
    """SQL: the requests ``user`` may see and decide: those of the account's offices, and
    dealers' (no office, routed by region); every request for a group role."""
    ids = visible_office_ids(user)
    if ids is None:
        return true()
    return or_(
        ChangeRequest.office_id.in_(sorted(ids) or [-1]),
        ChangeRequest.office_id.is_(None) & ChangeRequest.record_type.in_(REGION_RECORD_TYPES),
    )


def is_visible(request: ChangeRequest | None, user: User | None) -> bool:
    if request is None:
        return False
    ids = visible_office_ids(user)
    if ids is None:
        return True
    if request.office_id is None:
        return request.record_type in REGION_RECORD_TYPES
    return request.office_id in ids


def visible_request(session: Session, request_id: int, user: User | None) -> ChangeRequest | None:
    """The request ``request_id`` when ``user`` may see it, else None (the page's 404)."""
    request = session.get(ChangeRequest, request_id)
    return request if is_visible(request, user) else None


# --- filing ----------------------------------------------------------------------------
def file_update(
    session: Session,
    *,
    user: User,
    record_type: str,
    record,
    changes: dict[str, dict],
    reason: str,
) -> ChangeRequest:
    """File a request to change ``changes`` ({column: {"old", "new", "old_label",
    "new_label"}}) of ``record``. Raises MissingReason, NothingToChange, DuplicatePending."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a change request needs a reason")
    if not changes:
        raise NothingToChange("no gated field changed")
    existing = session.scalars(
        select(PendingField).where(
            PendingField.record_type == record_type,
            PendingField.record_id == record.id,
            PendingField.field.in_(list(changes)),
        )
    ).first()
    if existing is not None:
        raise DuplicatePending(existing.request_id, existing.field)
    request = ChangeRequest(
        record_type=record_type,
        record_id=record.id,
        record_version=record.version,
        kind="update",
        office_id=_office_of(record),
        changes={
            k: {**v, "old": to_json(v["old"]), "new": to_json(v["new"])} for k, v in changes.items()
        },
        reason=reason,
        requested_by_id=user.id,
    )
    session.add(request)
    session.flush()
    for column in changes:
        session.add(
            PendingField(
                record_type=record_type, record_id=record.id, field=column, request_id=request.id
            )
        )
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request took the field first
        raise DuplicatePending(0, "?") from exc
    _history(
        session,
        request,
        record_type=record_type,
        record_id=record.id,
        event="requested",
        actor_id=user.id,
        changes=request.changes,
        note=reason,
    )
    session.flush()
    return request


def file_delete(
    session: Session, *, user: User, record_type: str, record, reason: str
) -> ChangeRequest:
    """File a request to delete ``record``. Raises MissingReason or DuplicatePending."""
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a deletion request needs a reason")
    pending = session.scalar(
        select(ChangeRequest.id).where(
            ChangeRequest.record_type == record_type,
            ChangeRequest.record_id == record.id,
            ChangeRequest.kind == "delete",
            ChangeRequest.status == "pending",
        )
    )
    if pending is not None:
        raise DuplicatePending(pending, "*")
    request = ChangeRequest(
        record_type=record_type,
        record_id=record.id,
        record_version=record.version,
        kind="delete",
        office_id=_office_of(record),
        changes={},
        reason=reason,
        requested_by_id=user.id,
    )
    session.add(request)
    session.flush()
    _history(
        session,
        request,
        record_type=record_type,
        record_id=record.id,
        event="requested",
        actor_id=user.id,
        note=reason,
    )
    session.flush()
    return request


# --- deciding --------------------------------------------------------------------------
def _check_decider(session, user: User, request: ChangeRequest) -> None:
    if not is_visible(request, user):
        # Another office's request: its supervisors decide; to this account it does not exist.
        raise NotFound("the request is not of the account's offices")
    if request.requested_by_id == user.id:
        _history(
            session,
            request,
            record_type=request.record_type,
            record_id=request.record_id,
            event="refused",
            actor_id=user.id,
            note="own request",
        )
        session.flush()
        raise SelfDecision("the requester cannot decide their own request")
    if not may_approve(request.record_type, user.role_code):
        raise NotAnApprover("this role does not approve such requests")


def _claim(session, request_id: int, user: User, status: str, comment: str | None) -> bool:
    """Move the request from pending to ``status``; False when someone decided first."""
    result = session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == request_id, ChangeRequest.status == "pending")
        .values(status=status, decided_by_id=user.id, decided_at=utcnow(), decision_comment=comment)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_fields(session, request_id: int) -> None:
    session.execute(delete(PendingField).where(PendingField.request_id == request_id))


def get_request(session: Session, request_id: int) -> ChangeRequest | None:
    return session.get(ChangeRequest, request_id)


def _log_decision(
    session: Session, user: User, request: ChangeRequest, action: str, actor, outcome: str = "ok"
) -> None:
    """The decision is a look at and a change of customer data: an access event in the same
    transaction as the decision (the record's history says what changed)."""
    audit.record(
        session,
        actor or audit.Actor(user.id, user.username, user.role_code),
        action,
        record_type=request.record_type,
        record_id=request.record_id,
        outcome=outcome,
    )


def approve(
    session: Session,
    *,
    user: User,
    request_id: int,
    comment: str | None = None,
    actor: audit.Actor | None = None,
) -> Decision:
    """Approve and apply a pending request in this transaction.

    Returns status ``approved``, or ``stale`` when the record changed since the request was
    filed (nothing applied). Raises SelfDecision, NotAnApprover, AlreadyDecided.
    """
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise AlreadyDecided("no such request")
    _check_decider(session, user, request)
    if not _claim(session, request_id, user, "approved", comment):
        raise AlreadyDecided("the request was already decided")
    session.refresh(request)
    model = RECORD_MODELS[request.record_type]
    record = session.get(model, request.record_id, with_for_update=True, populate_existing=True)
    if record is None or record.version != request.record_version:
        request.status = "stale"
        _release_fields(session, request_id)
        _history(
            session,
            request,
            record_type=request.record_type,
            record_id=request.record_id,
            event="stale",
            actor_id=user.id,
            note="record changed after the request was filed",
        )
        _log_decision(session, user, request, "approve", actor, outcome="failed")
        session.flush()
        return Decision(request_id, "stale")
    if request.kind == "delete":
        session.delete(record)
        event = "deleted"
    else:
        for column, change in request.changes.items():
            setattr(record, column, from_json(model, column, change["new"]))
        session.flush()
        _after_apply(session, request, record)
        event = "approved"
    _release_fields(session, request_id)
    _history(
        session,
        request,
        record_type=request.record_type,
        record_id=request.record_id,
        event=event,
        actor_id=user.id,
        changes=request.changes or None,
        note=comment,
    )
    _log_decision(session, user, request, "approve", actor)
    session.flush()
    return Decision(request_id, "approved")


def reject(
    session: Session,
    *,
    user: User,
    request_id: int,
    comment: str,
    actor: audit.Actor | None = None,
) -> Decision:
    """Reject a pending request; the record stays as it is. A comment is required."""
    comment = (comment or "").strip()
    request = session.get(ChangeRequest, request_id)
    if request is None:
        raise AlreadyDecided("no such request")
    _check_decider(session, user, request)
    if not comment:
        raise MissingComment("a rejection needs a comment")
    if not _claim(session, request_id, user, "rejected", comment):
        raise AlreadyDecided("the request was already decided")
    _release_fields(session, request_id)
    _history(
        session,
        request,
        record_type=request.record_type,
        record_id=request.record_id,
        event="rejected",
        actor_id=user.id,
        note=comment,
    )
    _log_decision(session, user, request, "reject", actor)
    session.flush()
    return Decision(request_id, "rejected")


def record_direct_change(
    session: Session,
    *,
    user: User | None,
    record_type: str,
    record_id: int,
    event: str,
    changes: dict | None = None,
) -> None:
    """Write a direct create or update of a gated record type into its history."""
    _history(
        session,
        None,
        record_type=record_type,
        record_id=record_id,
        event=event,
        actor_id=user.id if user else None,
        changes={
            k: {**v, "old": to_json(v["old"]), "new": to_json(v["new"])}
            for k, v in (changes or {}).items()
        }
        or None,
    )
    session.flush()


def pending_for_record(session: Session, record_type: str, record_id: int) -> list[ChangeRequest]:
    return list(
        session.scalars(
            select(ChangeRequest)
            .where(
                ChangeRequest.record_type == record_type,
                ChangeRequest.record_id == record_id,
                ChangeRequest.status == "pending",
            )
            .order_by(ChangeRequest.requested_at)
        )
    )


def history_for_record(session: Session, record_type: str, record_id: int) -> list[RecordHistory]:
    return list(
        session.scalars(
            select(RecordHistory)
            .where(RecordHistory.record_type == record_type, RecordHistory.record_id == record_id)
            .order_by(RecordHistory.at, RecordHistory.id)
        )
    )
