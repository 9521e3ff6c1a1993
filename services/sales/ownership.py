"""Who owns a card at a sales office (客户归属) and who may open it.

The owner is ``Prospect.consultant_id``; co-owners are ``ProspectShare`` rows (a collision ruled
"share"); a card without an owner is in its office's public pool. A consultant (clerk) opens
only the cards they own or share and the pool's; the supervisor sees every card of the office
(the office rule itself is services/admin/offices.py). Every change of owner is recorded with
``record_event`` and shown on the card's history.

The rules that move cards: services/sales/collisions.py (撞单), services/sales/customer_pool.py
(保护期 release and claims), services/sales/handover.py (客户交接).
"""

from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy import exists, func, or_, select, true, union_all
from sqlalchemy.orm import Session

from extensions import db
from models.admin.people import User
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin.offices import visible_office_ids

#: Roles that see only the cards they own (and the pool's): the consultants.
OWNER_ROLES = frozenset({"clerk"})
#: A consultant with fewer cards than this (own, shared and the pool's) has them listed from
#: their ids (an index each) instead of by walking the office's cards newest first until
#: enough of theirs turn up: for a new consultant in an office of 500,000 cards the walk read
#: them all (350 ms a list on PostgreSQL, 0.2 ms from the ids); for one holding most of the
#: office the walk stops at once and the ids would be a long list (docs/load.md).
FEW_CARDS = 5000


def sees_own_cards_only(user: User | None) -> bool:
    return user is not None and user.role_code in OWNER_ROLES


def card_clause(user: User | None, card=Prospect):
    """Cards ``user`` may open within their offices: a consultant's own, shared and the pool's;
    everyone else's (supervisor, custodian, admin) all of the office's. ``card`` is the
    Prospect entity or an alias of it."""
    if not sees_own_cards_only(user):
        return true()
    if _has_few_cards(user):
        return card.id.in_(_card_ids(user))
    return or_(owned_clause(user, card), card.consultant_id.is_(None))


def _card_ids(user: User):
    """The ids of the cards ``user`` may open: owned, shared, the pool's (the same set as the
    clause below ``FEW_CARDS``), each branch read through its own index."""
    return union_all(
        select(Prospect.id).where(Prospect.consultant_id == user.id),
        select(ProspectShare.prospect_id).where(ProspectShare.user_id == user.id),
        select(Prospect.id).where(Prospect.consultant_id.is_(None)),
    )


def _has_few_cards(user: User) -> bool:
    """Whether ``user`` may open fewer than FEW_CARDS cards (counted up to it, once a request)."""
    if not has_app_context():
        return False
    known = g.setdefault("few_cards", {})
    if user.id not in known:
        counted = select(func.count()).select_from(_card_ids(user).limit(FEW_CARDS).subquery())
        known[user.id] = db.session.scalar(counted) < FEW_CARDS
    return known[user.id]


def _owned_ids(user: User):
    """The ids of the cards ``user`` owns or has been shared, each branch by its own index."""
    return union_all(
        select(Prospect.id).where(Prospect.consultant_id == user.id),
        select(ProspectShare.prospect_id).where(ProspectShare.user_id == user.id),
    )


def _owns_few_cards(user: User) -> bool:
    """Whether ``user`` owns or shares fewer than FEW_CARDS cards (counted once a request)."""
    if not has_app_context():
        return False
    known = g.setdefault("few_owned", {})
    if user.id not in known:
        counted = select(func.count()).select_from(_owned_ids(user).limit(FEW_CARDS).subquery())
        known[user.id] = db.session.scalar(counted) < FEW_CARDS
    return known[user.id]


def owned_clause(user: User, card=Prospect):
    """Cards ``user`` works as a consultant: owned or shared (their follow-ups), not the pool's.

    Few of them: read from their ids, as ``card_clause`` does; the "owned or shared" test
    row by row made the home page's follow-ups walk a month of the office's cards (130 ms
    at 1,000,000 cards for a consultant with none)."""
    if _owns_few_cards(user):
        return card.id.in_(_owned_ids(user))
    shared = exists(
        select(ProspectShare.prospect_id).where(
            ProspectShare.prospect_id == card.id, ProspectShare.user_id == user.id
        )
    )
    return or_(card.consultant_id == user.id, shared)


def may_open(session: Session, user: User | None, prospect: Prospect) -> bool:
    """The same rule as ``card_clause`` for one loaded card."""
    if not sees_own_cards_only(user):
        return True
    if prospect.consultant_id in (None, user.id):
        return True
    return session.get(ProspectShare, (prospect.id, user.id)) is not None


def card_for(session: Session, user: User | None, prospect_id: int | None, **options):
    """The card ``prospect_id`` when ``user`` may open it (one of their offices and, for a
    consultant, theirs, shared or the pool's); None otherwise, which pages answer with 404
    exactly as for a card that does not exist. ``options`` go to ``Session.get``."""
    if user is None or not prospect_id:
        return None
    prospect = session.get(Prospect, prospect_id, **options)
    if prospect is None:
        return None
    offices = visible_office_ids(user)
    if offices is not None and prospect.office_id not in offices:
        return None
    return prospect if may_open(session, user, prospect) else None


def record_event(
    session: Session,
    prospect: Prospect,
    kind: str,
    *,
    from_user_id: int | None,
    to_user_id: int | None,
    by_user_id: int | None,
    note: str | None = None,
) -> OwnershipEvent:
    """Append one change of owner (models/sales/ownership.py EVENT_KINDS) to the card's history."""
    event = OwnershipEvent(
        prospect_id=prospect.id,
        office_id=prospect.office_id,
        kind=kind,
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        by_user_id=by_user_id,
        note=note,
    )
    session.add(event)
    return event


def events_of(session: Session, prospect_id: int) -> list[OwnershipEvent]:
    """The card's ownership history, oldest first."""
    return list(
        session.scalars(
            select(OwnershipEvent)
            .where(OwnershipEvent.prospect_id == prospect_id)
            .order_by(OwnershipEvent.at, OwnershipEvent.id)
        )
    )
