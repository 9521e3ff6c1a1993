"""Rules of the welcome card that hold on every save."""

from __future__ import annotations

from models.admin.people import User
from models.sales.prospects import Prospect
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
