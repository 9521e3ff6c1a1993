"""Whether an account reads a sales figure for the whole group or for its own offices.

Stored figures of the group (the weekly snapshot, the week's spot-check sample) are read per
office (issue 18); an account working in every office, or a group role, reads them as stored.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.offices import Office
from models.admin.people import User
from services.admin.offices import visible_office_ids


def reads_whole_group(session: Session, user: User | None) -> bool:
    """No user (a scheduled job), a group role, or an account of every office."""
    if user is None:
        return True
    ids = visible_office_ids(user)
    return ids is None or ids >= set(session.scalars(select(Office.id)))
