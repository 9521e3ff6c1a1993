"""Who may be named a consultant (置业顾问), and who received a reception when the form says
nothing: the one rule the welcome card, its receptions, the import and the day's counts read.

Only accounts that receive customers may be named: clerks (the consultants), and the sales
supervisor where the office wants it (``SUPERVISOR_RECEIVES_CUSTOMERS``); never the archive
custodian, the admin or a region manager. A reception without a named consultant belongs
to the one who entered it when they receive customers, else to the card's consultant.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import Select, exists, select, true
from sqlalchemy.orm import Session

from models.admin.offices import user_offices
from models.admin.people import Role, User
from models.sales.prospects import Prospect
from services.admin.offices import visible_office_ids

#: Roles whose accounts always receive customers.
RECEIVING_ROLES = ("clerk",)
#: The role that receives customers where the office says so.
OPTIONAL_RECEIVING_ROLE = "supervisor"


class NoConsultant(ValueError):
    """A new reception has no consultant and none follows from who entered it or the card."""


def supervisor_receives() -> bool:
    """Whether this office's supervisor receives customers too (app config)."""
    return bool(
        has_app_context() and current_app.config.get("SUPERVISOR_RECEIVES_CUSTOMERS", False)
    )


def receiving_roles(with_supervisor: bool | None = None) -> tuple[str, ...]:
    """The role codes whose accounts may be named consultant."""
    if with_supervisor is None:
        with_supervisor = supervisor_receives()
    return (*RECEIVING_ROLES, OPTIONAL_RECEIVING_ROLE) if with_supervisor else RECEIVING_ROLES


def may_receive(user: User | None, *, with_supervisor: bool | None = None) -> bool:
    """True when ``user`` is an active account that may be named consultant."""
    return (
        user is not None and bool(user.active) and user.has_role(*receiving_roles(with_supervisor))
    )


def in_offices_of(user: User | None, account=User):
    """SQL: ``account`` works in one of ``user``'s offices (every account for a group role,
    or when no user is given): the colleagues a supervisor's pages name and count."""
    ids = visible_office_ids(user) if user is not None else None
    if ids is None:
        return true()
    return exists(
        select(user_offices.c.user_id).where(
            user_offices.c.user_id == account.id, user_offices.c.office_id.in_(sorted(ids) or [-1])
        )
    )


def consultants_query(
    *, with_supervisor: bool | None = None, seen_by: User | None = None
) -> Select:
    """The active accounts that may be named consultant, by name; with ``seen_by``, only
    those of that account's offices."""
    return (
        select(User)
        .join(Role, Role.id == User.role_id)
        .where(
            Role.code.in_(receiving_roles(with_supervisor)),
            User.active.is_(True),
            in_offices_of(seen_by),
        )
        .order_by(User.full_name, User.id)
    )


def consultants(
    session: Session, *, with_supervisor: bool | None = None, seen_by: User | None = None
) -> list[User]:
    query = consultants_query(with_supervisor=with_supervisor, seen_by=seen_by)
    return list(session.scalars(query))


def default_consultant(user: User | None, *, with_supervisor: bool | None = None) -> User | None:
    """The consultant a new card or reception entered by ``user`` gets unless one is named:
    the user, when they receive customers."""
    return user if may_receive(user, with_supervisor=with_supervisor) else None


def reception_consultant(
    prospect: Prospect, user: User | None, *, with_supervisor: bool | None = None
) -> User | None:
    """Who received a reception entered by ``user`` on ``prospect`` without a named
    consultant: the user when they receive customers, else the card's consultant."""
    return default_consultant(user, with_supervisor=with_supervisor) or prospect.consultant


def assign_reception_consultants(
    prospect: Prospect, user: User | None, *, with_supervisor: bool | None = None
) -> None:
    """Give every new reception of the card without a consultant its default one; raise
    NoConsultant when there is none to give (the entering account receives no customers
    and the card names no consultant). Receptions already stored are left as they are."""
    for visit in prospect.visits:
        if visit.id is not None or visit.consultant_id is not None or visit.consultant:
            continue
        consultant = reception_consultant(prospect, user, with_supervisor=with_supervisor)
        if consultant is None:
            raise NoConsultant
        visit.consultant = consultant
