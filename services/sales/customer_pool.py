"""The office's public pool (公共客户池): the protection period that releases a consultant's
neglected customers into it, and the consultants' claims from it.

A card without an owner (``Prospect.consultant_id`` NULL) is in its office's pool
(services/sales/ownership.py). ``release_stale`` is the daily job (``flask ownership
release``): an owned card whose last contact is older than the ``protection_days`` setting
goes back to the pool. ``claim`` is a consultant taking one, at most ``daily_claim_limit`` a
day. Both record an ``OwnershipEvent`` for the card's history and never commit: the caller
does, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from core.clock import office_today, utc_from_office
from models.admin.people import User
from models.base import utcnow
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin import office_settings
from services.admin.offices import office_clause
from services.privacy.consent import withdrawn_condition
from services.sales.ownership import OWNER_ROLES, record_event

#: Cards released per round trip: small enough for PostgreSQL's and SQLite's parameter
#: limits, large enough that a million-card office is a few hundred statements.
RELEASE_BATCH = 500


class PoolError(ValueError):
    """The claim is not allowed; the message is for the user."""


def last_contact(card=Prospect):
    """The day a card was last worked: its latest contact, else its first reception."""
    return func.coalesce(card.last_contact_on, card.first_visit_on)


def stale_condition(cutoff: date):
    """Owned, not a scout, not signed, and last worked before ``cutoff``.

    Written as two sargable branches instead of ``coalesce(...) < cutoff`` so each uses the
    index of its own date column on a million cards.
    """
    return and_(
        Prospect.consultant_id.is_not(None),
        Prospect.is_scout.is_(False),
        Prospect.progress != "signed",
        or_(
            Prospect.last_contact_on < cutoff,
            and_(Prospect.last_contact_on.is_(None), Prospect.first_visit_on < cutoff),
        ),
    )


def release_cutoff(session: Session, today: date) -> tuple[int, date]:
    """(protection days, the first day a contact still protects the card)."""
    days = office_settings.value_of(session, office_settings.PROTECTION_DAYS)
    return days, today - timedelta(days=days)


def release_stale(session: Session, today: date, *, batch: int = RELEASE_BATCH) -> int:
    """Release every card not worked for longer than the protection period to its office's
    pool; returns how many. One transaction (the caller commits), batch by batch."""
    days, cutoff = release_cutoff(session, today)
    note = _("No visit or follow-up for more than %(days)s days.", days=days)
    released = 0
    after = 0
    while True:
        query = (
            select(Prospect.id, Prospect.office_id, Prospect.consultant_id)
            .where(stale_condition(cutoff), Prospect.id > after)
            .order_by(Prospect.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            # A claim, edit or handover of the same card waits for this transaction.
            query = query.with_for_update(of=Prospect)
        rows = session.execute(query).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        _release_batch(session, rows, ids, note)
        released += len(rows)
        after = ids[-1]
    if released:
        _forget_loaded_cards(session)
    return released


def _release_batch(session: Session, rows: Sequence, ids: list[int], note: str) -> None:
    session.execute(
        update(Prospect)
        .where(Prospect.id.in_(ids))
        # The version moves so an edit form opened before the release is stale.
        .values(consultant_id=None, version=Prospect.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(ProspectShare).where(ProspectShare.prospect_id.in_(ids)))
    at = utcnow()
    session.execute(
        insert(OwnershipEvent),
        [
            {
                "prospect_id": row.id,
                "office_id": row.office_id,
                "kind": "released",
                "from_user_id": row.consultant_id,
                "to_user_id": None,
                "by_user_id": None,
                "at": at,
                "note": note,
            }
            for row in rows
        ],
    )


def _forget_loaded_cards(session: Session) -> None:
    # The statements went around the ORM: cards already loaded in this session reload.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Prospect):
            session.expire(obj)


# --- the pool and claims --------------------------------------------------------------------
def pool_condition(user: User, card=Prospect):
    """The pool cards of ``user``'s offices a consultant may take: no owner, not a scout,
    consent not withdrawn (no marketing follow-up of such a customer)."""
    return and_(
        office_clause(card.office_id, user),
        card.consultant_id.is_(None),
        card.is_scout.is_(False),
        ~withdrawn_condition(card, "prospect"),
    )


@dataclass(frozen=True)
class PoolCard:
    id: int
    name: str
    mobile: str | None
    grade: str | None
    project: str | None
    last_contact_on: date | None
    released_at: datetime | None


@dataclass(frozen=True)
class PoolPage:
    cards: list[PoolCard]
    page: int
    has_next: bool


def pool_page(session: Session, user: User, page: int = 0, per_page: int = 50) -> PoolPage:
    """One page of the pool of ``user``'s offices, newest cards first; no count (a pool of
    a million-card office would cost a scan for a number nobody needs)."""
    page = max(page, 0)
    cards = list(
        session.scalars(
            select(Prospect)
            .where(pool_condition(user))
            .order_by(Prospect.id.desc())
            .offset(page * per_page)
            .limit(per_page + 1)
        )
    )
    has_next = len(cards) > per_page
    cards = cards[:per_page]
    released = released_at(session, [card.id for card in cards])
    return PoolPage(
        [
            PoolCard(
                card.id,
                card.name,
                card.mobile,
                card.grade,
                card.project.label if card.project else None,
                card.last_contact_on or card.first_visit_on,
                released.get(card.id),
            )
            for card in cards
        ],
        page,
        has_next,
    )


def released_at(session: Session, prospect_ids: list[int]) -> dict[int, datetime]:
    """When each card was last released to the pool (UTC)."""
    if not prospect_ids:
        return {}
    rows = session.execute(
        select(OwnershipEvent.prospect_id, func.max(OwnershipEvent.at))
        .where(OwnershipEvent.prospect_id.in_(prospect_ids), OwnershipEvent.kind == "released")
        .group_by(OwnershipEvent.prospect_id)
    )
    return dict(rows.all())


def office_day_start(today: date) -> datetime:
    """The office day's first moment as the database keeps moments (naive UTC)."""
    return utc_from_office(datetime.combine(today, time.min))


