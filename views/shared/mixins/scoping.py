"""Scoping: which rows the current user may see, on every page of the view.

Owns ``scope_query`` (subclasses narrow it, e.g. a region manager's own region),
``get_query``, ``get_count_query`` (the same scope, counted up to the page's cap),
``get_one`` (loads through ``get_query``: a row outside the scope is a 404, on details, edit,
delete, reveal and every request page) and ``scoped_ids_query`` (what batch actions use).

Relies on: ``g.count_cap``, set by ListingMixin.get_list.
"""

from __future__ import annotations

from flask import abort, g
from flask_admin.contrib.sqla.tools import get_query_for_ids
from sqlalchemy import literal

from extensions import db
from views.shared.capped_count import COUNT_CAP, CappedCountQuery


class ScopingMixin:
    def scope_query(self, query):
        """Restrict rows to what the current user may see. Default: everything."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        # Rows to count, not a COUNT(*): views.shared.capped_count stops at the cap of this page.
        rows = self.scope_query(db.session.query(literal(1)).select_from(self.model))
        return CappedCountQuery(rows, getattr(g, "count_cap", COUNT_CAP))

    def get_one(self, id):
        try:
            pk = int(id)
        except (TypeError, ValueError):
            abort(404)
        record = self.get_query().filter(self.model.id == pk).one_or_none()
        if record is None:
            abort(404)
        return record

    def scoped_ids_query(self, ids):
        """Rows of ``ids`` within the user's scope: what every batch action must use."""
        return get_query_for_ids(self.get_query(), self.model, ids)
