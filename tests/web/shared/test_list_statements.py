"""A list page's own statements made lighter (issue 21) show what they showed before: the
consent marks from the consent rows alone, the page's rows without the columns the list does
not read, a deep page counted after its rows; the same page, byte for byte."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from extensions import db
from models.sales.prospects import Prospect
from services.privacy import consent as consents
from tests.factories import make_prospect, make_user
from views.sales.prospects import ProspectView
from views.shared import capped_count


def _statements(app, client, url: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            response = client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), seen


def _normalised(body: str) -> str:
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1-", body)
    body = re.sub(r'value="[^"]*"( id="csrf_token"| name="csrf_token")', r'value="-"\1', body)
    return re.sub(r'(name="page_opened_at" value=")[^"]*', r"\1-", body)


# --- consent marks -------------------------------------------------------------------------
def _consent_cases(app) -> dict[str, int]:
    """Cards in each consent state: every consent withdrawn, one of two withdrawn (a basis
    stands), none withdrawn, no consent row at all; two fully withdrawn."""
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="marks.clerk")
        cards: dict[str, int] = {}
        for case, rows, withdrawn in (
            ("withdrawn", 1, 1),
            ("one_of_two", 2, 1),
            ("standing", 1, 0),
            ("none", 0, 0),
            ("both_withdrawn", 2, 2),
        ):
            card = make_prospect(db.session, name=f"同意{case}")
            for index in range(rows):
                consent = consents.record(
                    db.session,
                    clerk,
                    subject_type="prospect",
                    subject_id=card.id,
                    basis="consent" if index == 0 else "contract",
                    purpose="购房咨询与回访",
                    policy_version="2026-1",
                )
                if index < withdrawn:
                    consents.withdraw(db.session, clerk, consent.id, "客户来电要求不再联系")
            cards[case] = card.id
        db.session.commit()
        return cards


def test_withdrawn_ids_follow_the_withdrawn_rule(app):
    cards = _consent_cases(app)
    with app.app_context():
        by_rule = set(
            db.session.scalars(
                select(Prospect.id).where(
                    Prospect.id.in_(cards.values()),
                    consents.withdrawn_condition(Prospect, "prospect"),
                )
            )
        )
        found = consents.withdrawn_ids(db.session, Prospect, "prospect", cards.values())
        assert found == by_rule == {cards["withdrawn"], cards["both_withdrawn"]}
        # Another kind of record with the same ids is not this one.
        assert consents.withdrawn_ids(db.session, Prospect, "owner", cards.values()) == set()
        assert consents.withdrawn_ids(db.session, Prospect, "prospect", []) == set()


def test_the_list_marks_exactly_the_withdrawn_cards_in_one_statement(app, client, login_as):
    cards = _consent_cases(app)
    login_as("supervisor")
    body, statements = _statements(app, client, "/admin/prospect/")
    marked = {
        int(card)
        for card in re.findall(
            r'value="(\d+)"[^<]*</td>(?:(?!</tr>).)*?consent-withdrawn', body, flags=re.S
        )
    }
    assert body.count('class="badge badge-secondary consent-withdrawn"') == 2
    assert marked == {cards["withdrawn"], cards["both_withdrawn"]}
    about_consents = [s for s in statements if "consent_records" in s]
    assert len(about_consents) == 1
    assert "FROM prospects" not in about_consents[0]


# --- the page's rows ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["supervisor", "clerk"])
def test_the_list_loads_only_what_it_shows_and_reads_nothing_more(
    app, client, login_as, monkeypatch, role
):
    user_id = login_as(role)
    with app.app_context():
        for index in range(5):
            make_prospect(
                db.session,
                landline="010-12345678",
                notes="备注",
                consultant_id=user_id,
                is_scout=index == 2,
            )
        db.session.commit()
    client.get("/admin/prospect/")  # what a first page reads once (filter options, rights)
    lean, lean_statements = _statements(app, client, "/admin/prospect/")
    page_query = [s for s in lean_statements if s.startswith("SELECT prospects.id")]
    assert len(page_query) == 1
    assert "landline" not in page_query[0] and "notes" not in page_query[0]
    monkeypatch.setattr(ProspectView, "list_loaded_columns", None)
    whole, whole_statements = _statements(app, client, "/admin/prospect/")
    assert "prospects.landline" in [s for s in whole_statements if "FROM prospects" in s][-1]
    # No column left out is read row by row afterwards, and the page is the same.
    assert len(lean_statements) == len(whole_statements)
    assert _normalised(lean) == _normalised(whole)
    assert lean.count("/admin/prospect/details/?id=") == 5
    assert lean.count("scout-badge") == 1  # the flag read off the lean rows


def _grade_filter(app) -> int:
    view = next(
        v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == "prospect"
    )
    with app.test_request_context():
        return next(
            i
            for i, flt in enumerate(view._filters)
            if str(getattr(flt, "column", "")) == "Prospect.grade"
        )


# --- a deep page's count --------------------------------------------------------------------
def test_a_deep_page_counts_after_its_rows_the_same_number(app, client, login_as, monkeypatch):
    """A deep page counts from its last row on and reads its records by their ids first: the
    same page, byte for byte, as the count before it and a plain OFFSET."""
    monkeypatch.setattr(capped_count, "COUNT_CAP", 30)
    monkeypatch.setattr(capped_count, "PAGES_AHEAD", 0)
    with app.app_context():
        for index in range(65):
            make_prospect(db.session, grade="A" if index % 3 == 0 else "B")
        db.session.commit()
    login_as("supervisor")
    urls = [f"/admin/prospect/?page={page}" for page in range(6)]
    # Filtered: 43 grade B cards, pages of 20 (full, short, past the end).
    grade = _grade_filter(app)
    urls += [f"/admin/prospect/?flt0_{grade}=B&page={page}" for page in range(4)]
    urls += ["/admin/prospect/?page=1&sort=0", "/admin/prospect/?page=1&search=王伟"]
    after = {url: _statements(app, client, url) for url in urls}
    monkeypatch.setattr(ProspectView, "list_count_after_page", False)
    before = {url: _statements(app, client, url) for url in urls}
    for url in urls:
        body, statements = after[url]
        assert _normalised(body) == _normalised(before[url][0]), url
        counts = [s for s in statements if s.startswith("SELECT count(*)")]
        deferred = "page=0" not in url and "sort" not in url and "search" not in url
        # A full deep page counts from its last card on; a short one counts nothing; one past
        # the end counts as before.
        assert all(("prospects.id <" in s) == deferred for s in counts if "< ?" in s), url
        assert len(counts) <= 1, url
        # A deep page's records are found by their ids first (the OFFSET over ids alone).
        ids_first = "prospects.id IN (SELECT anon_1.id FROM (SELECT prospects.id AS id FROM"
        pages = [s for s in statements if s.startswith("SELECT prospects.id AS prospects_id")]
        assert pages, url
        assert any(ids_first in s for s in pages) == deferred, url
    assert "超过 40 条" in after["/admin/prospect/?page=1"][0]  # page 2: the cap of 40 reached
    assert "(65)" in after["/admin/prospect/?page=3"][0]  # the short last page
    assert "(65)" in after["/admin/prospect/?page=5"][0]  # past the end: counted
    assert not [s for s in after["/admin/prospect/?page=3"][1] if s.startswith("SELECT count(*)")]
    full = [s for s in after["/admin/prospect/?page=2"][1] if s.startswith("SELECT count(*)")]
    assert len(full) == 1 and "prospects.id <" in full[0]
    assert "(43)" in after[f"/admin/prospect/?flt0_{grade}=B&page=2"][0]


def test_views_counting_after_the_page_filter_on_their_own_columns_only(app):
    """The deep-page count (list_count_after_page) counts the page's rows as records: it
    holds while every filter is a condition on the view's own table, one row per record.
    A filter through a to-many relation (a join) would count a record once per match."""
    counting = [
        view
        for admin in app.extensions["admin"]
        for view in admin._views
        if getattr(view, "list_count_after_page", False)
    ]
    assert counting, "no view counts after its page"
    for view in counting:
        table = view.model.__table__
        for list_filter in view.column_filters or ():
            column = getattr(list_filter, "column", None)
            assert column is not None, (view.endpoint, list_filter)
            assert column.table is table, (view.endpoint, list_filter.name)
        # a search over joined tables would be the same risk: the page runs the count's
        # way only without one (listing.py), and the searchable columns are the card's own
        for searchable in view.column_searchable_list or ():
            assert getattr(searchable, "table", table) is table, (view.endpoint, searchable)
