"""Rules of the welcome card that hold on every save."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.people import User
from models.admin.reference import ReferenceItem
from models.sales.prospects import Prospect, Visit
from services.sales.consultants import default_consultant


class NoFirstReception(Exception):
    """A new card without its first reception: the policy asks even a short reception to
    record what was learned, and the follow-up list starts from the first visit."""


def require_first_reception(prospect: Prospect) -> None:
    """Raise NoFirstReception unless the new card carries a dated reception."""
    if not any(visit.visited_on for visit in prospect.visits):
        raise NoFirstReception()


def assign_default_consultant(prospect: Prospect, user: User | None) -> None:
    """A card a consultant enters is theirs unless they name another consultant
    (services/sales/consultants.py says who receives customers)."""
    if prospect.consultant is None and prospect.consultant_id is None:
        prospect.consultant = default_consultant(user)


def number_visits(prospect: Prospect) -> None:
    """Number new receptions after the existing ones, in date order, and keep the card's
    first-visit and last-contact dates in step with its receptions."""
    visits = list(prospect.visits)
    taken = [v.seq for v in visits if v.seq]
    next_seq = max(taken, default=0) + 1
    for visit in sorted((v for v in visits if not v.seq), key=lambda v: (v.visited_on, id(v))):
        visit.seq = next_seq
        next_seq += 1
    dates = [v.visited_on for v in visits if v.visited_on]
    if dates:
        prospect.first_visit_on = min(dates)
        prospect.last_contact_on = max(dates)


#: What a card's details panels show of each reception (views/sales/prospects.py).
RECEPTION_SHOWN = ("seq", "visited_on", "channel", "summary", "next_appointment_on", "consultant")


def reception_rows(session: Session, prospect_id: int) -> list[SimpleNamespace]:
    """A card's receptions in order, with only what its details panels show: the columns
    shown (one encrypted text decrypted, not the twelve observations), the channels and
    consultants read in one query each."""
    rows = session.execute(
        select(
            Visit.seq,
            Visit.visited_on,
            Visit.channel_id,
            Visit.summary,
            Visit.next_appointment_on,
            Visit.consultant_id,
        )
        .where(Visit.prospect_id == prospect_id)
        .order_by(Visit.seq)
    ).all()
    channels = _by_id(session, ReferenceItem, {r.channel_id for r in rows})
    consultants = _by_id(session, User, {r.consultant_id for r in rows})
    return [
        SimpleNamespace(
            seq=r.seq,
            visited_on=r.visited_on,
            channel=channels.get(r.channel_id),
            summary=r.summary,
            next_appointment_on=r.next_appointment_on,
            consultant=consultants.get(r.consultant_id),
        )
        for r in rows
    ]


def _by_id(session: Session, model, ids: set) -> dict:
    ids.discard(None)
    if not ids:
        return {}
    return {item.id: item for item in session.scalars(select(model).where(model.id.in_(ids)))}
