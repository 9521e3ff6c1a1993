"""The base view's search: every word must match, LIKE wildcards are literal, long input is cut."""

from __future__ import annotations

from extensions import db
from tests.factories import make_prospect


def _names(client, term: str) -> str:
    response = client.get("/admin/prospect/", query_string={"search": term})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_word_must_match_and_wildcards_are_literal(app, client, login_as):
    login_as("supervisor")
    with app.app_context():
        make_prospect(db.session, name="欧阳明", notes=None)
        make_prospect(db.session, name="欧阳_华")
        make_prospect(db.session, name="李四")
        db.session.commit()
    page = _names(client, "欧阳 明")
    assert "欧阳明" in page and "欧阳_华" not in page and "李四" not in page
    # Names are searched through their tokens, which keep letters only: "_" and "%" are
    # neither wildcards nor searchable, so they match nothing rather than everything.
    page = _names(client, "_")
    assert "欧阳_华" not in page and "欧阳明" not in page
    assert "欧阳_华" in _names(client, "欧阳华")
    page = _names(client, "%")
    assert "欧阳明" not in page and "李四" not in page


def test_overlong_search_is_cut_not_refused(app, client, login_as):
    login_as("supervisor")
    assert client.get("/admin/prospect/", query_string={"search": "王" * 5000}).status_code == 200
