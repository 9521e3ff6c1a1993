"""Lists count up to a cap and say "more than" past it, and the pager still moves on."""

from __future__ import annotations

from sqlalchemy import event

from extensions import db
from tests.factories import make_prospect
from views.shared import capped_count


def _cards(app, count: int) -> None:
    with app.app_context():
        for _ in range(count):
            make_prospect(db.session)
        db.session.commit()


def test_a_list_past_the_cap_says_more_than_and_pages_on(app, client, login_as, monkeypatch):
    monkeypatch.setattr(capped_count, "COUNT_CAP", 30)
    monkeypatch.setattr(capped_count, "PAGES_AHEAD", 0)
    _cards(app, 45)
    login_as("supervisor")
    first = client.get("/admin/prospect/?page_size=20").get_data(as_text=True)
    assert "超过 30 条" in first and "(45)" not in first
    # Page 3 needs 60 rows counted: the cap grows with the page, and the rows are there.
    third = client.get("/admin/prospect/?page=2&page_size=20").get_data(as_text=True)
    assert "(45)" in third and third.count("/admin/prospect/details/?id=") == 5


def test_a_small_list_shows_its_exact_count(app, client, login_as):
    _cards(app, 3)
    login_as("supervisor")
    body = client.get("/admin/prospect/").get_data(as_text=True)
    assert "(3)" in body


def test_search_and_filters_apply_to_the_capped_count(app, client, login_as):
    _cards(app, 4)
    with app.app_context():
        make_prospect(db.session, name="独一无二", grade="A")
        db.session.commit()
    login_as("supervisor")
    assert "(1)" in client.get("/admin/prospect/?search=独一无二").get_data(as_text=True)


def test_the_count_never_runs_count_star_over_the_table(app, client, login_as):
    _cards(app, 3)
    login_as("supervisor")
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            client.get("/admin/prospect/")
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    counts = [s for s in statements if "count(" in s.lower() and "prospects" in s]
    assert counts and all("LIMIT" in s.upper() for s in counts)
