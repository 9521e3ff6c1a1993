"""Parts of a details page's layout rendered once and kept (issue 21).

Flask-Admin renders, on every page, blocks that are the same on every details page of a
view: the stylesheet and script tags (fifteen ``admin_static.url`` macro calls, each a
url_for), the title, the brand, the page's heading and the filter box. templates/admin/
model/panel_details.html wraps each in ``{% call kept('name') %}{{ super() }}{% endcall %}``:
on a view with ``details_fragment`` (the welcome cards') the block renders as before the
first time and its output is kept under (block, language, address root), everything these
blocks read besides the view itself. None of them holds a form's token, the signed-in
account, its role or the record shown.

Kept on the view (one application's), never in a module. A page with a CSP nonce attribute
(a per-request value; Flask-Admin is given none here) is not kept: the block renders every
time.
"""

from __future__ import annotations

from flask import request
from flask_babel import get_locale
from markupsafe import Markup

#: The blocks that may be kept: they read only the view, the language and the address root.
KEPT_BLOCKS = frozenset(
    {"title", "head_css", "head_tail", "brand", "page_title", "details_search", "tail_js", "tail"}
)
#: Parts kept per view (blocks x languages x address roots); beyond, all are dropped.
MAX_KEPT = 64


def details_fragment(view, context, name: str, caller) -> Markup:
    """The block ``name`` of ``view``'s details page (rendered by ``caller``), kept."""
    nonce = str(context.get("admin_csp_nonce_attribute") or "")
    if name not in KEPT_BLOCKS or nonce:
        return Markup(caller())  # noqa: S704 - the template's own output, already escaped
    kept = view.__dict__.setdefault("_details_fragments", {})
    key = (name, str(get_locale()), request.script_root)
    markup = kept.get(key)
    if markup is None:
        if len(kept) >= MAX_KEPT:
            kept.clear()
        markup = kept[key] = Markup(caller())  # noqa: S704 - the template's own output
    return markup
