"""The archive desk's rules: registered lookups, superior approval of copies, the
custodian's decision, hand-out and take-back of paper files, and recorded destruction.

Each function takes the session, the acting user and plain data; it flushes and writes its
access-log event in the same transaction and never commits. Every step is a conditional
UPDATE on the expected status (and, for hand-out and take-back, on the file's state), so two
custodians acting at once cannot both succeed: the database lets exactly one row change and
the loser gets ``InvalidTransition``. A refused step raises and changes nothing; the caller
rolls back.
"""

from __future__ import annotations

from datetime import UTC, date

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from core.clock import office_today, office_tz  # noqa: F401  (office_today re-exported for callers)
from models.admin.offices import user_offices
from models.admin.people import Role, User
from models.archive.archive_desk import (
    LOOKUP_MODES,
    MODES_NEEDING_SUPERIOR,
    FileDestruction,
    LookupRequest,
)
from models.archive.archives import ArchiveFile
from models.base import utcnow
from services.admin.offices import office_clause
from services.privacy import audit
from services.shared.office_scope import get_in_offices, member_of, works_in
from services.shared.workdays import WorkdayCalendar

REQUESTER_ROLES = frozenset({"clerk", "supervisor"})
SUPERIOR_ROLES = frozenset({"supervisor"})
CUSTODIAN_ROLES = frozenset({"custodian"})
MAX_DAYS = 60
#: An approved request not handed out within this many working days expires.
EXPIRE_AFTER_WORKDAYS = 5


class DeskError(Exception):
    """A rule was broken; ``code`` says which (the view shows a translated message)."""

    code = "error"


class NotAllowed(DeskError):
    """The acting user's role may not take this step (a 403 at the web edge)."""

    code = "not_allowed"


class OwnRequest(NotAllowed):
    code = "own_request"


class NotTheSuperior(NotAllowed):
    code = "not_the_superior"


class InvalidInput(DeskError):
    code = "invalid_input"


class MissingReason(InvalidInput):
    code = "missing_reason"


class NoSuchRecord(DeskError):
    code = "not_found"


class InvalidTransition(DeskError):
    """The request or the file is not in the state this step starts from."""

    code = "invalid_transition"


class FileNotAvailable(InvalidTransition):
    code = "file_not_available"


def _actor(user: User, actor: audit.Actor | None) -> audit.Actor:
    return actor or audit.Actor(user.id, user.username, user.role_code)


def _require_role(user: User, roles: frozenset[str]) -> None:
    if user is None or user.role_code not in roles:
        raise NotAllowed(f"role {getattr(user, 'role_code', None)} may not take this step")


def _get(session: Session, request_id: int, user: User) -> LookupRequest:
    """The request, when it is of one of ``user``'s offices (another office's is not found)."""
    lookup = get_in_offices(session, LookupRequest, request_id, user)
    if lookup is None:
        raise NoSuchRecord("no such lookup request")
    return lookup


def file_in_offices(session: Session, user: User, file_id: int | None) -> ArchiveFile | None:
    return get_in_offices(session, ArchiveFile, file_id, user)


def file_by_code(session: Session, user: User, code: str) -> int | None:
    """The id of the paper file with ``code`` among ``user``'s offices' files."""
    return session.scalar(
        select(ArchiveFile.id).where(
            ArchiveFile.code == (code or "").strip(), office_clause(ArchiveFile.office_id, user)
        )
    )


# --- who approves a copy ---------------------------------------------------------------
def designated_superior(session: Session, lookup: LookupRequest) -> User | None:
    """The requester's superior when they can approve this copy: an active supervisor who
    works in the file's office. None: any supervisor of that office approves it."""
    requester = session.get(User, lookup.requested_by_id)
    superior = requester.superior if requester is not None else None
    if (
        superior is None
        or not superior.active
        or superior.role_code not in SUPERIOR_ROLES
        or not works_in(superior, lookup.office_id)
    ):
        return None
    return superior


def _check_copy_approver(session: Session, user: User, lookup: LookupRequest) -> None:
    if not works_in(user, lookup.office_id):
        raise NotTheSuperior("a copy is approved by a supervisor of the file's office")
    designated = designated_superior(session, lookup)
    if designated is not None and designated.id != user.id:
        raise NotTheSuperior("only the requester's own superior approves")


