"""Scoping: which rows the current user may see, on every page of the view.

Every model with an ``office_id`` is kept to the current user's offices
(services/admin/offices.py) before anything else. Owns ``scope_query`` (subclasses narrow it, e.g. a region manager's own region),
``get_query``, ``get_count_query`` (the same scope, counted up to the page's cap),
``get_one`` (loads through ``get_query``: a row outside the scope is a 404, on details, edit,
delete, reveal and every request page) and ``scoped_ids_query`` (what batch actions use).

Relies on: ``g.count_cap``, set by ListingMixin.get_list.
"""

from __future__ import annotations

from flask import abort, g, has_request_context, request
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import literal, select
from sqlalchemy.orm import MANYTOONE
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression

from extensions import db
from services.admin.offices import office_clause
from views.shared.capped_count import COUNT_CAP, CappedCountQuery

#: Endpoints showing one record with its references (details, the reveal, the edit form).
_PAGES_OF_ONE = (".details_view", ".reveal_view", ".edit_view")


def simple_many_to_one(relation) -> bool:
    """A many-to-one relation that is exactly "this foreign key = the target's primary key"
    (what a lazy load would find by the key alone): ``load_many_to_one`` may set it."""
    if (
        relation.direction is not MANYTOONE
        or relation.uselist
        or relation.secondary is not None
        or len(relation.local_remote_pairs) != 1
        or not isinstance(relation.primaryjoin, BinaryExpression)
        or relation.primaryjoin.operator is not operators.eq
    ):
        return False
    target_pk = relation.mapper.primary_key
    return len(target_pk) == 1 and relation.local_remote_pairs[0][1] is target_pk[0]


def load_many_to_one(records: list, keys) -> None:
    """Set the many-to-one relations ``keys`` of ``records`` (one class) from one query per
    kind of target (a card's fourteen reference items are one query, a list page's sources,
    projects and grades too) instead of a lazy load or a selectinload each. Relations not
    simple (``simple_many_to_one``) or already loaded are left alone; a key whose record
    the query did not find is left to its lazy load, as before."""
    if not records:
        return
    mapper = sa_inspect(records[0]).mapper
    plan = []
    for relation in mapper.relationships:
        if relation.key in keys and simple_many_to_one(relation):
            local = relation.local_remote_pairs[0][0]
            plan.append((relation, mapper.get_property_by_column(local).key))
    wanted: dict = {}
    pending = []
    for relation, attribute in plan:
        for record in records:
            if relation.key in sa_inspect(record).dict:
                continue
            value = getattr(record, attribute)
            pending.append((record, relation, value))
            if value is not None:
                wanted.setdefault(relation.mapper, set()).add(value)
    found: dict = {}
    # Kept on g: the session holds its records weakly, and the page reads them later.
    loaded = g.setdefault("loaded_references", [])
    for target, ids in wanted.items():
        pk = target.primary_key[0]
        pk_key = target.get_property_by_column(pk).key
        rows = db.session.scalars(select(target.class_).where(pk.in_(sorted(ids)))).all()
        loaded.extend(rows)
        found[target] = {getattr(row, pk_key): row for row in rows}
    for record, relation, value in pending:
        if value is None:
            set_committed_value(record, relation.key, None)
        elif value in found[relation.mapper]:
            set_committed_value(record, relation.key, found[relation.mapper][value])


class ScopingMixin:
    def scope_query(self, query):
        """Restrict rows to what the current user may see beyond their offices (a region
        manager's own region, a consultant's own cards). Default: nothing more."""
        return query

    def _scoped(self, query):
        # The office rule applies to every view of an office's records and cannot be
        # forgotten by a view that narrows scope_query for its own reasons.
        office_id = getattr(self.model, "office_id", None)
        if office_id is not None:
            query = query.filter(office_clause(office_id, current_user))
        return self.scope_query(query)

    def get_query(self):
        return self._scoped(super().get_query())

    def get_count_query(self):
        # Rows to count, not a COUNT(*): views.shared.capped_count stops at the cap of this page.
        rows = self._scoped(db.session.query(literal(1)).select_from(self.model))
        return CappedCountQuery(rows, getattr(g, "count_cap", COUNT_CAP))

    def get_one(self, id):
        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        record = self.get_query().filter(self.model.id == pk).one_or_none()
        if record is None:
            abort(404)
        if has_request_context() and (request.endpoint or "").endswith(_PAGES_OF_ONE):
            self._load_references(record)
        return record

    def _load_references(self, record) -> None:
        """The records the details page shows through the record's many-to-one relations
        (a card's fourteen reference items, its consultant), one query per kind of record
        instead of one lazy load each, set on the record as loaded."""
        shown = {name for name, _label in getattr(self, "_details_columns", ())}
        load_many_to_one([record], shown)

    def scoped_ids_query(self, ids):
        """Rows of ``ids`` within the user's scope: what every batch action must use."""
        return get_query_for_ids(self.get_query(), self.model, ids)
