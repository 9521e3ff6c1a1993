"""Which offices' records an account sees, and the group's offices themselves.

The one rule (DOMAIN.md "Offices and ownership", PIPL Art. 51 least privilege): staff see the
records of their own offices; group-level roles see every office. Every list, count, lookup
and page filters with ``office_clause``; a row of another office is simply not found.
"""

from __future__ import annotations

from sqlalchemy import false, select, true
from sqlalchemy.orm import Session

from models.admin.offices import Office, default_office_id, office_projects
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList

#: Roles that work for the whole group and see every office's records.
GROUP_ROLES = frozenset({"admin"})
#: The office a new database (and a migrated one) starts with.
DEFAULT_OFFICE_NAME = "本部"


def sees_every_office(user: User | None) -> bool:
    return user is not None and user.role_code in GROUP_ROLES


def visible_office_ids(user: User | None) -> frozenset[int] | None:
    """The offices whose records ``user`` sees; None means every office."""
    if sees_every_office(user):
        return None
    if user is None:
        return frozenset()
    cached = getattr(user, "_visible_office_ids", None)
    if cached is None:
        cached = frozenset(office.id for office in user.offices)
        # One lookup per request: the account object lives as long as the request.
        user._visible_office_ids = cached
    return cached


def office_clause(column, user: User | None):
    """A WHERE clause keeping rows whose office ``column`` is one of ``user``'s."""
    ids = visible_office_ids(user)
    if ids is None:
        return true()
    if not ids:
        return false()
    return column.in_(sorted(ids))


def ensure_default_office(session: Session) -> Office:
    """The group's first office, created (holding every project) when there is none."""
    office_id = default_office_id(session)
    if office_id is not None:
        return session.get(Office, office_id)
    office = Office(name=DEFAULT_OFFICE_NAME, kind="combined", active=True)
    office.projects = list(
        session.scalars(
            select(ReferenceItem)
            .join(ReferenceList)
            .where(ReferenceList.code == "project")
            .order_by(ReferenceItem.sort_order)
        )
    )
    session.add(office)
    session.flush()
    return office


def offices_holding(session: Session, project_id: int) -> list[Office]:
    return list(
        session.scalars(
            select(Office)
            .join(office_projects, office_projects.c.office_id == Office.id)
            .where(office_projects.c.project_id == project_id)
            .order_by(Office.id)
        )
    )
