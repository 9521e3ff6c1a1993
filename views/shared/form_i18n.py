"""WTForms' own messages ("This field is required." ...) from a catalogue read once per
process and language.

Flask-WTF reads WTForms' compiled catalogue from disk on every request that builds a form
(``flask_wtf.i18n._get_translations``, kept on the request only): a list page builds two
(the delete and batch-action forms), so every list page parsed the file again, about a
millisecond (docs/performance.md, "Lists, searches and details against plain Flask-Admin").
The same catalogue is kept here per language; what it returns is unchanged.
"""

from __future__ import annotations

from threading import Lock

import flask_wtf.i18n as wtf_i18n
from babel import support
from flask import current_app, request
from flask_babel import get_locale
from wtforms.i18n import messages_path

_catalogues: dict[str, support.Translations] = {}
_lock = Lock()


def _translations():
    """``flask_wtf.i18n._get_translations``, with the loaded catalogue kept per language."""
    if not request:
        return None
    if "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    key = str(locale)
    catalogue = _catalogues.get(key)
    if catalogue is None:
        with _lock:
            catalogue = _catalogues.get(key)
            if catalogue is None:
                catalogue = support.Translations.load(messages_path(), [locale], domain="wtforms")
                _catalogues[key] = catalogue
    return catalogue


def install() -> None:
    """Make Flask-WTF's form translations read the kept catalogue (once per process)."""
    wtf_i18n._get_translations = _translations
