"""A welcome card's details page keeps what is the same from one look to the next (issue 21):
the table's labels per language (views/shared/details_table.py) and the layout's static
blocks (views/shared/details_layout.py). What is kept follows the language, never carries
one role's or one card's parts to another, and is exactly what the page rendered without
keeping anything."""

from __future__ import annotations

import re

from extensions import db
from tests.factories import make_prospect
from views.sales.prospects import ProspectView
from views.shared import details_layout

MOBILE = "13812345678"


def _cards(app) -> tuple[int, int]:
    with app.app_context():
        first = make_prospect(db.session, name="王伟甲", mobile=MOBILE, notes="<b>备注</b>")
        second = make_prospect(db.session, name="李娜乙", mobile="13987654321")
        db.session.commit()
        return first.id, second.id


def _page(client, card_id: int) -> str:
    response = client.get(f"/admin/prospect/details/?id={card_id}")
    assert response.status_code == 200
    # The forms' tokens are the only per-request values of the page.
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1X", response.get_data(as_text=True))


def _label_cell(body: str, column_value: str) -> str:
    """The label of the table row whose value cell holds ``column_value``."""
    match = re.search(r"<b>([^<]*)</b>\s*</td>\s*<td>\s*" + re.escape(column_value), body)
    assert match, column_value
    return match.group(1)


def test_the_labels_and_layout_follow_the_language(app, client, login_as):
    first, _second = _cards(app)
    login_as("supervisor")
    client.get("/language/zh_Hans_CN")
    body = _page(client, first)
    assert _label_cell(body, "王伟甲") == "姓名"
    assert '<a class="navbar-brand" href="/admin">客户资料管理</a>' in body
    client.get("/language/en")
    body = _page(client, first)
    assert _label_cell(body, "王伟甲") == "Name"
    assert '<a class="navbar-brand" href="/admin">Customer records</a>' in body
    assert 'for="fa_filter">Filter</label>' in body
    client.get("/language/zh_Hans_CN")
    body = _page(client, first)
    assert _label_cell(body, "王伟甲") == "姓名"
    assert "<title>销售 - 温馨卡（意向客户） - 客户资料管理</title>" in body


def test_each_card_and_role_gets_its_own_values(app, client, login_as):
    first, second = _cards(app)
    login_as("clerk")
    one, two = _page(client, first), _page(client, second)
    assert "王伟甲" in one and "李娜乙" not in one
    assert "李娜乙" in two and "王伟甲" not in two
    # Values are escaped and masked as Flask-Admin's loop did; the clerk may edit.
    assert "&lt;b&gt;备注&lt;/b&gt;" in one and MOBILE not in one and "138****5678" in one
    assert "/admin/prospect/edit/" in one
    client.post("/logout")
    login_as("auditor")
    # The read-only auditor, after the clerk's pages were kept: no edit tab, still masked.
    body = _page(client, first)
    assert "王伟甲" in body and MOBILE not in body
    assert "/admin/prospect/edit/" not in body


def test_a_revealed_look_shows_the_full_number_once(app, client, login_as):
    first, _second = _cards(app)
    login_as("supervisor")
    assert MOBILE not in _page(client, first)
    revealed = client.post(f"/admin/prospect/reveal/?id={first}").get_data(as_text=True)
    assert MOBILE in revealed and 'id="revealed-note"' in revealed
    assert MOBILE not in _page(client, first)


def test_the_page_is_the_one_rendered_without_keeping(app, client, login_as, monkeypatch):
    first, second = _cards(app)
    login_as("supervisor")
    for language in ("en", "zh_Hans_CN"):
        client.get(f"/language/{language}")
        kept = [_page(client, card) for card in (first, second, first)]
        with monkeypatch.context() as plain:
            # Flask-Admin's own loop and blocks, rendered on every page.
            plain.delattr(ProspectView, "details_table")
            plain.setattr(details_layout, "KEPT_BLOCKS", frozenset())
            rendered = [_page(client, card) for card in (first, second, first)]
        assert kept == rendered
