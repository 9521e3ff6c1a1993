"""The Saturday count of B and C customers, in total and per consultant, and its weekly
snapshots. Scouts and D grades are never counted; a snapshot, once taken, stays as it was
whatever happens to the grades later.

Per office (issue 18): a snapshot is stored for the whole group (one row per consultant and
the group's total), and each account reads it for its own offices: the rows of the
consultants working there, and their sum as the total. An account whose offices are all the
group's (a group of one office, an admin) reads the stored total, pool cards included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.prospects import Prospect
from models.sales.sales import WeeklySnapshot
from services.admin.offices import office_clause
from services.sales.consultants import in_offices_of
from services.sales.office_reach import reads_whole_group

COUNTED_GRADES = ("B", "C")
SATURDAY = 5


class NotASaturday(ValueError):
    pass


def week_ending(day: date) -> date:
    """The Saturday that ends the week (Sunday to Saturday) holding ``day``."""
    return day + timedelta(days=(SATURDAY - day.weekday()) % 7)


def last_saturday(day: date) -> date:
    """``day`` if it is a Saturday, else the Saturday before it."""
    return day - timedelta(days=(day.weekday() - SATURDAY) % 7)


@dataclass
class WeeklyCount:
    week_ending: date
    b: int = 0
    c: int = 0
    #: consultant id -> (B, C); cards without a consultant count in the total only.
    per_consultant: dict[int, tuple[int, int]] = field(default_factory=dict)


def count_as_of(session: Session, saturday: date, user: User | None) -> WeeklyCount:
    """B and C cards that existed by ``saturday``, scouts excluded, at their current grade:
    the cards of ``user``'s offices (None: the whole group, for the stored snapshot)."""
    offices = true() if user is None else office_clause(Prospect.office_id, user)
    rows = session.execute(
        select(Prospect.consultant_id, Prospect.grade, func.count())
        .where(
            offices,
            Prospect.grade.in_(COUNTED_GRADES),
            Prospect.is_scout.is_(False),
            or_(Prospect.first_visit_on.is_(None), Prospect.first_visit_on <= saturday),
        )
        .group_by(Prospect.consultant_id, Prospect.grade)
    )
    result = WeeklyCount(saturday)
    for consultant_id, grade, n in rows:
        if grade == "B":
            result.b += n
        else:
            result.c += n
        if consultant_id is not None:
            b, c = result.per_consultant.get(consultant_id, (0, 0))
            result.per_consultant[consultant_id] = (b + n, c) if grade == "B" else (b, c + n)
    return result


def _stored_rows(session: Session, saturday: date) -> list[WeeklySnapshot]:
    """The group's stored rows of one week, the total first."""
    return list(
        session.scalars(
            select(WeeklySnapshot)
            .where(WeeklySnapshot.week_ending == saturday)
            .order_by(WeeklySnapshot.consultant_id.is_not(None), WeeklySnapshot.consultant_id)
        )
    )


@dataclass(frozen=True)
class OfficeTotal:
    """The total row of a week as an account of some offices reads it: the sum of their
    consultants' rows (shaped like a stored row for the page)."""

    week_ending: date
    b_count: int
    c_count: int
    taken_at: object
    taken_by: User | None
    consultant_id: None = None
    consultant: None = None


def snapshot_rows(session: Session, saturday: date, user: User | None) -> list:
    """The rows of one week as ``user`` reads them, the total first."""
    rows = _stored_rows(session, saturday)
    if not rows or reads_whole_group(session, user):
        return rows
    colleagues = set(
        session.scalars(
            select(User.id).where(
                User.id.in_([r.consultant_id for r in rows if r.consultant_id is not None]),
                in_offices_of(user),
            )
        )
    )
    mine = [r for r in rows if r.consultant_id in colleagues]
    total = OfficeTotal(
        saturday,
        sum(r.b_count for r in mine),
        sum(r.c_count for r in mine),
        rows[0].taken_at,
        rows[0].taken_by,
    )
    return [total, *mine]


@dataclass(frozen=True)
class SnapshotResult:
    rows: list[WeeklySnapshot]
    #: False when the week already had a snapshot and it was kept as it was.
    created: bool


def take_snapshot(
    session: Session, user: User | None, saturday: date, *, force: bool = False
) -> SnapshotResult:
    """Store the week's count. A week already taken is kept unless ``force``; two takers
    at once are settled by the unique keys (the second keeps the first one's rows)."""
    if saturday.weekday() != SATURDAY:
        raise NotASaturday(saturday)
    existing = _stored_rows(session, saturday)
    if existing and not force:
        return SnapshotResult(existing, created=False)
    count = count_as_of(session, saturday, None)
    taken_by = user.id if user is not None else None
    now = utcnow()
    try:
        with session.begin_nested():
            if existing:
                session.execute(
                    delete(WeeklySnapshot).where(WeeklySnapshot.week_ending == saturday)
                )
            rows = [WeeklySnapshot(consultant_id=None, b_count=count.b, c_count=count.c)]
            rows += [
                WeeklySnapshot(consultant_id=cid, b_count=b, c_count=c)
                for cid, (b, c) in sorted(count.per_consultant.items())
            ]
            for row in rows:
                row.week_ending, row.taken_at, row.taken_by_id = saturday, now, taken_by
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        return SnapshotResult(_stored_rows(session, saturday), created=False)
    return SnapshotResult(_stored_rows(session, saturday), created=True)


@dataclass(frozen=True)
class TrendPoint:
    week_ending: date
    b: int
    c: int


def trend(
    session: Session, user: User | None, *, weeks: int = 12, until: date | None = None
) -> list[TrendPoint]:
    """Totals of the latest ``weeks`` snapshots as ``user`` reads them, oldest first."""
    if reads_whole_group(session, user):
        query = select(
            WeeklySnapshot.week_ending, WeeklySnapshot.b_count, WeeklySnapshot.c_count
        ).where(WeeklySnapshot.consultant_id.is_(None))
    else:
        query = (
            select(
                WeeklySnapshot.week_ending,
                func.sum(WeeklySnapshot.b_count),
                func.sum(WeeklySnapshot.c_count),
            )
            .join(User, User.id == WeeklySnapshot.consultant_id)
            .where(in_offices_of(user))
            .group_by(WeeklySnapshot.week_ending)
        )
    if until is not None:
        query = query.where(WeeklySnapshot.week_ending <= until)
    rows = session.execute(query.order_by(WeeklySnapshot.week_ending.desc()).limit(weeks)).all()
    return [TrendPoint(week, int(b or 0), int(c or 0)) for week, b, c in reversed(rows)]
