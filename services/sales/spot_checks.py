"""Spot checks (抽查) of entry accuracy: a supervisor draws a random sample of the week's new
welcome cards (first received Monday to Sunday, Asia/Shanghai), compares each with its paper
card and records match or mismatch with a note.

Per office (issue 18): a draw is one office's: a supervisor draws it for their office (of
several: they choose), from that office's new cards only, once a week per office (a second
is refused). An account reads its offices' draws; another office's draw is not found.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.offices import Office
from models.admin.people import User
from models.base import utcnow
from models.sales.daily import SPOT_RESULTS, SpotCheck, SpotCheckItem
from models.sales.prospects import Prospect
from services.admin.offices import office_clause
from services.privacy import audit
from services.sales.sales_offices import pick_office
from services.shared.office_scope import get_in_offices

#: The largest sample one draw may take (a supervisor checks by hand).
MAX_SAMPLE = 200


class SpotCheckError(Exception):
    code = "invalid"


class NotAllowed(SpotCheckError):
    code = "not_allowed"


class AlreadyDrawn(SpotCheckError):
    code = "already_drawn"


class NothingToDraw(SpotCheckError):
    code = "nothing_to_draw"


class InvalidSize(SpotCheckError):
    code = "invalid_size"


class MissingNote(SpotCheckError):
    code = "missing_note"


class NoSuchItem(SpotCheckError):
    code = "not_found"


class NoSuchOffice(SpotCheckError):
    """Not one of the drawer's selling offices, or none named by a drawer of several."""

    code = "no_such_office"


def week_start(day: date) -> date:
    """The Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


def _week_cards(start: date, office_id: int):
    return select(Prospect.id).where(
        Prospect.office_id == office_id,
        Prospect.first_visit_on >= start,
        Prospect.first_visit_on <= start + timedelta(days=6),
    )


def sample_size(population: int, *, size: int | None = None, percent: int | None = None) -> int:
    """How many cards to draw: a number, or a percentage rounded up; never more than exist."""
    if (size is None) == (percent is None):
        raise InvalidSize
    if size is not None:
        if size < 1 or size > MAX_SAMPLE:
            raise InvalidSize
        wanted = size
    else:
        if percent < 1 or percent > 100:
            raise InvalidSize
        wanted = math.ceil(population * percent / 100)
    return min(wanted, population, MAX_SAMPLE)


def draw(
    session: Session,
    user: User,
    actor: audit.Actor,
    week: date,
    office_id: int | None = None,
    *,
    size: int | None = None,
    percent: int | None = None,
    rng: random.Random | None = None,
) -> SpotCheck:
    """Draw the week's sample of office ``office_id`` (one of the drawer's selling offices;
    their only one when None) from its new cards, once: the unique (office, week) key
    refuses a second draw, also when two supervisors press at once."""
    if not user.has_role("supervisor"):
        raise NotAllowed
    office = pick_office(session, user, office_id)
    if office is None:
        raise NoSuchOffice
    start = week_start(week)
    population = list(session.scalars(_week_cards(start, office.id).order_by(Prospect.id)))
    if not population:
        raise NothingToDraw
    if session.scalar(
        select(SpotCheck.id).where(SpotCheck.office_id == office.id, SpotCheck.week_start == start)
    ):
        raise AlreadyDrawn
    n = sample_size(len(population), size=size, percent=percent)
    chosen = sorted((rng or random.SystemRandom()).sample(population, n))
    check = SpotCheck(
        office_id=office.id,
        week_start=start,
        drawn_by_id=user.id,
        drawn_at=utcnow(),
        sample_size=n,
        population=len(population),
    )
    check.items = [SpotCheckItem(prospect_id=pid) for pid in chosen]
    try:
        with session.begin_nested():
            session.add(check)
            session.flush()
    except IntegrityError:
        raise AlreadyDrawn from None
    audit.record(
        session, actor, "create", record_type="spot_check", record_id=check.id, record_ids=chosen
    )
    return check


def record_result(
    session: Session, user: User, actor: audit.Actor, item_id: int, result: str, note: str | None
) -> SpotCheckItem:
    """Record (or correct) the comparison of one card; a mismatch needs a note."""
    if not user.has_role("supervisor"):
        raise NotAllowed
    if result not in SPOT_RESULTS:
        raise SpotCheckError
    note = (note or "").strip()
    if result == "mismatch" and not note:
        raise MissingNote
    # Another office's draw is not theirs to check: its cards are not found.
    item = session.scalar(
        select(SpotCheckItem)
        .join(SpotCheck, SpotCheck.id == SpotCheckItem.spot_check_id)
        .where(SpotCheckItem.id == item_id, office_clause(SpotCheck.office_id, user))
    )
    if item is None:
        raise NoSuchItem
    item.result, item.note = result, note[:2000] or None
    item.checked_by_id, item.checked_at = user.id, utcnow()
    session.flush()
    audit.record(session, actor, "update", record_type="spot_check", record_id=item.spot_check_id)
    return item


@dataclass(frozen=True)
class WeekResult:
    id: int
    week_start: date
    office_name: str
    sample_size: int
    population: int
    checked: int
    matches: int

    @property
    def match_rate(self) -> float | None:
        """Share of checked cards that matched; None before any is checked."""
        return self.matches / self.checked if self.checked else None


def history(session: Session, user: User, *, limit: int = 52) -> list[WeekResult]:
    """Past draws of ``user``'s offices, newest week first, with how many of their cards
    were checked and matched."""
    checked = func.count(SpotCheckItem.result)
    matches = func.sum(case((SpotCheckItem.result == "match", 1), else_=0))
    rows = session.execute(
        select(SpotCheck, Office.name, checked, matches)
        .join(Office, Office.id == SpotCheck.office_id)
        .outerjoin(SpotCheckItem, SpotCheckItem.spot_check_id == SpotCheck.id)
        .where(office_clause(SpotCheck.office_id, user))
        .group_by(SpotCheck.id, Office.name)
        .order_by(SpotCheck.week_start.desc(), Office.name, SpotCheck.id)
        .limit(limit)
    )
    return [
        WeekResult(c.id, c.week_start, name, c.sample_size, c.population, n or 0, int(m or 0))
        for c, name, n, m in rows
    ]


def for_week(session: Session, start: date, user: User) -> dict[int, SpotCheck]:
    """The week's draws of ``user``'s offices, by office id."""
    checks = session.scalars(
        select(SpotCheck).where(
            SpotCheck.week_start == start, office_clause(SpotCheck.office_id, user)
        )
    )
    return {check.office_id: check for check in checks}


def sample(session: Session, check_id: int, user: User) -> SpotCheck | None:
    """One draw by id; None when it is another office's (the page's 404)."""
    return get_in_offices(session, SpotCheck, check_id, user)
