"""Spot checks (抽查) of entry accuracy: a supervisor draws a random sample of the week's new
welcome cards (first received Monday to Sunday, Asia/Shanghai), compares each with its paper
card and records match or mismatch with a note. One draw per week: a second is refused.

Per office (issue 18): the week's draw samples each office's new cards apart (the size or the
percentage applies to each office), and every account reads the sample of its own offices
only: its cards, their count, and the week's cards of those offices. A week whose sample
holds no card of the account's offices is not found.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.daily import SPOT_RESULTS, SpotCheck, SpotCheckItem
from models.sales.prospects import Prospect
from services.admin.offices import office_clause, visible_office_ids
from services.privacy import audit
from services.sales.office_reach import reads_whole_group

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
    """Draw this week's sample once, each office's cards apart (the size or percentage is
    per office); the unique week key refuses a second draw, also when two supervisors press
    at once. Refused when the drawer's offices have no card this week."""
    if not user.has_role("supervisor"):
        raise NotAllowed
    start = week_start(week)
    rows = session.execute(
        _week_cards(start).add_columns(Prospect.office_id).order_by(Prospect.office_id, Prospect.id)
    ).all()
    mine = visible_office_ids(user)
    if not any(mine is None or row.office_id in mine for row in rows):
        # Nothing of the drawer's own offices to check: the week stays open for the others.
        raise NothingToDraw
    if session.scalar(select(SpotCheck.id).where(SpotCheck.week_start == start)):
        raise AlreadyDrawn
    sample_size(len(rows), size=size, percent=percent)  # a bad size is refused before drawing
    rng = rng or random.SystemRandom()
    chosen: list[int] = []
    # Each office's cards are sampled apart, so every office has its own cards to check.
    for _office, cards in groupby(rows, key=lambda row: row.office_id):
        population = [row.id for row in cards]
        n = sample_size(len(population), size=size, percent=percent)
        chosen += rng.sample(population, n)
    check = SpotCheck(
        week_start=start,
        drawn_by_id=user.id,
        drawn_at=utcnow(),
        sample_size=len(chosen),
        population=len(rows),
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
    item = session.scalar(
        select(SpotCheckItem)
        .join(Prospect, Prospect.id == SpotCheckItem.prospect_id)
        .where(SpotCheckItem.id == item_id, office_clause(Prospect.office_id, user))
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
    sample_size: int
    population: int
    checked: int
    matches: int

    @property
    def match_rate(self) -> float | None:
        """Share of checked cards that matched; None before any is checked."""
        return self.matches / self.checked if self.checked else None


def _population(session: Session, start: date, user: User) -> int:
    """The week's new cards in ``user``'s offices (as they are now)."""
    cards = _week_cards(start).where(office_clause(Prospect.office_id, user)).subquery()
    return session.scalar(select(func.count()).select_from(cards)) or 0


def history(session: Session, user: User, *, limit: int = 52) -> list[WeekResult]:
    """Past weeks with a card of ``user``'s offices drawn, newest first, with how many of
    those cards were checked and matched."""
    drawn = func.count(SpotCheckItem.id)
    checked = func.count(SpotCheckItem.result)
    matches = func.sum(case((SpotCheckItem.result == "match", 1), else_=0))
    rows = session.execute(
        select(SpotCheck, drawn, checked, matches)
        .join(SpotCheckItem, SpotCheckItem.spot_check_id == SpotCheck.id)
        .join(Prospect, Prospect.id == SpotCheckItem.prospect_id)
        .where(office_clause(Prospect.office_id, user))
        .group_by(SpotCheck.id)
        .order_by(SpotCheck.week_start.desc())
        .limit(limit)
    )
    whole = reads_whole_group(session, user)
    return [
        WeekResult(
            c.id,
            c.week_start,
            c.sample_size if whole else d,
            c.population if whole else _population(session, c.week_start, user),
            n or 0,
            int(m or 0),
        )
        for c, d, n, m in rows
    ]


@dataclass(frozen=True)
class OfficeSample:
    """A week's sample as one account reads it: the cards of its offices only. Shaped like
    a SpotCheck for the pages (id, week_start, drawn_by, drawn_at, items, sizes)."""

    check: SpotCheck
    items: list[SpotCheckItem]
    population: int

    @property
    def sample_size(self) -> int:
        return len(self.items)

    @property
    def id(self) -> int:
        return self.check.id

    @property
    def week_start(self) -> date:
        return self.check.week_start

    @property
    def drawn_by(self) -> User | None:
        return self.check.drawn_by

    @property
    def drawn_at(self):
        return self.check.drawn_at


def _sample(session: Session, check: SpotCheck | None, user: User) -> OfficeSample | None:
    if check is None:
        return None
    if reads_whole_group(session, user):
        return OfficeSample(check, list(check.items), check.population)
    items = list(
        session.scalars(
            select(SpotCheckItem)
            .join(Prospect, Prospect.id == SpotCheckItem.prospect_id)
            .where(SpotCheckItem.spot_check_id == check.id, office_clause(Prospect.office_id, user))
            .order_by(SpotCheckItem.id)
        )
    )
    return OfficeSample(check, items, _population(session, check.week_start, user))


def for_week(session: Session, start: date, user: User) -> OfficeSample | None:
    """The week's sample as ``user`` reads it; None before the draw, and when it holds no
    card of ``user``'s offices (another office's sample is not theirs to see)."""
    check = session.scalar(select(SpotCheck).where(SpotCheck.week_start == start))
    found = _sample(session, check, user)
    if found is None or (not found.items and not reads_whole_group(session, user)):
        return None
    return found


def sample(session: Session, check_id: int, user: User) -> OfficeSample | None:
    """One week's sample by id, None when it holds no card of ``user``'s offices (the
    page's 404: another office's sample is not found)."""
    found = _sample(session, session.get(SpotCheck, check_id), user)
    if found is None or (not found.items and not reads_whole_group(session, user)):
        return None
    return found
