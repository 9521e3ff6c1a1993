"""The Saturday count of B and C customers, in total and per consultant, and its weekly
snapshots. Scouts and D grades are never counted; a snapshot, once taken, stays as it was
whatever happens to the grades later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.prospects import Prospect
from models.sales.sales import WeeklySnapshot

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


def count_as_of(session: Session, saturday: date) -> WeeklyCount:
    """B and C cards that existed by ``saturday``, scouts excluded, at their current grade."""
    rows = session.execute(
        select(Prospect.consultant_id, Prospect.grade, func.count())
        .where(
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


def snapshot_rows(session: Session, saturday: date) -> list[WeeklySnapshot]:
    """The stored rows of one week, the total first."""
    return list(
        session.scalars(
            select(WeeklySnapshot)
            .where(WeeklySnapshot.week_ending == saturday)
            .order_by(WeeklySnapshot.consultant_id.is_not(None), WeeklySnapshot.consultant_id)
        )
    )


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
    existing = snapshot_rows(session, saturday)
    if existing and not force:
        return SnapshotResult(existing, created=False)
    count = count_as_of(session, saturday)
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
        return SnapshotResult(snapshot_rows(session, saturday), created=False)
    return SnapshotResult(snapshot_rows(session, saturday), created=True)


@dataclass(frozen=True)
class TrendPoint:
    week_ending: date
    b: int
    c: int


def trend(session: Session, *, weeks: int = 12, until: date | None = None) -> list[TrendPoint]:
    """Office totals of the latest ``weeks`` snapshots, oldest first."""
    query = select(WeeklySnapshot).where(WeeklySnapshot.consultant_id.is_(None))
    if until is not None:
        query = query.where(WeeklySnapshot.week_ending <= until)
    rows = session.scalars(query.order_by(WeeklySnapshot.week_ending.desc()).limit(weeks))
    return [TrendPoint(r.week_ending, r.b_count, r.c_count) for r in reversed(list(rows))]
