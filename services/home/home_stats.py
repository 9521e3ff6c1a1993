"""The numbers of each role's home page. Each is one cheap query (an indexed count or a
small grouped count), except where a rule already lives in a service (follow-ups, dealer
deadlines): then the service is asked, so the home page and its page never disagree.

Every number counts the records of the signed-in account's offices only (issue 18), like the
page behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from core.clock import office_midnight_utc
from models.admin.people import Role, User
from models.admin.reference import ReferenceList
from models.archive.archive_desk import MODES_NEEDING_SUPERIOR, LookupRequest
from models.base import AuditedMixin, Base
from models.sales.prospects import Prospect, Visit
from models.sales.sales import DayReport
from models.shared.approvals import ChangeRequest
from services.admin import backup_drill, backup_rotation
from services.admin.offices import office_clause
from services.care import complaints
from services.dealers import dealer_deadlines
from services.privacy import access_alerts
from services.sales import consultants, followups
from services.shared import approvals

#: Lookups still under way for their requester.
OPEN_LOOKUP_STATUSES = ("requested", "approved_by_superior", "approved", "handed_out")


def _office_day_utc(day: date) -> tuple[datetime, datetime]:
    start = office_midnight_utc(day)
    return start, start + timedelta(days=1)


def _count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- clerk / consultant -------------------------------------------------------------------
def entered_today(session: Session, user: User, today: date) -> dict[str, int]:
    """Rows the user created today (office day), by table, in one UNION ALL of counts over
    every table with a creator column (AuditedMixin)."""
    start, end = _office_day_utc(today)
    tables = [
        m.class_
        for m in Base.registry.mappers
        if issubclass(m.class_, AuditedMixin) and m.class_.__table__ is m.local_table
    ]
    parts = [
        select(literal(model.__tablename__).label("t"), func.count().label("n"))
        .select_from(model)
        .where(model.created_by_id == user.id, model.created_at >= start, model.created_at < end)
        for model in sorted(tables, key=lambda m: m.__tablename__)
    ]
    return {t: n for t, n in session.execute(union_all(*parts)) if n}


@dataclass(frozen=True)
class ClerkHome:
    followups_due: int
    followups_overdue: int
    pending_requests: int
    open_lookups: int
    entered_cards: int
    entered_receptions: int
    entered_other: int

    @property
    def entered_total(self) -> int:
        return self.entered_cards + self.entered_receptions + self.entered_other


def clerk_home(session: Session, user: User, today: date) -> ClerkHome:
    groups = followups.due_list(session, user, today)
    entered = entered_today(session, user, today)
    cards = entered.pop(Prospect.__tablename__, 0)
    receptions = entered.pop(Visit.__tablename__, 0)
    return ClerkHome(
        followups_due=len(groups["due"]),
        followups_overdue=len(groups["overdue"]),
        pending_requests=_count(
            session,
            ChangeRequest,
            ChangeRequest.requested_by_id == user.id,
            ChangeRequest.status == "pending",
        ),
        open_lookups=_count(
            session,
            LookupRequest,
            LookupRequest.requested_by_id == user.id,
            LookupRequest.status.in_(OPEN_LOOKUP_STATUSES),
        ),
        entered_cards=cards,
        entered_receptions=receptions,
        entered_other=sum(entered.values()),
    )


# --- supervisor ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsultantDay:
    consultant_id: int
    name: str
    entered: int
    reported: int | None

    @property
    def agrees(self) -> bool | None:
        return None if self.reported is None else self.reported == self.entered


def day_cards_by_consultant(session: Session, day: date, user: User) -> list[ConsultantDay]:
    """Every active consultant of ``user``'s offices (and anyone there who received a
    customer that day) with the receptions entered there for ``day`` (scouts not counted)
    and the count reported at the evening meeting."""
    entered = (
        select(Visit.consultant_id.label("cid"), func.count().label("n"))
        .join(Prospect, Prospect.id == Visit.prospect_id)
        .where(
            Visit.visited_on == day,
            Visit.consultant_id.is_not(None),
            Prospect.is_scout.is_(False),
            office_clause(Visit.office_id, user),
        )
        .group_by(Visit.consultant_id)
        .subquery()
    )
    reported = select(DayReport.consultant_id.label("cid"), DayReport.reported_count).where(
        DayReport.day == day
    )
    reported = reported.subquery()
    rows = session.execute(
        select(User.id, User.full_name, entered.c.n, reported.c.reported_count)
        .join(Role, Role.id == User.role_id)
        .outerjoin(entered, entered.c.cid == User.id)
        .outerjoin(reported, reported.c.cid == User.id)
        .where(
            consultants.in_offices_of(user),
            or_(
                and_(Role.code.in_(consultants.receiving_roles()), User.active.is_(True)),
                entered.c.n.is_not(None),
                reported.c.reported_count.is_not(None),
            ),
        )
        .order_by(User.full_name, User.id)
    )
    return [ConsultantDay(uid, name, n or 0, rep) for uid, name, n, rep in rows]


def requests_waiting(session: Session, user: User) -> int:
    """Pending change requests others filed in the user's offices (the approver's queue)."""
    return _count(
        session,
        ChangeRequest,
        ChangeRequest.status == "pending",
        ChangeRequest.requested_by_id != user.id,
        approvals.visible_clause(user),
    )


def copies_waiting(session: Session, user: User) -> int:
    """Copies and excerpts of the user's offices waiting for a superior's approval."""
    return _count(
        session,
        LookupRequest,
        LookupRequest.status == "requested",
        LookupRequest.mode.in_(MODES_NEEDING_SUPERIOR),
        office_clause(LookupRequest.office_id, user),
    )


def deadline_counts(session: Session, user: User, today: date) -> dict[str, int]:
    rows = dealer_deadlines.missing_cards(session, user, today)
    return {
        "due": sum(r.status != "late" for r in rows),  # still in time (today or later)
        "late": sum(r.status == "late" for r in rows),
    }


def complaint_counts(
    session: Session, today: date, handler: User | None = None, *, user: User | None = None
) -> dict[str, int]:
    """Open and overdue complaints: those of ``user``'s offices, or one handler's own (the
    overdue rule lives in services/care/complaints.py, so the list behind the number agrees)."""
    if handler is None:
        return complaints.counts(session, today, user)
    return complaints.handler_counts(session, handler, today)


# --- custodian ----------------------------------------------------------------------------
def desk_counts(session: Session, today: date, user: User) -> dict[str, int]:
    """The archive desk's queues of the user's offices as counts (same rules as
    services/archive_register.queues)."""
    lr = LookupRequest
    mine = office_clause(lr.office_id, user)
    return {
        "to_decide": _count(
            session,
            lr,
            mine,
            or_(
                and_(lr.status == "requested", lr.mode.not_in(MODES_NEEDING_SUPERIOR)),
                lr.status == "approved_by_superior",
            ),
        ),
        "to_hand_out": _count(session, lr, mine, lr.status == "approved"),
        "out_now": _count(
            session,
            lr,
            mine,
            lr.status == "handed_out",
            or_(lr.due_on.is_(None), lr.due_on >= today),
        ),
        "overdue": _count(session, lr, mine, lr.status == "handed_out", lr.due_on < today),
    }


# --- admin --------------------------------------------------------------------------------
#: The admin's home warns past these ages (docs/backups.md).
DRILL_MAX_AGE = timedelta(days=35)
BACKUP_MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class BackupHealth:
    last_drill: backup_drill.LastDrill | None
    drill_overdue: bool  # the last successful drill is older than DRILL_MAX_AGE, or none
    newest_backup_at: datetime | None  # naive UTC, like the database's moments
    backup_stale: bool  # the newest backup is older than BACKUP_MAX_AGE, or none


def backup_health(session: Session, folder, now: datetime) -> BackupHealth:
    """The last restore drill and the newest backup file, against ``now`` (naive UTC)."""
    last_ok = backup_drill.last(session, ok_only=True)
    newest = backup_rotation.newest(folder)
    newest_at = None if newest is None else backup_rotation.stamp_of(newest.name)
    newest_at = None if newest_at is None else newest_at.replace(tzinfo=None)
    return BackupHealth(
        last_drill=backup_drill.last(session),
        drill_overdue=last_ok is None or now - last_ok.at > DRILL_MAX_AGE,
        newest_backup_at=newest_at,
        backup_stale=newest_at is None or now - newest_at > BACKUP_MAX_AGE,
    )


def admin_counts(session: Session) -> dict[str, int]:
    return {
        "active_accounts": _count(session, User, User.active.is_(True)),
        "reference_lists": _count(session, ReferenceList),
        "open_alerts": access_alerts.open_count(session),
    }
