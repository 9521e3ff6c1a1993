"""Scoping: which rows the current user may see, on every page of the view.

Every model with an ``office_id`` is kept to the current user's offices
(services/admin/offices.py) before anything else. Owns ``scope_query`` (subclasses narrow it, e.g. a region manager's own region),
``get_query``, ``get_count_query`` (the same scope, counted up to the page's cap),
``get_one`` (loads through ``get_query``: a row outside the scope is a 404, on details, edit,
delete, reveal and every request page) and ``scoped_ids_query`` (what batch actions use).

Relies on: ``g.count_cap`` and ``g.count_after_page`` (a deep page counts after its rows:
``PendingCount``), set by ListingMixin.get_list.
"""

from __future__ import annotations

from flask import abort, g, has_request_context, request
from flask_admin.contrib.sqla.tools import get_query_for_ids
from flask_login import current_user
from sqlalchemy import literal
from sqlalchemy.orm import Query

from extensions import db
from services.admin.offices import office_clause
from views.shared.capped_count import COUNT_CAP, CappedCount, CappedCountQuery
from views.shared.references_loaded import load_many_to_one

#: Endpoints showing one record with its references (details, the reveal, the edit form).
_PAGES_OF_ONE = (".details_view", ".reveal_view", ".edit_view")


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
        cap = getattr(g, "count_cap", COUNT_CAP)
        if has_request_context() and g.get("count_after_page"):
            return _CountAfterPage(rows, cap, self.model.id)
        return CappedCountQuery(rows, cap)

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


class _CountAfterPage(CappedCountQuery):
    """The count query of a page counted after its rows (ListingMixin.get_list sets
    ``g.count_after_page``): search and filters go to it as to CappedCountQuery, and
    ``scalar()`` counts nothing yet but gives a ``PendingCount``."""

    def __init__(self, query: Query, cap: int, id_column):
        super().__init__(query, cap)
        self._id = id_column

    def _wrapped(self, query: Query) -> _CountAfterPage:
        return _CountAfterPage(query, self._cap, self._id)

    def scalar(self) -> PendingCount:
        return PendingCount(self._query, self._cap, self._id)


class PendingCount:
    """A list's count, up to its cap, finished once the page's rows are known (ListingMixin
    ``_count_after_page``)."""

    def __init__(self, query: Query, cap: int, id_column):
        self._query = query
        self._cap = cap
        self._id = id_column

    def counted(self) -> CappedCount:
        """Counted as CappedCountQuery counts, from the first record."""
        return CappedCountQuery(self._query, self._cap).scalar()

    def known(self, rows: int) -> CappedCount:
        return CappedCount(rows, self._cap)

    def known_before(self, rows: int, last_id) -> CappedCount:
        """``rows`` records up to the one of id ``last_id`` (newest first), and those after it
        (smaller ids) counted up to the cap."""
        if rows > self._cap:
            return CappedCount(rows, self._cap)
        after = CappedCountQuery(self._query.filter(self._id < last_id), self._cap - rows)
        return CappedCount(rows + int(after.scalar()), self._cap)
