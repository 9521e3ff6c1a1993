"""Listing: the list page's own queries, beyond Flask-Admin's.

Owns ``get_list`` (a crafted page or page size is clamped, the count stops at the page's cap,
the many-to-one relations the list shows are loaded after the page), ``scaffold_auto_joins``
and ``after_page_relations``, filter values (no NUL; options of live reference lists) and
the sortable columns (none encrypted).

Relies on: ``self.page_size`` (Flask-Admin). The count cap it sets in ``g.count_cap`` is read
by ScopingMixin.get_count_query.
"""

from __future__ import annotations

from flask import g
from sqlalchemy.orm import selectinload

from models.types import EncryptedJSON, EncryptedString, is_encrypted
from views.shared.capped_count import cap_for


class ListingMixin:
    # Lists never lazy-load a relation per row: subclasses list their joins here.
    column_auto_select_related = True
    #: Many-to-one relations the list shows, loaded after the page (scaffold_auto_joins).
    list_relations: list = []

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # A crafted ?page=-1 would be a negative OFFSET, which PostgreSQL refuses: clamp it.
        page = max(page or 0, 0) if page is not None else None
        if page_size is not None and page_size <= 0:
            page_size = None
        g.count_cap = cap_for(page, page_size or self.page_size)
        count, query = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
        )
        if not execute:
            return count, query
        after = self.after_page_relations(query)
        rows = query.options(*(selectinload(relation) for relation in after)).all()
        return count, rows

    def after_page_relations(self, query) -> list:
        """list_relations minus those ``query``'s own loader options load already (a view's
        get_query may join some itself)."""
        taken = set()
        for option in getattr(query, "_with_options", ()):
            for element in getattr(option, "context", ()):
                path = element.path
                if len(path) > 1 and getattr(path[0], "class_", None) is self.model:
                    taken.add(path[1].key)
        return [relation for relation in self.list_relations if relation.key not in taken]

    def scaffold_auto_joins(self):
        # Flask-Admin joins each many-to-one relation the list shows into the page query
        # (joinedload); with an OFFSET the database then joins every skipped row too, which
        # made page 2,000 cost twice page 1. The relations are loaded after the page instead,
        # one "WHERE id IN (20 ids)" query each (get_list).
        self.list_relations = super().scaffold_auto_joins()
        return []

    def _get_list_filter_args(self):
        # As in search: NUL never belongs in a filter value and PostgreSQL refuses it.
        filters = super()._get_list_filter_args()
        if not filters:
            return filters
        return [(idx, name, value.replace("\x00", "")) for idx, name, value in filters]

    def _get_filter_groups(self):
        # Flask-Admin caches filter options at start-up; reference lists change at run time.
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                _index, flt = self._filter_args[item["arg"]]
                if getattr(flt, "live_options", False):
                    item["options"] = flt.get_options(self) or None
        return groups

    def get_sortable_columns(self):
        # Sorting by ciphertext orders by random nonces: offer no sort on encrypted columns.
        return {
            name: column
            for name, column in super().get_sortable_columns().items()
            if not _is_encrypted_column(column)
        }


def _is_encrypted_column(column) -> bool:
    if isinstance(column, str | tuple | list):
        return False
    if hasattr(column, "property"):
        return is_encrypted(column)
    return isinstance(getattr(column, "type", None), EncryptedString | EncryptedJSON)
