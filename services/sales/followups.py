"""Follow-ups of the welcome cards: the first one 3 to 5 days after the first visit, the
later ones at the next appointment promised at the latest reception, and the customers not
contacted for a long time.

``today`` is always a parameter, so the rules can be checked on any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.clock import office_today  # noqa: F401  (re-exported for callers)
from models.admin.people import User
from models.sales.prospects import Prospect, Visit
from services.admin.offices import office_clause
from services.privacy.consent import withdrawn_condition
from services.sales.ownership import owned_clause, sees_own_cards_only

#: The first follow-up is due from this many days after the first visit...
FIRST_DUE_FROM_DAYS = 3
#: ...and is overdue after this many.
FIRST_DUE_BY_DAYS = 5
#: "Due soon" looks this many days ahead.
SOON_DAYS = 3
#: Default of the STALE_CONTACT_DAYS setting.
DEFAULT_STALE_DAYS = 30
#: At most this many rows per list; the rest waits for the next day.
MAX_ROWS = 500


@dataclass(frozen=True)
class FollowUp:
    prospect_id: int
    name: str
    consultant_id: int | None
    #: "first" (first follow-up) or "appointment" (the next appointment promised).
    kind: str
    #: First day the follow-up is due.
    due_from: date
    #: Last day before it is overdue.
    due_by: date
    #: "soon", "due" or "overdue" as of the day asked about.
    status: str
    pretext: str | None = None


def first_followup_window(first_visit: date) -> tuple[date, date]:
    """(first day due, last day before overdue) of the first follow-up."""
    return (
        first_visit + timedelta(days=FIRST_DUE_FROM_DAYS),
        first_visit + timedelta(days=FIRST_DUE_BY_DAYS),
    )


def status_on(today: date, due_from: date, due_by: date) -> str | None:
    """soon / due / overdue on ``today``; None when not yet within the look-ahead."""
    if today > due_by:
        return "overdue"
    if today >= due_from:
        return "due"
    if (due_from - today).days <= SOON_DAYS:
        return "soon"
    return None


def _open_cards(user: User, consultant_id: int | None) -> Select:
    """Cards still being worked in the user's offices: not signed, not scouts; a consultant
    sees only their own (and those shared with them)."""
    query = select(Prospect).where(
        office_clause(Prospect.office_id, user),
        Prospect.progress != "signed",
        Prospect.is_scout.is_(False),
        # No marketing contact is scheduled for a customer who withdrew their consent.
        ~withdrawn_condition(Prospect, "prospect"),
    )
    if sees_own_cards_only(user):
        # Their own and shared cards; the pool's wait to be claimed (services/sales/ownership.py).
        query = query.where(owned_clause(user))
    elif consultant_id:
        query = query.where(Prospect.consultant_id == consultant_id)
    return query


def first_followups(
    session: Session, user: User, today: date, *, consultant_id: int | None = None, stale_days: int
) -> list[FollowUp]:
    """Cards whose only reception is the first visit and whose first follow-up is due soon,
    due or overdue. Cards older than ``stale_days`` belong to the "not contacted" list."""
    # A second reception on the day of the first is still the first visit: the first
    # follow-up stays due until a contact on a later day.
    later = (
        select(func.count(Visit.id))
        .where(Visit.prospect_id == Prospect.id, Visit.visited_on > Prospect.first_visit_on)
        .scalar_subquery()
    )
    earliest = today - timedelta(days=max(stale_days, FIRST_DUE_BY_DAYS + 1))
    latest = today - timedelta(days=FIRST_DUE_FROM_DAYS - SOON_DAYS)
    query = (
        _open_cards(user, consultant_id)
        .where(Prospect.first_visit_on.between(earliest, latest), later == 0)
        .order_by(Prospect.first_visit_on, Prospect.id)
        .limit(MAX_ROWS)
    )
    rows = []
    for prospect in session.scalars(query):
        due_from, due_by = first_followup_window(prospect.first_visit_on)
        status = status_on(today, due_from, due_by)
        if status:
            rows.append(
                FollowUp(
                    prospect.id,
                    prospect.name,
                    prospect.consultant_id,
                    "first",
                    due_from,
                    due_by,
                    status,
                )
            )
    return rows


def appointments(
    session: Session,
    user: User,
    today: date,
    *,
    consultant_id: int | None = None,
    stale_days: int,
    ahead_days: int = SOON_DAYS,
) -> list[FollowUp]:
    """The next appointment promised at each card's latest reception, from ``stale_days``
    ago up to ``ahead_days`` ahead: overdue when it passed without a newer reception."""
    later = aliased(Visit)
    newer = select(later.id).where(later.prospect_id == Visit.prospect_id, later.seq > Visit.seq)
    query = (
        _open_cards(user, consultant_id)
        .add_columns(Visit.next_appointment_on, Visit.next_appointment_pretext)
        .join(Visit, Visit.prospect_id == Prospect.id)
        .where(
            Visit.next_appointment_on.between(
                today - timedelta(days=stale_days), today + timedelta(days=ahead_days)
            ),
            ~newer.exists(),
        )
        .order_by(Visit.next_appointment_on, Prospect.id)
        .limit(MAX_ROWS)
    )
    rows = []
    for prospect, day, pretext in session.execute(query):
        status = status_on(today, day, day) or "soon"
        rows.append(
            FollowUp(
                prospect.id,
                prospect.name,
                prospect.consultant_id,
                "appointment",
                day,
                day,
                status,
                pretext,
            )
        )
    return rows


def due_list(
    session: Session,
    user: User,
    today: date,
    *,
    consultant_id: int | None = None,
    stale_days: int = DEFAULT_STALE_DAYS,
) -> dict[str, list[FollowUp]]:
    """Every follow-up of the user's cards (or the team's), grouped by status."""
    groups: dict[str, list[FollowUp]] = {"overdue": [], "due": [], "soon": []}
    for item in first_followups(
        session, user, today, consultant_id=consultant_id, stale_days=stale_days
    ) + appointments(session, user, today, consultant_id=consultant_id, stale_days=stale_days):
        groups[item.status].append(item)
    for items in groups.values():
        items.sort(key=lambda f: (f.due_by, f.prospect_id))
    return groups


@dataclass(frozen=True)
class StaleCard:
    prospect_id: int
    name: str
    consultant_id: int | None
    grade: str | None
    last_contact_on: date | None
    days: int | None


def not_contacted(
    session: Session,
    user: User,
    today: date,
    *,
    days: int = DEFAULT_STALE_DAYS,
    consultant_id: int | None = None,
) -> list[StaleCard]:
    """Open cards whose latest contact is more than ``days`` days before ``today``,
    longest silence first."""
    last = func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on)
    cutoff = today - timedelta(days=days)
    query = (
        _open_cards(user, consultant_id)
        .where(or_(last < cutoff, last.is_(None)))
        .order_by(last.asc().nulls_first(), Prospect.id)
        .limit(MAX_ROWS)
    )
    rows = []
    for prospect in session.scalars(query):
        seen = prospect.last_contact_on or prospect.first_visit_on
        rows.append(
            StaleCard(
                prospect.id,
                prospect.name,
                prospect.consultant_id,
                prospect.grade,
                seen,
                (today - seen).days if seen else None,
            )
        )
    return rows
