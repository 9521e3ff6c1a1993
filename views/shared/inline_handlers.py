"""Flask-Admin's inline event handlers, moved out of the way of the Content-Security-Policy.

Flask-Admin 2.2's templates write a few ``onclick="..."`` attributes (row delete
confirmation, batch actions, the inline "Add" button, filter links). The policy forbids
inline handlers (``script-src-attr 'none'``), and Chromium reports each one as a violation
as soon as it parses it, so the attributes must not reach the browser at all. This loader
renames them to ``data-panel-onclick`` in Flask-Admin's template sources, once, when Jinja
compiles a template; static/csp-handlers.js binds the same behaviour from those attributes.
No Flask-Admin template is copied, and the panel's own templates never carry handlers
(tests/web/shared/test_security.py checks both).

The same loader adds what the stale-page checks need to two Flask-Admin templates (a row's
delete form carries the row's version, the action form the time the list was shown; see
views/shared/concurrency.py). Each addition names the line it follows; a Flask-Admin whose
template lacks that line stops the panel at the first render instead of deleting unchecked.
"""

from __future__ import annotations

import re
from pathlib import Path

import flask_admin
from jinja2 import BaseLoader

FLASK_ADMIN_TEMPLATES = str(Path(flask_admin.__file__).resolve().parent / "templates")
_ONCLICK = re.compile(r"\bonclick=\"")


#: template -> (line it follows, what is added after it)
_ADDITIONS = {
    "admin/model/row_actions.html": (
        "{{ delete_form.url(value=return_url) }}",
        '{% if row.version is defined %}<input type="hidden" name="record_version" '
        'value="{{ row.version }}">{% endif %}',
    ),
    "admin/actions.html": (
        "{{ action_form.action() }}",
        '<input type="hidden" name="page_opened_at" value="{{ page_opened_at() }}">',
    ),
}


def _add_to(template: str, source: str) -> str:
    if template not in _ADDITIONS:
        return source
    anchor, addition = _ADDITIONS[template]
    if anchor not in source:
        raise RuntimeError(f"{template}: Flask-Admin changed; {anchor!r} is gone")
    return source.replace(anchor, anchor + "\n" + addition, 1)


class HandlerFreeLoader(BaseLoader):
    """Wraps the app's loader; Flask-Admin's templates come back without onclick=, and
    with the stale-page fields."""

    def __init__(self, inner: BaseLoader):
        self.inner = inner

    def get_source(self, environment, template):
        source, filename, uptodate = self.inner.get_source(environment, template)
        if filename and str(Path(filename).resolve()).startswith(FLASK_ADMIN_TEMPLATES):
            source = _add_to(template, _ONCLICK.sub('data-panel-onclick="', source))
        return source, filename, uptodate

    def list_templates(self):
        return self.inner.list_templates()


def install(app) -> None:
    app.jinja_env.loader = HandlerFreeLoader(app.jinja_env.loader)