def claims_today(session: Session, user: User, today: date | None = None) -> int:
    """How many cards ``user`` took from the pool since the office day began."""
    since = office_day_start(today or office_today())
    return session.scalar(
        select(func.count())
        .select_from(OwnershipEvent)
        .where(
            OwnershipEvent.by_user_id == user.id,
            OwnershipEvent.kind == "claimed",
            OwnershipEvent.at >= since,
        )
    )


def claims_left(session: Session, user: User, today: date | None = None) -> int:
    limit = office_settings.value_of(session, office_settings.DAILY_CLAIM_LIMIT)
    return max(limit - claims_today(session, user, today), 0)


def may_claim(user: User | None) -> bool:
    return user is not None and bool(user.active) and user.role_code in OWNER_ROLES


def claim(session: Session, user: User, prospect: Prospect, today: date | None = None) -> None:
    """``user`` (a consultant of the card's office) takes a pool card.

    Refused: not a consultant, a card of another office, one that is not in the pool (owned,
    a scout, consent withdrawn), or the day's claims used up. Of two consultants claiming
    the same card at once, the conditional UPDATE lets exactly one win.
    """
    if not may_claim(user):
        raise PoolError(_("Only a consultant takes customers from the public pool."))
    in_pool = session.scalar(
        select(Prospect.id).where(Prospect.id == prospect.id, pool_condition(user))
    )
    if in_pool is None:
        raise PoolError(_("This customer is no longer in your office's public pool."))
    # One consultant's claims in order: two tabs cannot both take the last claim of the day.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    limit = office_settings.value_of(session, office_settings.DAILY_CLAIM_LIMIT)
    if claims_today(session, user, today) >= limit:
        raise PoolError(
            _(
                "You have taken %(limit)s customers from the pool today, the most a day; "
                "try again tomorrow.",
                limit=limit,
            )
        )
    won = session.execute(
        update(Prospect)
        .where(Prospect.id == prospect.id, Prospect.consultant_id.is_(None))
        .values(consultant_id=user.id, version=Prospect.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise PoolError(_("Another consultant took this customer a moment ago."))
    session.expire(prospect)
    record_event(
        session, prospect, "claimed", from_user_id=None, to_user_id=user.id, by_user_id=user.id
    )
