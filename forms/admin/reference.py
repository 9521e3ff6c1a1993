"""Selects fed by the admin-edited reference lists."""

from __future__ import annotations

from itertools import chain
from threading import Lock

from flask import current_app, g, has_request_context
from flask_admin.contrib.sqla.filters import IntEqualFilter
from flask_babel import get_locale
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from extensions import db
from models.admin.people import Role, User
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


#: Bumped whenever this process flushes a change to what live options are read from (a
#: change in another worker shows in options_stamp's counts and times instead).
_changes = [0]
_SOURCES = (ReferenceItem, ReferenceList, User, Role)


@event.listens_for(Session, "after_flush")
def _note_option_changes(session, _flush_context) -> None:
    if any(isinstance(row, _SOURCES) for row in chain(session.new, session.dirty, session.deleted)):
        _changes[0] += 1


def options_stamp() -> tuple:
    """What the live filters' options are read from, as one cheap value: how many reference
    lists, items, accounts and roles there are and when each table last changed. Any added,
    removed, renamed, retired or re-roled row changes it (``updated_at`` is set on every
    update, TimestampMixin), in this process or another worker's; a change this process
    flushed changes it at once. Read once a request."""
    if "filter_options_stamp" not in g:
        row = db.session.execute(_stamp_statement()).one()
        g.filter_options_stamp = (_changes[0], *row)
    return g.filter_options_stamp


_stamp: list = []


def _stamp_statement():
    """The stamp's one SELECT of seven scalar subqueries, built once a process."""
    if not _stamp:
        columns = [
            select(expression).scalar_subquery()
            for table in (ReferenceItem, ReferenceList, User)
            for expression in (func.count(table.id), func.max(table.updated_at))
        ]
        columns.append(select(func.count(Role.id)).scalar_subquery())
        _stamp.append(select(*columns))
    return _stamp[0]


_options_lock = Lock()


class LiveOptionsFilter(IntEqualFilter):
    """An equality filter whose options are read at request time, not cached at start-up
    (the base view refreshes them on each list page). They are kept per application and
    language while ``options_stamp`` stays the same: a list page reads one stamp instead of
    every filter's list."""

    live_options = True

    def get_options(self, view):
        if not has_request_context():
            return []
        stamp = options_stamp()
        cache = current_app.extensions.setdefault("panel_filter_options", {})
        key = (id(self), str(get_locale()))
        kept = cache.get(key)
        if kept is not None and kept[0] == stamp:
            return list(kept[1])
        options = [(str(value), str(label)) for value, label in self.options()]
        with _options_lock:
            cache[key] = (stamp, tuple(options))
        return options


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

    def options():
        users = db.session.scalars(
            select(User)
            .join(Role)
            .where(Role.code.in_(("clerk", "supervisor")))
            .order_by(User.full_name, User.id)
        ).all()
        return [(user.id, user) for user in users]

    return LiveOptionsFilter(column, label, options=options)
