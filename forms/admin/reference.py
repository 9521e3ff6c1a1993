"""Selects fed by the admin-edited reference lists."""

from __future__ import annotations

from flask import has_request_context
from flask_admin.contrib.sqla.filters import IntEqualFilter
from sqlalchemy import select

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList


def active_items_query(list_code: str):
    """A query factory for a select: the list's active items in their order."""

    def factory():
        return db.session.scalars(
            select(ReferenceItem)
            .join(ReferenceList)
            .where(ReferenceList.code == list_code, ReferenceItem.active.is_(True))
            .order_by(ReferenceItem.sort_order, ReferenceItem.id)
        ).all()

    return factory


def reference_form_args(**fields: str) -> dict[str, dict]:
    """``form_args`` for relationship fields, each fed by the named reference list."""
    return {name: {"query_factory": active_items_query(code)} for name, code in fields.items()}


class LiveOptionsFilter(IntEqualFilter):
    """An equality filter whose options are read at request time, not cached at start-up
    (the base view refreshes them on each list page)."""

    live_options = True

    def get_options(self, view):
        if not has_request_context():
            return []
        return [(str(value), str(label)) for value, label in self.options()]


def reference_filter(column, list_code: str, label) -> LiveOptionsFilter:
    """A list filter on a reference column; its options are the list's items, retired ones
    included so old records can still be found."""

    def options():
        items = db.session.scalars(
            select(ReferenceItem)
            .join(ReferenceList)
            .where(ReferenceList.code == list_code)
            .order_by(ReferenceItem.sort_order, ReferenceItem.id)
        ).all()
        return [(item.id, item) for item in items]

    return LiveOptionsFilter(column, label, options=options)


def consultant_filter(column, label) -> LiveOptionsFilter:
    """A list filter on a consultant column: one choice per sales account (clerks and
    supervisors), by id. Not Flask-Admin's relation filters, which would offer every User
    column (password hash included) as a LIKE filter: an oracle for the hash."""
    from models.admin.people import Role, User

    def options():
        users = db.session.scalars(
            select(User)
            .join(Role)
            .where(Role.code.in_(("clerk", "supervisor")))
            .order_by(User.full_name, User.id)
        ).all()
        return [(user.id, user) for user in users]

    return LiveOptionsFilter(column, label, options=options)
