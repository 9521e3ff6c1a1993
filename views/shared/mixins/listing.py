"""Listing: the list page's own queries, beyond Flask-Admin's.

Owns ``get_list`` (a crafted page or page size is clamped, the count stops at the page's cap,
the many-to-one relations the list shows are loaded after the page), ``scaffold_auto_joins``
and ``after_page_relations``, filter values (no NUL; options of live reference lists) and
the sortable columns (none encrypted); for the list template (templates/admin/model/
panel_list.html) each row's cells and buttons, its kept parts (``list_fragment``,
views/shared/list_fragments.py) and the list addresses (``_get_list_url``, one url_for a
request).

Relies on: ``self.page_size`` (Flask-Admin). The count cap it sets in ``g.count_cap`` and
``g.count_after_page`` (a deep page of a view with ``list_count_after_page``: the count query
comes back pending, finished from the page's rows) are read by ScopingMixin.get_count_query.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from urllib.parse import urlencode

from flask import current_app, g, has_request_context
from flask_admin.model import template as row_templates
from flask_babel import get_locale
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from core import masking
from forms.admin.reference import options_stamp
from models.types import EncryptedJSON, EncryptedString, is_encrypted
from views.shared import list_fragments
from views.shared.capped_count import cap_for
from views.shared.references_loaded import load_many_to_one, simple_many_to_one


class ListingMixin:
    list_template = "admin/model/panel_list.html"
    # Lists never lazy-load a relation per row: subclasses list their joins here.
    column_auto_select_related = True
    #: Many-to-one relations the list shows, loaded after the page (scaffold_auto_joins).
    list_relations: list = []

    #: The columns a list row reads (attribute names), or None: every column, as Flask-Admin
    #: loads them. A view naming them has the others left out of the page query (a welcome
    #: card's landline and notes are not decrypted for its list); the foreign keys of the
    #: relations the list shows are added here. A column left out is still read if asked
    #: for, one row at a time: name every one the list's cells, marks and buttons read.
    list_loaded_columns: tuple | None = None
    #: Pages past the first count after their rows (``_count_after_page``): only for a view
    #: whose list has one row per record and whose count query selects the records its page
    #: query does (get_query and get_count_query: the same scope, no filter joining a
    #: to-many relation).
    list_count_after_page = False

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
        # A deep page of a view whose list is one row per record, newest first: its count
        # is finished from its rows and its records are found by their ids first.
        deep = bool(
            execute
            and self.list_count_after_page
            and page
            and (page_size or self.page_size)
            and not search
            and sort_column is None
            and self._default_newest_first()
        )
        # Read by ScopingMixin.get_count_query: the count comes back pending, finished below.
        g.count_after_page = deep
        try:
            count, query = super().get_list(
                page, sort_column, sort_desc, search, filters, execute=False, page_size=page_size
            )
        finally:
            g.count_after_page = False
        if not execute:
            return count, query
        if deep:
            query = self._ids_first(query)
        after = self.after_page_relations(query)
        # Simple many-to-one relations (the reference items, the consultant) are one query per
        # kind of target (scoping.load_many_to_one): a card's source, project and grade are
        # all reference items. Any other relation is one selectinload each, as before.
        simple = {relation.key for relation in after if simple_many_to_one(relation.property)}
        rest = [relation for relation in after if relation.key not in simple]
        options = [selectinload(relation) for relation in rest]
        loaded = self._list_load_only(after)
        if loaded is not None:
            options.append(loaded)
        rows = query.options(*options).all()
        if hasattr(count, "known_before"):
            count = self._count_after_page(count, rows, page, page_size or self.page_size)
        load_many_to_one(rows, simple)
        return count, rows

    def _ids_first(self, query):
        """``query``'s page found by the records' ids first: the OFFSET walks an index of the
        scope and the ids alone (PostgreSQL: an index-only scan of (office_id, id)), and only
        the page's records are read whole. Without it PostgreSQL walked the table's key
        backwards and read each skipped card to test its office: page 2,000 of an office at
        1,000,000 cards 32 against 7 ms (docs/performance.md). The same records in the same
        order: the ids are the page's, one row a record (``list_count_after_page``)."""
        ids = query.with_entities(self.model.id).subquery()
        return query.limit(None).offset(None).filter(self.model.id.in_(select(ids.c.id)))

    def _list_load_only(self, relations):
        """The loader option of the columns the page query loads (``list_loaded_columns`` and
        the foreign keys of ``relations``), or None for all of them; built once per view and
        set of relations (an option is immutable, and building one costs more than the rest
        of the page query's options)."""
        if self.list_loaded_columns is None:
            return None
        kept = self.__dict__.setdefault("_list_load_only_options", {})
        key = (self.list_loaded_columns, tuple(relation.key for relation in relations))
        option = kept.get(key)
        if option is None:
            mapper = self.model.__mapper__
            names = dict.fromkeys(self.list_loaded_columns)
            for relation in relations:
                for local, _remote in relation.property.local_remote_pairs:
                    names.setdefault(mapper.get_property_by_column(local).key)
            option = kept[key] = load_only(*(getattr(self.model, name) for name in names))
        return option

    @staticmethod
    def _count_after_page(pending, rows, page, page_size):
        """The count of a page past the first, known from its rows: the OFFSET already walked
        past ``page * page_size`` records. A full page adds what follows its last record (a
        newest-first list: the smaller ids, counted up to the cap from there); a short page
        is the end of the list; an empty one (past the end) is counted as before. The same
        number as the count before the page, without walking the skipped rows twice."""
        offset = page * page_size
        if not rows:
            return pending.counted()
        if len(rows) < page_size:
            return pending.known(offset + len(rows))
        return pending.known_before(offset + len(rows), rows[-1].id)

    @pass_context
    def list_fragment(self, context, name, caller):
        """The list template's block ``name`` (rendered by ``caller``), kept under a key of
        everything it reads (views/shared/list_fragments.py)."""
        return list_fragments.fragment(self, context, name, caller)

    def _get_list_url(self, view_args):
        # Flask-Admin builds each of a page's twenty-odd list addresses (sort links, pager,
        # page sizes, the search form's) through url_for; they differ only in the query
        # string. The view's address is built once a request and the query string encoded as
        # url_for encodes it (werkzeug's Rule.build: the arguments in their order, None left
        # out, a list as one argument per item, the same characters kept).
        page = view_args.page or None
        desc = 1 if view_args.sort_desc else None
        kwargs = {"page": page, "sort": view_args.sort, "desc": desc, "search": view_args.search}
        kwargs.update(view_args.extra_args)
        kwargs["page_size"] = self.get_safe_page_size(view_args.page_size)
        kwargs.update(self._get_filters(view_args.filters))
        bases = g.setdefault("panel_list_url", {})
        base = bases.get(self.endpoint)
        if base is None:
            base = bases[self.endpoint] = self.get_url(".index_view")
        query = _query_string(kwargs)
        return f"{base}?{query}" if query else base

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

    @pass_context
    def list_row_html(self, context, actions, row):
        """One row's cells, as Flask-Admin's list.html renders them (the batch checkbox, the
        buttons, each column's value through ``get_list_value``: masked, labelled, in office
        time), built here rather than by the template: the template's per-cell calls were a
        fifth of a list page's time. Used when no column is edited in the list (none is:
        views/shared/base.py refuses list editing)."""
        columns = context["list_columns"]
        page = g.get("list_row_page")
        if page is None or page[0] is not self or page[1] is not columns:
            page = g.list_row_page = (self, columns, *self._list_row_parts(context, columns))
        _view, _columns, checkbox, cells = page
        parts = []
        if checkbox is not None:
            parts.extend((checkbox[0], escape(self.get_pk_value(row)), checkbox[1]))
        if self.column_display_actions:
            parts.append('<td class="list-buttons-column">')
            parts.append(self.row_actions_html(context, actions, row))
            parts.append("</td>")
        get_list_value = self.get_list_value
        for name, opening, cell in cells:
            parts.append(opening)
            if cell is None:
                parts.append(escape(get_list_value(context, row, name)))
            else:
                parts.append(escape(cell(context, row)))
            parts.append("</td>")
        return Markup("".join(parts))  # noqa: S704 - every value escaped above

    def _list_row_parts(self, context, columns):
        """What every row of this page shares: the checkbox's markup around the id (None
        without batch actions) and each column's name and opening tag."""
        checkbox = None
        if context.get("actions"):
            title = escape(context["_gettext"]("Select record"))
            checkbox = (
                '<td><input type="checkbox" name="rowid" class="action-checkbox" value="',
                f'" title="{title}" /></td>',
            )
        hooked = self._list_value_hooks()
        by_type: dict = {}
        cells = [
            (
                name,
                f'<td class="col-{escape(name)}">',
                None if hooked is None or name in hooked else self._list_cell(name, by_type),
            )
            for name, _label in columns
        ]
        return checkbox, cells

    def _list_value_hooks(self) -> set[str] | None:
        """The columns whose list value a class of this view changes beyond Flask-Admin's
        ``get_list_value`` and MaskingMixin's mask (each such class names them in its own
        ``list_value_columns``: the consent mark, the scout badge): those cells go through
        the whole ``get_list_value`` chain. None, every cell through the chain, when a class
        changes the value without naming its columns."""
        hooked: set[str] = set()
        for klass in type(self).__mro__:
            own = vars(klass)
            if klass.__module__.startswith("flask_admin.") or own.get("list_value_reproduced"):
                continue
            if "_get_list_value" in own or "_get_field_value" in own:
                return None
            if "get_list_value" in own:
                columns = own.get("list_value_columns")
                if columns is None:
                    return None
                hooked.update(columns)
        return hooked

    def _list_cell(self, name, by_type: dict):
        """The value of column ``name`` of a row as ``get_list_value`` gives it (Flask-Admin's
        ``_get_list_value``: the column's formatter or the attribute, its choice's label, its
        type's formatter; then MaskingMixin's mask), without the chain of calls: the type's
        formatter is looked up once a page per type."""
        formatter = (self.column_formatters or {}).get(name)
        choices = self._column_choices_map.get(name)
        type_formatters = self.column_type_formatters
        masked = masking.kind_of(name) is not None
        field_value = self._get_field_value
        # A page is in one language: each choice's label (a lazy string, translated on every
        # use) and each record's text (a reference item's label reads the language) are
        # looked up once a page; the rows of a page share their reference items.
        labels: dict = {}
        records: dict = {}

        def cell(context, row):
            if formatter is not None:
                value = formatter(self, context, row, name)
            else:
                value = field_value(row, name)
            if choices:
                if value in labels:
                    label = labels[value]
                else:
                    label = choices.get(value)
                    label = labels[value] = None if label is None else str(label)
                value = label or value
            else:
                kind = type(value)
                if kind in by_type:
                    type_formatter = by_type[kind]
                else:
                    type_formatter = by_type[kind] = next(
                        (fmt for typ, fmt in type_formatters.items() if isinstance(value, typ)),
                        None,
                    )
                if type_formatter is not None:
                    value = type_formatter(self, value, name)
                elif hasattr(kind, "__mapper__"):
                    kept = records.get(id(value))
                    if kept is None or kept[0] is not value:
                        kept = records[id(value)] = (value, str(value))
                    value = kept[1]
            return masking.mask(name, value) if masked else value

        return cell

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
        # Flask-Admin caches filter options at start-up; reference lists change at run time:
        # the live filters' options are read again whenever what they come from changed
        # (forms/admin/reference.py options_stamp, one query). The groups, labels in the
        # page's language, are kept per application, view and language until then: the
        # page's template reads them as they are (Flask-Admin's list.html, tojson).
        live = self._has_live_filters()
        stamp = options_stamp() if live else None
        key = (id(self), str(get_locale()))
        cache = current_app.extensions.setdefault("panel_filter_groups", {})
        kept = cache.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                _index, flt = self._filter_args[item["arg"]]
                if getattr(flt, "live_options", False):
                    item["options"] = flt.get_options(self) or None
        cache[key] = (stamp, groups)
        return groups

    def _has_live_filters(self) -> bool:
        return any(
            getattr(flt, "live_options", False)
            for _index, flt in (self._filter_args or {}).values()
        )

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


#: The characters werkzeug's url_for leaves unquoted in a query string (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"


def _query_string(arguments: dict) -> str:
    items = []
    for name, value in arguments.items():
        if isinstance(value, list | tuple | set):
            items.extend((name, item) for item in value if item is not None)
        elif value is not None:
            items.append((name, value))
    return urlencode(items, safe=_QUERY_SAFE)


def _is_encrypted_column(column) -> bool:
    if isinstance(column, str | tuple | list):
        return False
    if hasattr(column, "property"):
        return is_encrypted(column)
    return isinstance(getattr(column, "type", None), EncryptedString | EncryptedJSON)
