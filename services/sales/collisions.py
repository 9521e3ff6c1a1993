"""Collisions (撞单): a consultant registers a customer whose mobile a card of the same office
already holds (exact match through the blind index, never the plain number).

What the registration becomes, by the card it meets (``register_again``):

- the consultant's own card, or one shared with them: nothing special, a second card is
  made as it always was (the welcome-card screen has no duplicate rule of its own);
- a card in the office's public pool (no owner): the consultant claims it and their
  reception is added to it; no second card;
- another consultant's card last worked (last contact, else first visit) within the
  ``collision_window_days`` setting: no second card; a ``Collision`` keeps what the consultant
  registered and waits for the supervisor's ruling;
- another consultant's card not worked within the window: it was left; it is released from
  its owner and claimed by the consultant, whose reception is added to it.

The supervisor rules (``rule``): keep the owner, reassign to the claimant, or share between
both. Whatever the ruling, the claimant's reception happened and is added to the card under
their name. Every change of owner is an ownership event on the card's history.

Nothing here commits: the view does, once per action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.admin.offices import derive_office_id
from models.admin.people import User
from models.base import utcnow
from models.sales.ownership import RULINGS, Collision, ProspectShare
from models.sales.prospects import Prospect, Visit
from services.admin.office_settings import COLLISION_WINDOW_DAYS, value_of
from services.admin.offices import office_clause, visible_office_ids
from services.sales.consultants import assign_reception_consultants
from services.sales.ownership import record_event, sees_own_cards_only
from services.sales.prospects import number_visits

#: The role that rules on the collisions of its offices.
RULING_ROLE = "supervisor"
#: Most characters of a ruling's note.
NOTE_MAX = 1000
#: Most characters kept of what the claimant learned (the reception's summary and the notes).
SUMMARY_MAX = 5000


class CollisionError(ValueError):
    """A ruling that cannot be made; ``message`` is for the user."""

    message = _l("The ruling could not be made.")

    def __init__(self, message=None):
        super().__init__(type(self).__name__)
        if message is not None:
            self.message = message


class NotPending(CollisionError):
    message = _l("This collision was already ruled by someone else; nothing was changed.")


class StalePage(CollisionError):
    message = _l(
        "This collision changed after the page was shown (the consultant registered the "
        "customer again). Look at it again and rule."
    )


class BadRuling(CollisionError):
    message = _l("Choose keep, reassign or share.")


class NoteRequired(CollisionError):
    message = _l("Write why: a ruling needs a note.")


@dataclass(frozen=True)
class Outcome:
    """What a registration became instead of a new card."""

    #: "collision" (filed for the supervisor), "collision_pending" (one was already waiting:
    #: this reception was added to it), "claimed" (from the pool), "taken_over" (the owner
    #: had left the customer longer than the window).
    kind: str
    prospect: Prospect
    collision: Collision | None = None
    #: The card's owner before (None: the pool).
    owner: User | None = None


def last_worked_on(prospect: Prospect) -> date | None:
    """The card's last contact, else its first visit."""
    return prospect.last_contact_on or prospect.first_visit_on


def within_window(prospect: Prospect, today: date, window_days: int) -> bool:
    """Whether the card was worked within the last ``window_days`` days up to ``today``."""
    last = last_worked_on(prospect)
    return last is not None and (today - last).days <= window_days


def matching_cards(session: Session, office_id: int, mobile_bidx: str | None) -> list[Prospect]:
    """The office's cards holding the same mobile, most recently worked first."""
    if not mobile_bidx:
        return []
    last = func.coalesce(Prospect.last_contact_on, Prospect.first_visit_on)
    return list(
        session.scalars(
            select(Prospect)
            .where(Prospect.office_id == office_id, Prospect.mobile_bidx == mobile_bidx)
            .order_by(last.desc().nulls_last(), Prospect.id.desc())
        )
    )


def _works(session: Session, user: User, prospect: Prospect) -> bool:
    """The card is the user's own or shared with them."""
    if prospect.consultant_id == user.id:
        return True
    return session.get(ProspectShare, (prospect.id, user.id)) is not None


def register_again(session: Session, user: User, card: Prospect, *, today: date) -> Outcome | None:
    """Check the new card ``card`` (not yet added to the session, with its new receptions)
    that the consultant ``user`` is saving. None: save it as usual. Otherwise what it became,
    already applied in the session (not committed): ``card`` must not be saved.

    Only consultants' registrations are checked (services/sales/ownership.OWNER_ROLES); a
    supervisor entering a card keeps today's behaviour."""
    if not sees_own_cards_only(user) or not card.mobile_bidx:
        return None
    office_id = card.office_id or derive_office_id(session, card)
    if office_id is None:
        return None
    with session.no_autoflush:
        cards = matching_cards(session, office_id, card.mobile_bidx)
        if not cards or any(_works(session, user, existing) for existing in cards):
            return None
        existing = cards[0]
        owner = existing.consultant
        if existing.consultant_id is None:
            _take(session, user, existing, card)
            return Outcome("claimed", existing, owner=None)
        window = value_of(session, COLLISION_WINDOW_DAYS)
        if within_window(existing, today, window):
            return _file(session, user, existing, card, today)
        record_event(
            session,
            existing,
            "released",
            from_user_id=existing.consultant_id,
            to_user_id=None,
            by_user_id=user.id,
        )
        _take(session, user, existing, card)
        return Outcome("taken_over", existing, owner=owner)


