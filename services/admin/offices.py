"""Which offices' records an account sees, and the group's offices themselves.

The one rule (DOMAIN.md "Offices and ownership", PIPL Art. 51 least privilege): staff see the
records of their own offices; group-level roles see every office. Every list, count, lookup
and page filters with ``office_clause``; a row of another office is simply not found.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select, true
from sqlalchemy.orm import Session

from models.admin.offices import Office, default_office_id, office_projects
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList

#: Roles that work for the whole group and see every office's records (the outside auditor
#: reads every office's, core/access.py AUDITOR).
GROUP_ROLES = frozenset({"admin", "auditor"})
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


def office_filter(column, user: User | None):
    """``office_clause`` for a statement that finds its rows by a narrower key (a unit's
    project, building and room, say): the column is read as ``column + 0``, so that SQLite,
    which plans without statistics, keeps the key's index instead of reading every row of
    the office through the office's (at 100,000 units, each chunk of a lease list did).
    PostgreSQL plans by its statistics either way."""
    return office_clause(column + 0, user)


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


# --- editing the offices (views/admin/offices.py, the account form) --------------------------
#: Roles whose accounts work without an office: the admin sees every office, a region
#: manager works on the dealers of a region, which belong to no office.
OFFICELESS_ROLES = GROUP_ROLES | {"region_manager"}
#: The kinds of office that hold a project for its sales, and for running its estate.
SALES_KINDS = ("sales", "combined")
MANAGEMENT_KINDS = ("management", "combined")


class OfficeError(ValueError):
    """A rule about offices was broken; the message is safe to show."""


def needs_office(role_code: str | None) -> bool:
    """Whether an account of this role must belong to at least one office."""
    return bool(role_code) and role_code not in OFFICELESS_ROLES


def office_choices(session: Session, keep=()) -> list[Office]:
    """Offices an account may be put in: the active ones, and those in ``keep`` (the
    account's own), so saving an account does not drop it from a closed office unasked."""
    kept_ids = {office.id for office in keep if office.id is not None}
    active = Office.active.is_(True)
    where = active if not kept_ids else active | Office.id.in_(sorted(kept_ids))
    return list(session.scalars(select(Office).where(where).order_by(Office.name, Office.id)))


def check_projects(session: Session, office: Office | None, kind: str, projects) -> None:
    """Raise OfficeError when giving ``projects`` to an office of ``kind`` would make a
    project held by two sales-capable offices (sales or combined) or by two offices that
    run it (management or combined). ``office`` is the office edited, None for a new one.

    Closed offices count too: they keep their records, and a project's new rows must still
    go to exactly one office (models/admin/offices.project_office_id)."""
    project_ids = sorted({project.id for project in projects if project.id is not None})
    if not project_ids:
        return
    query = (
        select(ReferenceItem, Office)
        .join(office_projects, office_projects.c.project_id == ReferenceItem.id)
        .join(Office, Office.id == office_projects.c.office_id)
        .where(ReferenceItem.id.in_(project_ids))
        .order_by(ReferenceItem.sort_order, ReferenceItem.id, Office.id)
    )
    if office is not None and office.id is not None:
        query = query.where(Office.id != office.id)
    for project, other in session.execute(query):
        if kind in SALES_KINDS and other.kind in SALES_KINDS:
            raise OfficeError(
                _l(
                    "%(project)s is already sold by %(office)s: a project has one sales "
                    "office. Take it from that office first.",
                    project=project.label,
                    office=other.name,
                )
            )
        if kind in MANAGEMENT_KINDS and other.kind in MANAGEMENT_KINDS:
            raise OfficeError(
                _l(
                    "%(project)s is already run by %(office)s: an estate has one management "
                    "office. Take it from that office first.",
                    project=project.label,
                    office=other.name,
                )
            )


def check_account_offices(role_code: str | None, offices) -> None:
    """Raise OfficeError when an account of this role is left without an office."""
    if needs_office(role_code) and not list(offices or ()):
        raise OfficeError(
            _l("Choose the offices this account works for: staff see only their offices' records.")
        )
