"""Listing: the list page's own queries, beyond Flask-Admin's.

Owns ``get_list`` (a crafted page or page size is clamped, the count stops at the page's cap,
the many-to-one relations the list shows are loaded after the page), ``scaffold_auto_joins``
and ``after_page_relations``, filter values (no NUL; options of live reference lists) and
the sortable columns (none encrypted).

Relies on: ``self.page_size`` (Flask-Admin). The count cap it sets in ``g.count_cap`` is read
by ScopingMixin.get_count_query.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace

from flask import g, has_request_context
from flask_admin.model import template as row_templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from models.types import EncryptedJSON, EncryptedString, is_encrypted
from views.shared.capped_count import cap_for


class ListingMixin:
    list_template = "admin/model/panel_list.html"
    # Lists never lazy-load a relation per row: subclasses list their joins here.
    column_auto_select_related = True
    #: Many-to-one relations the list shows, loaded after the page (scaffold_auto_joins).
    list_relations: list = []

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        # A crafted ?page=-1 would be a negative OFFSET, which PostgreSQL refuses: clamp it.
        page = max(page or 0, 0) if page is not None else None
        if page_size is not None and page_size <= 0:
            page_size = None
        # A search counts to a lower cap: "more than 1,000" matches says refine the search.
        g.count_cap = cap_for(page, page_size or self.page_size, searching=bool(search))
        # Set by SearchMixin._apply_search for this list only (a second list in one request
        # must not sort by a token join it does not have).
        g.search_token_order = None
        count, query = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
        )
        if not execute:
            return count, query
        after = self.after_page_relations(query)
        rows = query.options(*(selectinload(relation) for relation in after)).all()
        return count, rows

    @pass_context
    def row_actions_html(self, context, actions, row):
        """The row's buttons (details, edit, delete): Flask-Admin's own macros, rendered once
        per page with random stand-ins for the id (and the version the delete form carries),
        which are then replaced by the row's; any other row action is rendered per row as
        Flask-Admin does."""
        pk = self.get_pk_value(row)
        cache = g.setdefault("row_action_html", {})
        parts = []
        for action in actions:
            if not isinstance(action, _ID_ONLY_ACTIONS) or not isinstance(self._primary_key, str):
                parts.append(str(action.render_ctx(context, pk, row)))
                continue
            # The delete form also carries the row's version (views/shared/inline_handlers.py,
            # the stale-page check): a second stand-in when the row has one.
            versioned = hasattr(row, "version")
            key = (id(action), versioned)
            if key not in cache:
                stand_ins = {self._primary_key: "rowid" + secrets.token_hex(8)}
                if versioned:
                    stand_ins["version"] = "rowversion" + secrets.token_hex(8)
                fake = SimpleNamespace(**stand_ins)
                html = str(action.render(context, stand_ins[self._primary_key], fake))
                cache[key] = (stand_ins, html)
            stand_ins, html = cache[key]
            for attribute, stand_in in stand_ins.items():
                value = pk if attribute == self._primary_key else getattr(row, attribute)
                html = html.replace(stand_in, str(escape(value)))
            parts.append(html)
        return Markup("".join(parts))  # noqa: S704 - macros' own output, the id escaped

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        # A search by one exact name token (SearchMixin._apply_search) joined the name index:
        # newest first is then the token's record id descending, which the index serves in
        # order (the same order as the default id descending, without a sort of the matches).
        order = g.get("search_token_order") if has_request_context() else None
        if sort_column is None and order is not None and self._default_newest_first():
            return query.order_by(order.desc()), joins
        return super()._apply_sorting(query, joins, sort_column, sort_desc)

    def _default_newest_first(self) -> bool:
        default = self.column_default_sort
        return isinstance(default, tuple) and tuple(default) == ("id", True)

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


#: Row actions whose HTML depends on the row's id only (Flask-Admin's view, edit and delete).
_ID_ONLY_ACTIONS = (
    row_templates.ViewRowAction,
    row_templates.ViewPopupRowAction,
    row_templates.EditRowAction,
    row_templates.EditPopupRowAction,
    row_templates.DeleteRowAction,
)


def _is_encrypted_column(column) -> bool:
    if isinstance(column, str | tuple | list):
        return False
    if hasattr(column, "property"):
        return is_encrypted(column)
    return isinstance(getattr(column, "type", None), EncryptedString | EncryptedJSON)
