"""The office's customer directory (本处客户): every card of the account's offices with only
its name, masked phone, owner and last contact.

A consultant sees that a customer exists and whose it is before registering them again (a
collision, 撞单), never the card's content, which only its owner, sharers and the supervisor
open (services/sales/ownership.py). Searched by the name index (services/shared/name_search.py:
a character run, pinyin or initials) or by the exact phone through its blind index; both stay
index lookups on a million cards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session, aliased

from core import crypto
from models.admin.people import User
from models.sales.prospects import Prospect
from models.types import blind_index_of, blind_match
from services.admin.offices import office_clause
from services.sales.ownership import card_clause
from services.shared import name_search

PER_PAGE = 50
#: A term that is all digits (after the phone normaliser) of this length is a phone number.
_PHONE_SHAPE = re.compile(r"\d{7,15}")


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    mobile: str | None
    owner_id: int | None
    owner: str | None
    last_contact_on: date | None
    #: Whether the account may open the card (its own, shared, the pool's; all for a
    #: supervisor): services/sales/ownership.py card_clause.
    opens: bool


@dataclass(frozen=True)
class DirectoryPage:
    entries: list[Entry]
    page: int
    has_next: bool
    #: "phone", "name" or None (no search).
    searched_by: str | None


def _term_condition(term: str):
    kept = blind_index_of(Prospect.mobile)
    if kept is not None:
        index_attr, purpose = kept
        if _PHONE_SHAPE.fullmatch(crypto.normalise(term, purpose)):
            return "phone", blind_match(index_attr, term, purpose)
    condition = name_search.search_condition(Prospect, term)
    return "name", condition if condition is not None else false()


def directory_page(
    session: Session, user: User, term: str | None = None, page: int = 0, per_page: int = PER_PAGE
) -> DirectoryPage:
    """One page of the directory of ``user``'s offices, newest cards first."""
    page = max(page, 0)
    owner = aliased(User)
    query = (
        select(
            Prospect.id,
            Prospect.name,
            Prospect.mobile,
            Prospect.consultant_id,
            owner.full_name,
            func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on),
            card_clause(user).label("opens"),
        )
        .outerjoin(owner, owner.id == Prospect.consultant_id)
        .where(office_clause(Prospect.office_id, user))
    )
    searched_by = None
    term = (term or "").strip()
    if term:
        searched_by, condition = _term_condition(term)
        query = query.where(condition)
    rows = session.execute(
        query.order_by(Prospect.id.desc()).offset(page * per_page).limit(per_page + 1)
    ).all()
    return DirectoryPage(
        [Entry(*row[:-1], bool(row[-1])) for row in rows[:per_page]],
        page,
        len(rows) > per_page,
        searched_by,
    )