def copies_waiting(session: Session, user: User, limit: int = 200) -> list[LookupRequest]:
    """Copies and excerpts ``user`` approves: of the offices ``user`` works in, asked by
    someone whose superior is ``user``, or whose superior cannot approve them (none, not a
    supervisor, inactive, or not working in the file's office)."""
    requester = aliased(User)
    superior = aliased(User)
    superior_role = aliased(Role)
    superior_approves = exists(
        select(1)
        .select_from(superior)
        .join(superior_role, superior_role.id == superior.role_id)
        .join(user_offices, user_offices.c.user_id == superior.id)
        .where(
            superior.id == requester.superior_id,
            superior.active.is_(True),
            superior_role.code.in_(SUPERIOR_ROLES),
            # Works in the file's office (correlated with the request of the outer query).
            user_offices.c.office_id == LookupRequest.office_id,
        )
    )
    return list(
        session.scalars(
            select(LookupRequest)
            .join(requester, requester.id == LookupRequest.requested_by_id)
            .where(
                LookupRequest.status == "requested",
                LookupRequest.mode.in_(MODES_NEEDING_SUPERIOR),
                LookupRequest.requested_by_id != user.id,
                member_of(user.id, LookupRequest.office_id),
                or_(requester.superior_id == user.id, ~superior_approves),
            )
            .order_by(LookupRequest.requested_at)
            .limit(limit)
        )
    )


