"""The Saturday count of B and C customers, in total and per consultant, and its weekly
snapshots. Scouts and D grades are never counted; a snapshot, once taken, stays as it was
whatever happens to the grades later.

Per office (issue 18): a snapshot is one office's week: a row per consultant for their cards
of that office, and the office's total, its public-pool cards included. A supervisor takes it
for their office (one of several: they choose, or take each); an account reads the snapshots
of its offices, office by office, and its trend is the sum of their totals (a group role:
every office).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.offices import Office
from models.admin.people import User
from models.base import utcnow
from models.sales.prospects import Prospect
from models.sales.sales import WeeklySnapshot
from services.admin.offices import office_clause
from services.sales.sales_offices import pick_office

COUNTED_GRADES = ("B", "C")
SATURDAY = 5


class NotASaturday(ValueError):
    pass


class NoSuchOffice(LookupError):
    """Not one of the taker's selling offices, or none named by a taker of several."""


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


def _of_offices(user: User | None):
    """SQL: a snapshot row of ``user``'s offices (every office when no user is given)."""
    return true() if user is None else office_clause(WeeklySnapshot.office_id, user)


def count_as_of(
    session: Session, saturday: date, user: User | None, *, office_id: int | None = None
) -> WeeklyCount:
    """B and C cards that existed by ``saturday``, scouts excluded, at their current grade:
    the cards of ``user``'s offices (None: the whole group), or of office ``office_id``."""
    offices = true() if user is None else office_clause(Prospect.office_id, user)
    if office_id is not None:
        offices = offices & (Prospect.office_id == office_id)
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


def _stored_rows(session: Session, office_id: int, saturday: date) -> list[WeeklySnapshot]:
    """One office's stored rows of one week, the total first."""
    return list(
        session.scalars(
            select(WeeklySnapshot)
            .where(WeeklySnapshot.office_id == office_id, WeeklySnapshot.week_ending == saturday)
            .order_by(WeeklySnapshot.consultant_id.is_not(None), WeeklySnapshot.consultant_id)
        )
    )


@dataclass(frozen=True)
class OfficeWeek:
    """One office's snapshot of a week: its rows, the total first."""

    office: Office
    rows: list[WeeklySnapshot]

    @property
    def total(self) -> WeeklySnapshot:
        return self.rows[0]


def snapshot_rows(session: Session, saturday: date, user: User | None) -> list[OfficeWeek]:
    """The snapshots of one week of ``user``'s offices (every office for a group role or
    None), office by office in the order of their names."""
    rows = session.scalars(
        select(WeeklySnapshot)
        .join(Office, Office.id == WeeklySnapshot.office_id)
        .where(WeeklySnapshot.week_ending == saturday, _of_offices(user))
        .order_by(
            Office.name,
            Office.id,
            WeeklySnapshot.consultant_id.is_not(None),
            WeeklySnapshot.consultant_id,
        )
    )
    weeks: dict[int, OfficeWeek] = {}
    for row in rows:
        weeks.setdefault(row.office_id, OfficeWeek(row.office, [])).rows.append(row)
    return list(weeks.values())


@dataclass(frozen=True)
class SnapshotResult:
    office: Office
    rows: list[WeeklySnapshot]
    #: False when the office's week already had a snapshot and it was kept as it was.
    created: bool


def take_snapshot(
    session: Session,
    user: User | None,
    saturday: date,
    office_id: int | None = None,
    *,
    force: bool = False,
) -> SnapshotResult:
    """Store one office's count of the week: ``office_id``, one of ``user``'s selling offices
    (or their only one when None; any for the scheduler, ``user`` None). A week already
    taken is kept unless ``force``; two takers at once are settled by the unique keys (the
    second keeps the first one's rows)."""
    if saturday.weekday() != SATURDAY:
        raise NotASaturday(saturday)
    office = pick_office(session, user, office_id)
    if office is None:
        raise NoSuchOffice(office_id)
    existing = _stored_rows(session, office.id, saturday)
    if existing and not force:
        return SnapshotResult(office, existing, created=False)
    count = count_as_of(session, saturday, None, office_id=office.id)
    taken_by = user.id if user is not None else None
    now = utcnow()
    try:
        with session.begin_nested():
            if existing:
                session.execute(
                    delete(WeeklySnapshot).where(
                        WeeklySnapshot.office_id == office.id,
                        WeeklySnapshot.week_ending == saturday,
                    )
                )
            rows = [WeeklySnapshot(consultant_id=None, b_count=count.b, c_count=count.c)]
            rows += [
                WeeklySnapshot(consultant_id=cid, b_count=b, c_count=c)
                for cid, (b, c) in sorted(count.per_consultant.items())
            ]
            for row in rows:
                row.office_id, row.week_ending = office.id, saturday
                row.taken_at, row.taken_by_id = now, taken_by
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        return SnapshotResult(office, _stored_rows(session, office.id, saturday), created=False)
    return SnapshotResult(office, _stored_rows(session, office.id, saturday), created=True)


@dataclass(frozen=True)
class TrendPoint:
    week_ending: date
    b: int
    c: int


def trend(
    session: Session, user: User | None, *, weeks: int = 12, until: date | None = None
) -> list[TrendPoint]:
    """The latest ``weeks`` counted weeks of ``user``'s offices (every office for a group
    role or None), oldest first: the sum of the offices' totals."""
    query = (
        select(
            WeeklySnapshot.week_ending,
            func.sum(WeeklySnapshot.b_count),
            func.sum(WeeklySnapshot.c_count),
        )
        .where(
            WeeklySnapshot.consultant_id.is_(None),
            _of_offices(user),
        )
        .group_by(WeeklySnapshot.week_ending)
    )
    if until is not None:
        query = query.where(WeeklySnapshot.week_ending <= until)
    rows = session.execute(query.order_by(WeeklySnapshot.week_ending.desc()).limit(weeks)).all()
    return [TrendPoint(week, int(b or 0), int(c or 0)) for week, b, c in reversed(rows)]
