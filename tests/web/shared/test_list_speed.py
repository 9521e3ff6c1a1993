"""The list's faster paths (issue 21) show what the slower ones showed: a one-token name
search read off the index newest first, the search's lower count cap, the row buttons
rendered once a page, the details page's references loaded together."""

from __future__ import annotations

import re

from sqlalchemy import event

from extensions import db
from tests.factories import make_prospect
from views.shared import capped_count


def _statements(app, client, url: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            body = client.get(url).get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    return body, seen


def test_a_one_token_name_search_lists_the_newest_first_from_the_index(app, client, login_as):
    with app.app_context():
        ids = [make_prospect(db.session, name=name).id for name in ("王伟", "李伟", "张三", "伟明")]
        db.session.commit()
    login_as("supervisor")
    body, statements = _statements(app, client, "/admin/prospect/?search=伟")
    shown = [
        int(i) for i in re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', body)
    ]
    assert shown == [ids[3], ids[1], ids[0]]  # every match once, newest first, 张三 not
    page = [s for s in statements if s.startswith("SELECT prospects.id AS prospects_id")]
    assert page and "JOIN name_search_tokens" in page[0]
    assert "ORDER BY name_search_tokens.record_id DESC" in page[0]
    assert "(3)" in body


def test_a_prefix_search_and_a_phone_search_keep_their_conditions(app, client, login_as):
    with app.app_context():
        first = make_prospect(db.session, name="王伟", mobile="13800000001")
        make_prospect(db.session, name="李娜", mobile="13800000002")
        db.session.commit()
        first_id = first.id
    login_as("supervisor")
    body = client.get("/admin/prospect/?search=ww").get_data(as_text=True)
    assert "王伟" in body and "李娜" not in body
    body = client.get("/admin/prospect/?search=13800000001").get_data(as_text=True)
    assert f'value="{first_id}"' in body and "李娜" not in body


def test_a_search_counts_to_its_own_lower_cap(app, client, login_as, monkeypatch):
    monkeypatch.setattr(capped_count, "SEARCH_COUNT_CAP", 2)
    monkeypatch.setattr(capped_count, "PAGES_AHEAD", 0)
    monkeypatch.setattr(capped_count, "COUNT_CAP", 30)
    with app.app_context():
        for n in range(4):
            make_prospect(db.session, name=f"王伟{n}")
        db.session.commit()
    login_as("supervisor")
    assert "超过 20 条" not in client.get("/admin/prospect/?search=伟").get_data(as_text=True)
    # The cap grows to the page (20 rows), never under it; the plain list keeps its own.
    assert "(4)" in client.get("/admin/prospect/?search=伟").get_data(as_text=True)
    assert "(4)" in client.get("/admin/prospect/").get_data(as_text=True)
    assert capped_count.cap_for(0, 1, searching=True) == 2
    assert capped_count.cap_for(0, 1) == 30


def test_row_buttons_carry_each_rows_id(app, client, login_as):
    with app.app_context():
        ids = [make_prospect(db.session).id for _ in range(3)]
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/prospect/").get_data(as_text=True)
    for record_id in ids:
        assert f"/admin/prospect/details/?id={record_id}&amp;url=" in body
        assert f"/admin/prospect/edit/?id={record_id}&amp;url=" in body
    assert re.search(r"rowid[0-9a-f]{16}", body) is None  # no stand-in left


def test_the_details_page_loads_its_references_in_one_query(app, client, login_as):
    with app.app_context():
        record_id = make_prospect(db.session).id
        db.session.commit()
    login_as("supervisor")
    body, statements = _statements(app, client, f"/admin/prospect/details/?id={record_id}")
    assert "王伟" in body
    lazy = [s for s in statements if "FROM reference_items WHERE reference_items.id = " in s]
    assert not lazy  # one query for all the card's reference items, not a lazy load each
