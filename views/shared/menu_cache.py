"""The navigation menu, rendered once per role, language and page instead of on every page.

Flask-Admin renders the menu on every page by asking each of some sixty views whether the
signed-in role may open it and whether it is shown, and building its address: a tenth of a
list page's time (docs/performance.md, "Lists, searches and details against plain
Flask-Admin"). What it shows depends only on the role (every view's ``is_accessible`` and
``is_visible`` read the role alone: views/shared/mixins/rights.py, core/access.py), the
language of its labels, the page it marks as active and the address the panel is served
under; those are the key. Anonymous pages render it as before.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from flask import request
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

#: Off until the cache is kept per application: a fresh-clone CI run's browser journey got a
#: menu lacking a page, most likely one rendered for another app of the same test process
#: whose view had the same id(). Every page renders its menu (about 2.5 ms of a list page).
ENABLED = False
#: Menus kept (roles x languages x pages; a menu is about 10 KB).
MAX_MENUS = 512

_menus: OrderedDict[tuple, Markup] = OrderedDict()
_lock = Lock()


@pass_context
def cached_menu(context, layout) -> Markup:
    """``layout.menu()`` (Flask-Admin's macro), from the cache when it was rendered before."""
    view = context.get("admin_view")
    if not ENABLED or view is None or not current_user.is_authenticated:
        return layout.menu()
    key = (
        current_user.role_code,
        str(get_locale()),
        getattr(view, "endpoint", None),
        id(view),
        request.host,
        request.script_root,
    )
    with _lock:
        menu = _menus.get(key)
        if menu is not None:
            _menus.move_to_end(key)
            return menu
    menu = Markup(layout.menu())  # noqa: S704 - Flask-Admin's macro output, already escaped
    with _lock:
        _menus[key] = menu
        while len(_menus) > MAX_MENUS:
            _menus.popitem(last=False)
    return menu
