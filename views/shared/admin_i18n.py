"""Flask-Admin's own strings, in the office's words, from our catalogue.

Flask-Admin translates its pages through its own "admin" catalogue, and that catalogue falls
short for the office: its compiled Chinese lacks "Failed to create record." and "Failed to save
record." (the .po has them, the shipped .mo does not), its page-size menu asks for runtime-built
msgids ("20 items") that no catalogue has, and a few of its words read oddly ("20 项目").
Rather than ship a second catalogue, Flask-Admin's translations are merged with ours
(translations/*/LC_MESSAGES/messages.po, the one place the Chinese is kept): ours win where both
have a message. The msgids below are written out so extraction keeps them in our catalogue.
"""

from __future__ import annotations

from babel.support import Translations
from flask import current_app, has_request_context
from flask_admin import babel as admin_babel
from flask_babel import get_domain, get_locale, ngettext
from flask_babel import lazy_gettext as _l

#: Flask-Admin messages its compiled Chinese lacks or words unlike the office.
ADMIN_MESSAGES = (
    _l("Failed to create record."),
    _l("Failed to save record."),
    _l("items"),
)

#: Where merged translations are cached, per locale, in app.extensions.
_CACHE = "admin_catalogue"


def page_size_labels(sizes) -> list[str]:
    """The page-size menu's entries, as Flask-Admin asks for them (one msgid per size)."""
    labels = {
        20: ngettext("20 item", "20 items", 20),
        50: ngettext("50 item", "50 items", 50),
        100: ngettext("100 item", "100 items", 100),
    }
    return [labels[size] for size in sizes]


def install() -> None:
    """Make Flask-Admin's domain read our catalogue on top of its own (once per process)."""
    domain = admin_babel.domain
    if getattr(domain, "office_catalogue", False):
        return
    flask_admin_translations = domain.get_translations

    def get_translations():
        if not has_request_context():
            return flask_admin_translations()
        cache = current_app.extensions.setdefault(_CACHE, {})
        locale = str(get_locale())
        merged = cache.get(locale)
        if merged is None:
            merged = _merged(flask_admin_translations(), get_domain().get_translations())
            cache[locale] = merged
        return merged

    domain.get_translations = get_translations
    domain.office_catalogue = True


def _merged(theirs, ours) -> Translations:
    merged = Translations()
    for catalogue in (theirs, ours):
        if isinstance(catalogue, Translations):
            merged.merge(catalogue)
    # Plural forms are the office language's (Chinese has one), so "20 items" finds its entry.
    merged.plural = getattr(ours, "plural", None) or getattr(theirs, "plural", merged.plural)
    return merged
