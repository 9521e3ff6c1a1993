"""Spot checks (抽查) of entry accuracy: a supervisor draws a random sample of the week's new
welcome cards (first received Monday to Sunday, Asia/Shanghai), compares each with its paper
card and records match or mismatch with a note. One draw per week: a second is refused."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.daily import SPOT_RESULTS, SpotCheck, SpotCheckItem
from models.sales.prospects import Prospect
from services.privacy import audit

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


def week_start(day: date) -> date:
    """The Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


def _week_cards(start: date):
    return select(Prospect.id).where(
        Prospect.first_visit_on >= start, Prospect.first_visit_on <= start + timedelta(days=6)
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
    *,
    size: int | None = None,
    percent: int | None = None,
    rng: random.Random | None = None,
) -> SpotCheck:
    """Draw this week's sample once; the unique week key refuses a second draw, also when
    two supervisors press at once."""
    if not user.has_role("supervisor"):
        raise NotAllowed
    start = week_start(week)
    if session.scalar(select(SpotCheck.id).where(SpotCheck.week_start == start)):
        raise AlreadyDrawn
    population = list(session.scalars(_week_cards(start).order_by(Prospect.id)))
    if not population:
        raise NothingToDraw
    n = sample_size(len(population), size=size, percent=percent)
    chosen = (rng or random.SystemRandom()).sample(population, n)
    check = SpotCheck(
        week_start=start,
        drawn_by_id=user.id,
        drawn_at=utcnow(),
        sample_size=n,
        population=len(population),
    )
    check.items = [SpotCheckItem(prospect_id=pid) for pid in sorted(chosen)]
    try:
        with session.begin_nested():
            session.add(check)
            session.flush()
    except IntegrityError:
        raise AlreadyDrawn from None
    audit.record(
        session,
        actor,
        "create",
        record_type="spot_check",
        record_id=check.id,
        record_ids=sorted(chosen),
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
    item = session.get(SpotCheckItem, item_id)
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
    sample_size: int
    population: int
    checked: int
    matches: int

    @property
    def match_rate(self) -> float | None:
        """Share of checked cards that matched; None before any is checked."""
        return self.matches / self.checked if self.checked else None


def history(session: Session, *, limit: int = 52) -> list[WeekResult]:
    """Past weeks, newest first, with how many cards were checked and matched."""
    checked = func.count(SpotCheckItem.result)
    matches = func.sum(case((SpotCheckItem.result == "match", 1), else_=0))
    rows = session.execute(
        select(SpotCheck, checked, matches)
        .outerjoin(SpotCheckItem, SpotCheckItem.spot_check_id == SpotCheck.id)
        .group_by(SpotCheck.id)
        .order_by(SpotCheck.week_start.desc())
        .limit(limit)
    )
    return [
        WeekResult(c.id, c.week_start, c.sample_size, c.population, n or 0, int(m or 0))
        for c, n, m in rows
    ]


def for_week(session: Session, start: date) -> SpotCheck | None:
    return session.scalar(select(SpotCheck).where(SpotCheck.week_start == start))
