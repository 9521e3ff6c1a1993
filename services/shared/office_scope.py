"""One record by id, only when it belongs to one of the account's offices.

The desks and queues load records themselves (not through a model view's scoped query):
these helpers apply the same rule (services/admin/offices.py), so a record of another
office is simply not found and the page answers 404.
"""

from __future__ import annotations

from sqlalchemy import exists, select, true
from sqlalchemy.orm import Session

from models.admin.offices import user_offices
from models.admin.people import User
from services.admin.offices import visible_office_ids


def in_offices(record, user: User | None) -> bool:
    """Whether ``record`` (a row with ``office_id``) is one of ``user``'s offices'."""
    if record is None:
        return False
    ids = visible_office_ids(user)
    return ids is None or record.office_id in ids


def get_in_offices(session: Session, model, record_id, user: User | None, **options):
    """The ``model`` row ``record_id`` when ``user`` may see it, else None."""
    if record_id is None:
        return None
    record = session.get(model, record_id, **options)
    return record if in_offices(record, user) else None


def member_of(user_id_column, office_id) -> object:
    """SQL: the account in ``user_id_column`` works in office ``office_id`` (a column or id)."""
    return exists(
        select(1)
        .select_from(user_offices)
        .where(user_offices.c.user_id == user_id_column, user_offices.c.office_id == office_id)
    )


def colleagues_clause(user: User | None):
    """SQL on ``User``: accounts sharing an office with ``user`` (every account for a group
    role): who may be named as a handler, custodian or approver on their pages."""
    ids = visible_office_ids(user)
    if ids is None:
        return true()
    return exists(
        select(1)
        .select_from(user_offices)
        .where(user_offices.c.user_id == User.id, user_offices.c.office_id.in_(sorted(ids) or [-1]))
    )


def works_in(user: User | None, office_id: int | None) -> bool:
    """Whether ``user`` is a member of office ``office_id`` (group roles are not, unless they
    joined it): who may decide for that office."""
    if user is None or office_id is None:
        return False
    return any(office.id == office_id for office in user.offices)
