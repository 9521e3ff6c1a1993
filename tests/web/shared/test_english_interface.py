"""The English interface has no Chinese in its chrome.

The same walk as tests/web/shared/test_chinese_interface.py, with the language cookie set to
English: every role opens every list, details, create and edit page it may, and no column
header, form label, button, menu entry, tooltip or placeholder may hold Chinese. Cells are
left alone: customer data (names, addresses, reference-list labels the admin typed) is Chinese
whatever the interface's language.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from core import access
from extensions import db
from models.admin.people import User
from tests.factories import make_prospect
from tests.web.shared.test_chinese_interface import _pages

pytestmark = pytest.mark.instant()

CHINESE = re.compile(r"[\u3400-\u9fff\uff08\uff09\uff1a\uff0c\u3002]")
#: Elements whose whole text is our label or Flask-Admin's, never a record's data.
CHROME_TAGS = {"th", "label", "button", "legend", "h1", "h2", "h3", "h4", "option"}
#: Links that are menu entries, tabs or buttons.
CHROME_LINK = re.compile(r"\b(nav-link|dropdown-item|btn)\b")
#: The language switch names each language in itself, on purpose.
LANGUAGE_NAMES = {"中文"}
NEEDED = {
    "index_view": access.LIST,
    "details_view": access.DETAILS,
    "create_view": access.CREATE,
    "edit_view": access.EDIT,
}


class _Chrome(HTMLParser):
    """Texts of headers, labels, buttons and menu links, and every title/placeholder."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "select", "textarea"):
            # Select options may be reference items (data); textareas hold typed data.
            self._skip += 1
        for name in ("title", "placeholder", "aria-label"):
            if values.get(name):
                self.found.append(values[name].strip())
        chrome = tag in CHROME_TAGS or (
            tag == "a" and CHROME_LINK.search(values.get("class") or "")
        )
        if tag in CHROME_TAGS or tag == "a":
            self._open.append(tag if chrome else "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "select", "textarea") and self._skip:
            self._skip -= 1
        if (tag in CHROME_TAGS or tag == "a") and self._open:
            self._open.pop()

    def handle_data(self, data):
        if not self._skip and self._open and self._open[-1] and data.strip():
            self.found.append(data.strip())


def chinese_in_chrome(html: str, data: tuple[str, ...] = ()) -> list[str]:
    """Chrome texts with Chinese in them, once the known data (a person's name) is cut out."""
    reader = _Chrome()
    reader.feed(html)
    found = set()
    for text in reader.found:
        if text in LANGUAGE_NAMES:
            continue
        for value in data:
            text = text.replace(value, "")
        if CHINESE.search(text):
            found.add(text)
    return sorted(found)


def test_the_reader_finds_chinese_in_chrome_and_ignores_data():
    html = (
        '<table><tr><th>姓名</th></tr><tr><td>张三</td></tr></table>'
        '<a class="nav-link" href="/">客户</a><a href="/x">李四</a>'
        '<select><option>湖畔花园</option></select><button title="删除">Delete</button>'
    )
    assert chinese_in_chrome(html) == ["删除", "姓名", "客户"]


@pytest.mark.parametrize("role", access.ROLES)
def test_no_chinese_in_the_english_interface(app, client, login_as, role):
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    with app.app_context():
        name = db.session.get(User, login_as(role)).full_name
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    failures = []
    for view_key, function, path in _pages(app):
        if not access.can(role, view_key, NEEDED[function]):
            continue
        url = path + ("" if function in ("index_view", "create_view") else "?id=1")
        response = client.get(url)
        if response.status_code != 200:
            continue
        found = chinese_in_chrome(response.get_data(as_text=True), (name,))
        if found:
            failures.append(f"{url}: {found}")
    home = client.get("/admin/")
    assert home.status_code == 200
    found = chinese_in_chrome(home.get_data(as_text=True), (name,))
    if found:
        failures.append(f"/admin/: {found}")
    assert not failures, "\n".join(failures)
