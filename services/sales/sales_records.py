"""The day's cards against the evening report, and identity checks on a welcome card."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.sales.prospects import Prospect, Visit
from models.sales.sales import IDENTITY_METHODS, DayReport, IdentityCheck
from services.admin.offices import office_clause, visible_office_ids
from services.sales.consultants import in_offices_of


class NotAllowed(PermissionError):
    pass


@dataclass
class DayCards:
    consultant_id: int
    day: date
    #: Receptions that count: scouts (踩盘) are left out of the day's figures.
    visits: list[Visit]
    reported: int | None
    #: Receptions of cards flagged as a competitor's scout, shown apart and not counted.
    scout_visits: list[Visit] = field(default_factory=list)

    @property
    def entered(self) -> int:
        return len(self.visits)

    @property
    def difference(self) -> int | None:
        """Reported minus entered; None until the supervisor records the report."""
        return None if self.reported is None else self.reported - self.entered


def day_cards(session: Session, consultant_id: int, day: date, user: User | None) -> DayCards:
    """The receptions a consultant recorded for ``day`` (scouts apart, not counted) in
    ``user``'s offices, and the count reported that evening."""
    rows = session.execute(
        select(Visit, Prospect.is_scout)
        .join(Prospect, Prospect.id == Visit.prospect_id)
        .where(
            Visit.consultant_id == consultant_id,
            Visit.visited_on == day,
            office_clause(Visit.office_id, user),
        )
        .order_by(Visit.id)
    ).all()
    visits = [visit for visit, is_scout in rows if not is_scout]
    scout_visits = [visit for visit, is_scout in rows if is_scout]
    reported = session.scalar(
        select(DayReport.reported_count).where(
            DayReport.consultant_id == consultant_id, DayReport.day == day
        )
    )
    return DayCards(consultant_id, day, visits, reported, scout_visits)


def record_day_report(
    session: Session, user: User, consultant_id: int, day: date, reported_count: int
) -> DayReport:
    """Record (or correct) the evening's reported count of a consultant of the user's offices
    (else LookupError); one row per consultant and day, the unique key settling two
    supervisors saving at once."""
    if not user.has_role("supervisor"):
        raise NotAllowed
    if reported_count < 0:
        raise ValueError("reported_count must be >= 0")
    if session.scalar(select(User.id).where(User.id == consultant_id, in_offices_of(user))) is None:
        raise LookupError(consultant_id)  # another office's consultant is not theirs to report
    values = {"reported_count": reported_count, "recorded_by_id": user.id, "recorded_at": utcnow()}
    where = (DayReport.consultant_id == consultant_id, DayReport.day == day)
    changed = session.execute(update(DayReport).where(*where).values(**values)).rowcount
    if not changed:
        try:
            with session.begin_nested():
                session.execute(
                    insert(DayReport).values(consultant_id=consultant_id, day=day, **values)
                )
        except IntegrityError:
            session.execute(update(DayReport).where(*where).values(**values))
    return session.scalars(select(DayReport).where(*where)).one()


def record_identity_check(
    session: Session, user: User, prospect_id: int, method: str, note: str | None = None
) -> IdentityCheck:
    """Record that ``user`` verified the prospect's identity now by ``method``; a card of
    another office is not found (LookupError)."""
    if method not in IDENTITY_METHODS:
        raise ValueError(method)
    prospect = session.get(Prospect, prospect_id)
    offices = visible_office_ids(user)
    if prospect is None or (offices is not None and prospect.office_id not in offices):
        raise LookupError(prospect_id)
    check = IdentityCheck(
        prospect=prospect,  # the check belongs to the card's office
        method=method,
        checked_by_id=user.id,
        checked_at=utcnow(),
        note=(note or "").strip()[:200] or None,
    )
    session.add(check)
    session.flush()
    return check


def identity_checks(session: Session, prospect_id: int) -> list[IdentityCheck]:
    return list(
        session.scalars(
            select(IdentityCheck)
            .where(IdentityCheck.prospect_id == prospect_id)
            .order_by(IdentityCheck.checked_at.desc(), IdentityCheck.id.desc())
        )
    )
