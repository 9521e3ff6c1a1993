"""Dealer paperwork due on the Chinese calendar (services/shared/workdays.py):
- the customer data card of a signed dealer, 2 working days after the contract date;
- the potential-dealer file of a visited, unsigned wholesale customer, "right after the
  visit" (拜访后立即填写): by the next working day after the first visit;
- the directory's important unsigned dealers (potential-dealer directory) still without a
  visit or a file (每个未合作的重要批发客户至少拜访一次并建立档案).
Each list says whether the calendar had to guess any day it counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, false, func, select
from sqlalchemy.orm import Session, joinedload

from models.admin.people import User
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from services.admin.accounts import sees_own_region_only
from services.shared.workdays import DueDate, WorkdayCalendar

#: Working days after the contract date within which the data card is due.
CARD_WORKDAYS = 2
#: Working days after the first visit within which the potential-dealer file is due.
FILE_WORKDAYS = 1
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
    #: "due" (deadline today), "soon" (a later day) or "late".
    status: str


def _status(today: date, deadline: date) -> str:
    # A card due in two days is not "due now": the label must say what is true today.
    if today > deadline:
        return "late"
    return "due" if today == deadline else "soon"


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
    query = _in_scope(query, user)
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
                _status(today, due.day),
            )
        )
    return rows


def _in_scope(query, user: User):
    """A region manager sees only the dealers of their own region (none without one)."""
    if sees_own_region_only(user):
        return query.where(
            Dealer.region_id == user.region_id if user.region_id is not None else false()
        )
    return query


def _has_file():
    return exists().where(PotentialDealerFile.dealer_id == Dealer.id)


def _has_visit():
    return exists().where(DealerVisit.dealer_id == Dealer.id)


@dataclass(frozen=True)
class FileDeadline:
    dealer_id: int
    name: str
    region: str
    first_visit_on: date
    deadline: date
    uncertain: bool
    #: "due" (deadline today), "soon" (a later day) or "late".
    status: str


def missing_files(session: Session, user: User, today: date) -> list[FileDeadline]:
    """Visited, unsigned dealers without a potential-dealer file, the most urgent first."""
    first_visit = (
        select(func.min(DealerVisit.visited_on))
        .where(DealerVisit.dealer_id == Dealer.id)
        .scalar_subquery()
    )
    query = _in_scope(
        select(Dealer, first_visit)
        .where(Dealer.status != "signed", _has_visit(), ~_has_file())
        .options(joinedload(Dealer.region))
        .order_by(first_visit, Dealer.id)
        .limit(MAX_ROWS),
        user,
    )
    calendar = WorkdayCalendar.from_session(session)
    rows = []
    for dealer, visited_on in session.execute(query):
        due = calendar.add_workdays(visited_on, FILE_WORKDAYS)
        rows.append(
            FileDeadline(
                dealer.id,
                dealer.name,
                str(dealer.region) if dealer.region is not None else "",
                visited_on,
                due.day,
                due.uncertain,
                _status(today, due.day),
            )
        )
    return rows


@dataclass(frozen=True)
class DirectoryGap:
    dealer_id: int
    name: str
    region: str
    visited: bool
    has_file: bool


def directory_gaps(session: Session, user: User) -> list[DirectoryGap]:
    """Important unsigned dealers (in the potential-dealer directory) never visited or
    without their potential-dealer file."""
    visited, filed = _has_visit(), _has_file()
    query = _in_scope(
        select(Dealer, visited, filed)
        .where(Dealer.in_directory.is_(True), Dealer.status != "signed", ~(visited & filed))
        .options(joinedload(Dealer.region))
        .order_by(Dealer.name, Dealer.id)
        .limit(MAX_ROWS),
        user,
    )
    return [
        DirectoryGap(
            dealer.id,
            dealer.name,
            str(dealer.region) if dealer.region is not None else "",
            bool(was_visited),
            bool(has_file),
        )
        for dealer, was_visited, has_file in session.execute(query)
    ]