def _take(session: Session, user: User, existing: Prospect, card: Prospect) -> None:
    """``user`` becomes the card's consultant, with the new reception added to it."""
    record_event(
        session, existing, "claimed", from_user_id=None, to_user_id=user.id, by_user_id=user.id
    )
    existing.consultant_id = user.id
    _add_receptions(existing, card, user)


def _received(card: Prospect) -> list[Visit]:
    return [visit for visit in card.visits if visit.visited_on]


def _summary(card: Prospect) -> str:
    """What the claimant learned: each new reception's summary, then the card's notes."""
    visits = _received(card)
    parts = [
        (f"{v.visited_on.isoformat()}: {v.summary}" if len(visits) > 1 else v.summary)
        for v in visits
        if v.summary
    ]
    if card.notes:
        parts.append(card.notes)
    return "\n".join(parts)[:SUMMARY_MAX] or "-"


def _add_receptions(existing: Prospect, card: Prospect, user: User) -> None:
    """The receptions typed on the new card go onto the existing one, numbered after its own."""
    for visit in list(card.visits):
        # Off the new card first: moving it in one step lets the new card's delete-orphan
        # cascade take it back out of the session.
        card.visits.remove(visit)
        existing.visits.append(visit)
    assign_reception_consultants(existing, user)
    number_visits(existing)


def _file(session: Session, user: User, existing: Prospect, card: Prospect, today: date) -> Outcome:
    visited_on = min((v.visited_on for v in _received(card)), default=today)
    summary = _summary(card)
    waiting = session.scalar(
        select(Collision).where(
            Collision.prospect_id == existing.id,
            Collision.claimant_id == user.id,
            Collision.status == "pending",
        )
    )
    if waiting is not None:
        # Registered again before the ruling: one question for the supervisor, with both
        # receptions (its version moves, so a page shown before cannot rule unseen).
        waiting.summary = f"{waiting.summary}\n{visited_on.isoformat()}: {summary}"[:SUMMARY_MAX]
        return Outcome("collision_pending", existing, waiting, owner=existing.consultant)
    collision = Collision(
        office_id=existing.office_id,
        prospect_id=existing.id,
        owner_id=existing.consultant_id,
        claimant_id=user.id,
        name=card.name,
        mobile=card.mobile,
        visited_on=visited_on,
        summary=summary,
        status="pending",
    )
    session.add(collision)
    return Outcome("collision", existing, collision, owner=existing.consultant)


# --- the supervisor's rulings -----------------------------------------------------------------


def may_rule(user: User | None, office_id: int) -> bool:
    """A supervisor of the collision's office."""
    if user is None or user.role_code != RULING_ROLE:
        return False
    offices = visible_office_ids(user)
    return offices is None or office_id in offices


def pending(session: Session, user: User) -> list[Collision]:
    """The pending collisions of the user's offices, oldest first, with the cards' receptions."""
    return list(
        session.scalars(
            select(Collision)
            .where(Collision.status == "pending", office_clause(Collision.office_id, user))
            .options(
                selectinload(Collision.prospect).selectinload(Prospect.visits),
                selectinload(Collision.owner),
                selectinload(Collision.claimant),
            )
            .order_by(Collision.filed_at, Collision.id)
        )
    )


def pending_count_query(user: User):
    """The statement of ``pending_count``: the navbar puts it in one SELECT with the others."""
    return (
        select(func.count())
        .select_from(Collision)
        .where(Collision.status == "pending", office_clause(Collision.office_id, user))
    )


def pending_count(session: Session, user: User) -> int:
    return session.scalar(pending_count_query(user))


def rule(
    session: Session,
    user: User,
    collision_id: int,
    ruling: str,
    note: str | None,
    *,
    version: int | None,
) -> Collision:
    """The supervisor's ruling on one collision: ``keep`` the owner, ``reassign`` the card to
    the claimant or ``share`` it between both. The claimant's reception is added to the card
    in every case. Raises LookupError (not found or not the user's office: a 404) or a
    CollisionError with a message for the user; a ruling made meanwhile by another
    supervisor surfaces as StaleDataError on flush."""
    collision = session.get(Collision, collision_id)
    if collision is None or not may_rule(user, collision.office_id):
        raise LookupError(collision_id)
    if collision.status != "pending":
        raise NotPending()
    if version is None or collision.version != version:
        raise StalePage()
    if ruling not in RULINGS:
        raise BadRuling()
    note = (note or "").strip()
    if not note:
        raise NoteRequired()
    card = collision.prospect
    owner_id = card.consultant_id
    claimant_id = collision.claimant_id
    with session.no_autoflush:
        card.visits.append(
            Visit(
                visited_on=collision.visited_on,
                summary=collision.summary,
                consultant_id=claimant_id,
            )
        )
        number_visits(card)
        share = session.get(ProspectShare, (card.id, claimant_id))
        if ruling == "reassign":
            card.consultant_id = claimant_id
            if share is not None:
                session.delete(share)  # the owner now; a share would say it twice
            kind, to_user_id = "reassigned", claimant_id
        elif ruling == "share":
            if share is None and owner_id != claimant_id:
                session.add(ProspectShare(prospect_id=card.id, user_id=claimant_id))
            kind, to_user_id = "shared", claimant_id
        else:
            kind, to_user_id = "kept", owner_id
        record_event(
            session,
            card,
            kind,
            from_user_id=owner_id,
            to_user_id=to_user_id,
            by_user_id=user.id,
            note=note[:NOTE_MAX],
        )
    collision.status = "ruled"
    collision.ruling = ruling
    collision.ruled_by_id = user.id
    collision.ruled_at = utcnow()
    collision.note = note[:NOTE_MAX]
    session.flush()
    return collision
