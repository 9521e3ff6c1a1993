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

from sqlalchemy import exists, or_, select, true
from sqlalchemy.orm import Session

from models.admin.people import User
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin.offices import visible_office_ids

#: Roles that see only the cards they own (and the pool's): the consultants.
OWNER_ROLES = frozenset({"clerk"})


def sees_own_cards_only(user: User | None) -> bool:
    return user is not None and user.role_code in OWNER_ROLES


def card_clause(user: User | None, card=Prospect):
    """Cards ``user`` may open within their offices: a consultant's own, shared and the pool's;
    everyone else's (supervisor, custodian, admin) all of the office's. ``card`` is the
    Prospect entity or an alias of it."""
    if not sees_own_cards_only(user):
        return true()
    return or_(owned_clause(user, card), card.consultant_id.is_(None))


def owned_clause(user: User, card=Prospect):
    """Cards ``user`` works as a consultant: owned or shared (their follow-ups), not the pool's."""
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
