"""The customer data card of a signed dealer is due 2 working days after the contract
date, on the Chinese calendar (services/workdays.py). Lists the dealers whose card is still
missing, with the deadline and whether the calendar had to guess any day of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, select
from sqlalchemy.orm import Session, joinedload

from models.dealers import Dealer, DealerDataCard
from models.people import User
from services.accounts import sees_own_region_only
from services.workdays import DueDate, WorkdayCalendar

#: Working days after the contract date within which the data card is due.
CARD_WORKDAYS = 2
MAX_ROWS = 1000


def card_deadline(calendar: WorkdayCalendar, signed_on: date) -> DueDate:
    """The last day the data card may be filled in."""
    return calendar.add_workdays(signed_on, CARD_WORKDAYS)


@dataclass(frozen=True)
class CardDeadline:
    dealer_id: int
    name: str
    region: str
    signed_on: date
    deadline: date
    #: The calendar did not know some day counted (no library data, no override).
    uncertain: bool
    #: "due" (deadline today or later) or "late".
    status: str


def missing_cards(session: Session, user: User, today: date) -> list[CardDeadline]:
    """Signed dealers without a data card, the most urgent first; a region manager sees
    only the dealers of their own region (none when the account names no region)."""
    query = (
        select(Dealer)
        .outerjoin(DealerDataCard, DealerDataCard.dealer_id == Dealer.id)
        .where(
            Dealer.status == "signed",
            Dealer.contract_signed_on.is_not(None),
            DealerDataCard.id.is_(None),
        )
        .options(joinedload(Dealer.region))
        .order_by(Dealer.contract_signed_on, Dealer.id)
        .limit(MAX_ROWS)
    )
    if sees_own_region_only(user):
        query = query.where(
            Dealer.region_id == user.region_id if user.region_id is not None else false()
        )
    calendar = WorkdayCalendar.from_session(session)
    rows = []
    for dealer in session.scalars(query):
        due = card_deadline(calendar, dealer.contract_signed_on)
        rows.append(
            CardDeadline(
                dealer.id,
                dealer.name,
                str(dealer.region) if dealer.region is not None else "",
                dealer.contract_signed_on,
                due.day,
                due.uncertain,
                "late" if today > due.day else "due",
            )
        )
    return rows
