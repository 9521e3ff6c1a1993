"""The offices whose sales figures an account takes and reads (the weekly B/C snapshot, the
weekly spot check): the active offices that sell (kind sales or combined) among its own;
every such office for a group role, or for a scheduled job (no account)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin.offices import Office
from models.admin.people import User
from services.admin.offices import SALES_KINDS, office_clause


def sales_offices(session: Session, user: User | None) -> list[Office]:
    """By name: the order the pages list them in."""
    query = select(Office).where(Office.active.is_(True), Office.kind.in_(SALES_KINDS))
    if user is not None:
        query = query.where(office_clause(Office.id, user))
    return list(session.scalars(query.order_by(Office.name, Office.id)))


def pick_office(session: Session, user: User | None, office_id: int | None) -> Office | None:
    """The office a figure is taken for: ``office_id`` when it is one of ``user``'s selling
    offices, or the only one when none is named; None when it is not theirs, or when they
    have several and named none (they choose)."""
    offices = sales_offices(session, user)
    if office_id is None:
        return offices[0] if len(offices) == 1 else None
    return next((office for office in offices if office.id == office_id), None)