def _move(session: Session, request_id: int, from_statuses: tuple[str, ...], **values) -> None:
    """Change the request only if it is still in one of ``from_statuses``; else raise."""
    result = session.execute(
        update(LookupRequest)
        .where(LookupRequest.id == request_id, LookupRequest.status.in_(from_statuses))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(f"request is not in {from_statuses}")


def _set_file_state(session: Session, file_id: int, from_state: str, to_state: str) -> None:
    result = session.execute(
        update(ArchiveFile)
        .where(ArchiveFile.id == file_id, ArchiveFile.state == from_state)
        .values(state=to_state, version=ArchiveFile.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise FileNotAvailable(f"file is not {from_state}")


def _done(session: Session, user: User, actor, action: str, lookup: LookupRequest) -> LookupRequest:
    session.flush()
    session.refresh(lookup)
    audit.record(
        session, _actor(user, actor), action, record_type="lookup_request", record_id=lookup.id
    )
    return lookup


def request_lookup(
    session: Session,
    user: User,
    *,
    file_id: int,
    reason: str,
    mode: str,
    days: int = 0,
    actor: audit.Actor | None = None,
) -> LookupRequest:
    """File a lookup request (查阅登记) for work: which file, why, how, how many working days."""
    _require_role(user, REQUESTER_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a lookup needs a reason")
    if mode not in LOOKUP_MODES:
        raise InvalidInput("unknown mode")
    if days is None or not 0 <= int(days) <= MAX_DAYS:
        raise InvalidInput("days out of range")
    archive_file = file_in_offices(session, user, file_id)
    if archive_file is None:
        raise NoSuchRecord("no such file")
    if archive_file.state == "destroyed":
        raise FileNotAvailable("the file was destroyed")
    lookup = LookupRequest(
        file_id=file_id,
        requested_by_id=user.id,
        reason=reason,
        mode=mode,
        days=int(days),
        status="requested",
    )
    session.add(lookup)
    return _done(session, user, actor, "lookup_request", lookup)


def superior_decide(
    session: Session,
    user: User,
    request_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    actor: audit.Actor | None = None,
) -> LookupRequest:
    """The requester's superior approves (or refuses, with a reason) a copy or excerpt: the
    superior who works in the file's office, else any supervisor of that office."""
    _require_role(user, SUPERIOR_ROLES)
    lookup = _get(session, request_id, user)
    if lookup.requested_by_id == user.id:
        raise OwnRequest("nobody approves their own request")
    _check_copy_approver(session, user, lookup)
    if lookup.mode not in MODES_NEEDING_SUPERIOR:
        raise InvalidTransition("only copies and excerpts need a superior")
    now = utcnow()
    if approve:
        _move(
            session,
            request_id,
            ("requested",),
            status="approved_by_superior",
            superior_id=user.id,
            superior_at=now,
        )
        return _done(session, user, actor, "lookup_sup_approve", lookup)
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a refusal needs a reason")
    _move(
        session,
        request_id,
        ("requested",),
        status="refused",
        superior_id=user.id,
        superior_at=now,
        refusal_reason=reason,
    )
    return _done(session, user, actor, "lookup_sup_refuse", lookup)


def custodian_decide(
    session: Session,
    user: User,
    request_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    actor: audit.Actor | None = None,
) -> LookupRequest:
    """The custodian approves a request (after the superior, for copies) or refuses it."""
    _require_role(user, CUSTODIAN_ROLES)
    lookup = _get(session, request_id, user)
    if lookup.requested_by_id == user.id:
        raise OwnRequest("nobody decides their own request")
    now = utcnow()
    if approve:
        ready = "approved_by_superior" if lookup.needs_superior else "requested"
        _move(
            session, request_id, (ready,), status="approved", decided_by_id=user.id, decided_at=now
        )
        return _done(session, user, actor, "lookup_approve", lookup)
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a refusal needs a reason")
    _move(
        session,
        request_id,
        ("requested", "approved_by_superior", "approved"),
        status="refused",
        decided_by_id=user.id,
        decided_at=now,
        refusal_reason=reason,
    )
    return _done(session, user, actor, "lookup_refuse", lookup)


def hand_out(
    session: Session,
    user: User,
    request_id: int,
    *,
    today: date | None = None,
    calendar: WorkdayCalendar | None = None,
    actor: audit.Actor | None = None,
) -> LookupRequest:
    """Hand the file of an approved request to its requester; due back after ``days``
    working days on the Chinese calendar. The file must be in the room: one that is out,
    destroyed or handed to someone else meanwhile is refused, and so is a second hand-out."""
    _require_role(user, CUSTODIAN_ROLES)
    lookup = _get(session, request_id, user)
    today = today or office_today()
    calendar = calendar or WorkdayCalendar.from_session(session)
    due = calendar.add_workdays(today, lookup.days).day
    _move(
        session,
        request_id,
        ("approved",),
        status="handed_out",
        handed_out_by_id=user.id,
        handed_to_id=lookup.requested_by_id,
        handed_out_at=utcnow(),
        due_on=due,
    )
    _set_file_state(session, lookup.file_id, "in_room", "lent_out")
    return _done(session, user, actor, "lookup_hand_out", lookup)


def take_back(
    session: Session,
    user: User,
    request_id: int,
    *,
    condition: str | None = None,
    actor: audit.Actor | None = None,
) -> LookupRequest:
    """Take a handed-out file back, once, noting its condition."""
    _require_role(user, CUSTODIAN_ROLES)
    lookup = _get(session, request_id, user)
    _move(
        session,
        request_id,
        ("handed_out",),
        status="returned",
        returned_to_id=user.id,
        returned_at=utcnow(),
        return_condition=(condition or "").strip() or None,
    )
    _set_file_state(session, lookup.file_id, "lent_out", "in_room")
    return _done(session, user, actor, "lookup_take_back", lookup)


def cancel(
    session: Session, user: User, request_id: int, *, actor: audit.Actor | None = None
) -> LookupRequest:
    """The requester withdraws a request that was not handed out yet."""
    lookup = _get(session, request_id, user)
    if lookup.requested_by_id != user.id:
        raise NotAllowed("only the requester cancels")
    _move(
        session, request_id, ("requested", "approved_by_superior", "approved"), status="cancelled"
    )
    return _done(session, user, actor, "lookup_cancel", lookup)


def expire_unclaimed(
    session: Session,
    *,
    today: date | None = None,
    calendar: WorkdayCalendar | None = None,
    after_workdays: int = EXPIRE_AFTER_WORKDAYS,
) -> int:
    """Expire approved requests nobody collected within ``after_workdays`` working days of
    the decision; returns how many. An expired request can no longer be handed out."""
    today = today or office_today()
    calendar = calendar or WorkdayCalendar.from_session(session)
    candidates = session.execute(
        select(LookupRequest.id, LookupRequest.decided_at).where(LookupRequest.status == "approved")
    ).all()
    expired = 0
    for request_id, decided_at in candidates:
        decided_on = (decided_at or utcnow()).replace(tzinfo=UTC)
        last_day = calendar.add_workdays(decided_on.astimezone(office_tz()).date(), after_workdays)
        if today > last_day.day:
            try:
                _move(session, request_id, ("approved",), status="expired")
            except InvalidTransition:
                continue  # handed out meanwhile
            audit.record(
                session,
                audit.SYSTEM,
                "lookup_expire",
                record_type="lookup_request",
                record_id=request_id,
            )
            expired += 1
    session.flush()
    return expired


def destroy(
    session: Session,
    user: User,
    file_id: int,
    *,
    reason: str,
    approved_by_id: int | None,
    destroyed_on: date | None = None,
    actor: audit.Actor | None = None,
) -> FileDestruction:
    """Record the destruction of a paper file that is in the room; the file keeps its row,
    in state 'destroyed', and open requests for it can no longer be handed out."""
    _require_role(user, CUSTODIAN_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise MissingReason("a destruction needs a reason")
    if approved_by_id is None or session.get(User, approved_by_id) is None:
        raise InvalidInput("a destruction needs its approver")
    if file_in_offices(session, user, file_id) is None:
        raise NoSuchRecord("no such file")
    _set_file_state(session, file_id, "in_room", "destroyed")
    destruction = FileDestruction(
        file_id=file_id,
        reason=reason,
        approved_by_id=approved_by_id,
        recorded_by_id=user.id,
        destroyed_on=destroyed_on or office_today(),
    )
    session.add(destruction)
    session.flush()
    audit.record(
        session, _actor(user, actor), "file_destroy", record_type="archive_file", record_id=file_id
    )
    return destruction
