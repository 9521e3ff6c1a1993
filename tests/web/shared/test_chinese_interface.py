"""The Chinese interface has no English of Flask-Admin's left in it.

Every role signs in with the Chinese interface and walks every list, details and create page it
may open; no text on them may be one of Flask-Admin's English UI strings (its catalogue lacks
several, and ours supplies them: views/shared/admin_i18n.py), and no cell may read True/False.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from core import access
from extensions import db
from tests.factories import make_prospect

pytestmark = pytest.mark.instant()

#: Flask-Admin's English UI strings that a page may show as a whole text or a control's title.
ENGLISH_LEFTOVERS = {
    "True", "False", "Id", "ID", "List", "Create", "Details", "Edit", "Delete", "Save",
    "Cancel", "Search", "Add Filter", "Apply", "Reset Filters", "With selected", "Export",
    "Home", "items", "View Record", "Edit Record", "Delete Record", "Select all records",
    "Select record", "There are no items in the table.", "Save and Add Another",
    "Save and Continue Editing", "Remove Filter", "Failed to create record.", "Filter",
    "Record was successfully created.", "Record was successfully saved.", "Close",
    "Create New Record", "Back", "Export ", "equals", "not equal", "contains", "not contains",
    "empty", "in list", "not in list", "greater than", "smaller than", "between",
    "not between", "Yes", "No",
}
#: The page-size menu and its button ("20 items").
COUNTED = re.compile(r"^\d+\s+items?$")
LOOKED_AT = ("index_view", "details_view", "create_view", "edit_view")


class _Texts(HTMLParser):
    """Each text node and each title/placeholder, stripped; scripts and styles skipped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.found.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.found.append(data.strip())


def english_leftovers(html: str) -> list[str]:
    reader = _Texts()
    reader.feed(html)
    return sorted(
        {text for text in reader.found if text in ENGLISH_LEFTOVERS or COUNTED.match(text)}
    )


def _pages(app):
    for rule in app.url_map.iter_rules():
        view_key, _, function = rule.endpoint.partition(".")
        if function in LOOKED_AT and view_key in access.RIGHTS and "<" not in rule.rule:
            yield view_key, function, rule.rule


@pytest.mark.parametrize("role", access.ROLES)
def test_no_english_of_flask_admin_in_the_chinese_interface(app, client, login_as, role):
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    login_as(role)
    needed = {"index_view": access.LIST, "details_view": access.DETAILS,
              "create_view": access.CREATE, "edit_view": access.EDIT}
    failures = []
    for view_key, function, path in _pages(app):
        if not access.can(role, view_key, needed[function]):
            continue
        url = path + ("" if function in ("index_view", "create_view") else "?id=1")
        response = client.get(url)
        if response.status_code != 200:
            continue
        left = english_leftovers(response.get_data(as_text=True))
        if left:
            failures.append(f"{url}: {left}")
    assert not failures, "\n".join(failures)
