"""A withdrawn consent takes effect: the card is marked, and left out of exports, prints and
marketing follow-up; a card whose consent stands is not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from services.privacy import consent as consents
from services.sales import followups
from tests.factories import make_prospect, make_user, make_visit

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _two_cards(app, today, *, withdraw: bool) -> tuple[int, int]:
    """Two cards due for their first follow-up, both with consent; the first withdrawn."""
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="consent_clerk")
        ids = []
        for name in ("撤回甲", "同意乙"):
            first_visit = today - timedelta(days=4)
            card = make_prospect(
                db.session, name=name, consultant_id=clerk.id, first_visit_on=first_visit
            )
            make_visit(db.session, card, visited_on=first_visit, consultant_id=clerk.id)
            consent = consents.record(
                db.session,
                clerk,
                subject_type="prospect",
                subject_id=card.id,
                basis="consent",
                purpose="购房咨询与回访",
                policy_version="2026-1",
            )
            ids.append((card.id, consent.id))
        if withdraw:
            consents.withdraw(db.session, clerk, ids[0][1], "客户来电要求不再联系")
        db.session.commit()
        return ids[0][0], ids[1][0]


def test_a_withdrawn_card_leaves_the_follow_up_list(app, today):
    withdrawn, kept = _two_cards(app, today, withdraw=True)
    with app.app_context():
        supervisor = make_user(db.session, "supervisor")
        due = followups.first_followups(db.session, supervisor, today, stale_days=30)
        assert [row.prospect_id for row in due] == [kept]


def test_both_cards_are_followed_up_while_consent_stands(app, today):
    first, second = _two_cards(app, today, withdraw=False)
    with app.app_context():
        supervisor = make_user(db.session, "supervisor")
        due = followups.first_followups(db.session, supervisor, today, stale_days=30)
        assert sorted(row.prospect_id for row in due) == sorted([first, second])


def test_a_withdrawn_card_is_marked_and_not_exported_or_printed(app, client, login_as, today):
    withdrawn, kept = _two_cards(app, today, withdraw=True)
    login_as("supervisor")

    listing = client.get("/admin/prospect/").get_data(as_text=True)
    row = listing.split("撤回甲", 1)[1].split("</td>", 1)[0]
    assert "已撤回同意" in row
    assert "已撤回同意" not in listing.split("同意乙", 1)[1].split("</td>", 1)[0]

    details = client.get(f"/admin/prospect/details/?id={withdrawn}").get_data(as_text=True)
    assert 'id="consent-withdrawn"' in details
    other = client.get(f"/admin/prospect/details/?id={kept}").get_data(as_text=True)
    assert 'id="consent-withdrawn"' not in other

    export = client.get("/admin/prospect/export/csv/").get_data(as_text=True)
    assert "同意乙" in export
    assert "撤回甲" not in export

    refused = client.get(f"/admin/print/card/{withdrawn}/")
    assert refused.status_code == 302
    assert f"/admin/prospect/details/?id={withdrawn}" in refused.headers["Location"]
    assert client.get(f"/admin/print/card/{kept}/").status_code == 200
