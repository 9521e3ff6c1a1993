"""Parts of a list page rendered once and kept, keyed by everything they are made of.

A list page spends most of its template time on parts that are the same from one request to
the next: the stylesheets and scripts, the bar above the table (create, export, filters, page
size, actions, search box), the column headers with their sort links, the pager and the
filter data the page's script reads. Flask-Admin renders each again on every page.

panel_list.html wraps each such block in ``{% call admin_view.list_fragment('name') %}
{{ super() }}{% endcall %}``: the block is rendered as before the first time, and its
output kept under a key made of what it reads (the language, the address root, the query
string, the count shown, the sort, the role's buttons and actions, the filter groups...),
so a kept part is exactly what the block would render again. Nothing kept holds a form's
CSRF token or anything of the signed-in account (the actions form and the row buttons stay
per request).

The parts are kept on the view (one application's), never in a module: two applications of
one process each keep their own. Each view keeps at most MAX_FRAGMENTS, least recently used
dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import request
from flask_babel import get_locale
from markupsafe import Markup

#: Can be switched off (every block is rendered on every page, as Flask-Admin does).
ENABLED = True
#: Parts kept per view (a part is 1-5 KB; keys with a query string are one per address).
MAX_FRAGMENTS = 256


class FragmentCache:
    """One view's rendered parts: key -> (objects the key names by identity, markup)."""

    def __init__(self) -> None:
        self.parts: OrderedDict[tuple, tuple[tuple, Markup]] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple, pinned: tuple) -> Markup | None:
        with self.lock:
            kept = self.parts.get(key)
            if kept is None:
                return None
            # A key holds id() of objects such as the filter groups: the entry is good only
            # while it is the very same object (an id may be reused after one is dropped).
            if len(kept[0]) != len(pinned) or any(
                a is not b for a, b in zip(kept[0], pinned, strict=False)
            ):
                return None
            self.parts.move_to_end(key)
            return kept[1]

    def put(self, key: tuple, pinned: tuple, markup: Markup) -> None:
        with self.lock:
            self.parts[key] = (pinned, markup)
            self.parts.move_to_end(key)
            while len(self.parts) > MAX_FRAGMENTS:
                self.parts.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.parts.clear()


def cache_of(view) -> FragmentCache:
    cache = view.__dict__.get("_panel_list_fragments")
    if cache is None:
        cache = view.__dict__.setdefault("_panel_list_fragments", FragmentCache())
    return cache


def _actions(context) -> tuple:
    actions = context.get("actions") or ()
    confirmation = context.get("actions_confirmation") or {}
    return tuple(tuple(action) for action in actions), tuple(sorted(confirmation.items()))


#: Per part: (what the key reads from the page's context, the objects it pins by identity).
#: Every part's key also holds the part's name, the language, the address root and the CSP
#: nonce attribute. ``head_css``, ``head``, ``head_tail`` and ``tail_js`` read only the
#: view's constants (its theme, extra stylesheets and scripts).
def _no_key(context) -> tuple:
    return ()


def _filter_groups_key(context) -> tuple:
    groups = context.get("filter_groups")
    return (id(groups),), (groups,)


def _tail_key(context) -> tuple:
    return (_actions(context),), ()


def _menu_bar_key(context) -> tuple:
    view = context.get("admin_view")
    groups = context.get("filter_groups")
    count = context.get("count")
    key = (
        request.query_string,
        None if count is None else (int(count), str(count)),
        bool(view.can_create),
        bool(view.can_export),
        context.get("page_size"),
        context.get("return_url"),
        str(context.get("search_placeholder")),
        id(groups),
        _actions(context),
    )
    return key, (groups,)


def _header_key(context) -> tuple:
    columns = context.get("list_columns")
    key = (
        request.query_string,
        context.get("sort_column"),
        bool(context.get("sort_desc")),
        bool(context.get("actions")),
        id(columns),
    )
    return key, (columns,)


def _pager_key(context) -> tuple:
    data = context.get("data") or ()
    key = (
        request.query_string,
        context.get("page"),
        context.get("num_pages"),
        len(data) == context.get("page_size"),
    )
    return key, ()


KEYS = {
    "head_css": _no_key,
    "head": _no_key,
    "head_tail": _no_key,
    "tail_js": _no_key,
    "filter_groups": _filter_groups_key,
    "tail": _tail_key,
    "model_menu_bar": _menu_bar_key,
    "list_header": _header_key,
    "list_pager": _pager_key,
}


def fragment(view, context, name: str, caller) -> Markup:
    """The block ``name`` (rendered by ``caller``), kept under its key."""
    if not ENABLED:
        return caller()
    made = KEYS[name](context)
    key, pinned = made if made else ((), ())
    key = (
        name,
        str(get_locale()),
        request.script_root,
        str(context.get("admin_csp_nonce_attribute") or ""),
        key,
    )
    cache = cache_of(view)
    markup = cache.get(key, pinned)
    if markup is None:
        markup = Markup(caller())  # noqa: S704 - the template's own output, already escaped
        cache.put(key, pinned, markup)
    return markup
