"""Follow-up due dates: the first one 3 to 5 days after the first visit, later ones at the
promised appointment, and the "not contacted" list; time moves by passing ``today``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from extensions import db
from services.sales import followups
from tests.factories import make_prospect, make_user, make_visit

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


def _statuses(session, user, today):
    groups = followups.due_list(session, user, today)
    return {
        item.prospect_id: (status, item.kind) for status, items in groups.items() for item in items
    }


def test_window_edges():
    first = date(2026, 3, 10)
    assert followups.first_followup_window(first) == (date(2026, 3, 13), date(2026, 3, 15))
    due_from, due_by = followups.first_followup_window(first)
    assert followups.status_on(first + timedelta(days=2), due_from, due_by) == "soon"
    assert followups.status_on(first + timedelta(days=3), due_from, due_by) == "due"
    assert followups.status_on(first + timedelta(days=5), due_from, due_by) == "due"
    assert followups.status_on(first + timedelta(days=6), due_from, due_by) == "overdue"
    assert followups.status_on(first - timedelta(days=1), due_from, due_by) is None


@pytest.mark.parametrize(
    ("first", "day", "expected"),
    [
        # across the end of January
        (date(2026, 1, 29), date(2026, 1, 31), "soon"),  # day 2
        (date(2026, 1, 29), date(2026, 2, 1), "due"),  # day 3
        (date(2026, 1, 29), date(2026, 2, 3), "due"),  # day 5
        (date(2026, 1, 29), date(2026, 2, 4), "overdue"),  # day 6
        # across the end of February (28 days in 2026)
        (date(2026, 2, 26), date(2026, 2, 28), "soon"),
        (date(2026, 2, 26), date(2026, 3, 1), "due"),
        (date(2026, 2, 26), date(2026, 3, 3), "due"),
        (date(2026, 2, 26), date(2026, 3, 4), "overdue"),
        # across the end of the year
        (date(2026, 12, 29), date(2026, 12, 31), "soon"),
        (date(2026, 12, 29), date(2027, 1, 1), "due"),
        (date(2026, 12, 29), date(2027, 1, 3), "due"),
        (date(2026, 12, 29), date(2027, 1, 4), "overdue"),
    ],
)
def test_first_followup_from_the_database(ctx, first, day, expected):
    clerk = make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=clerk, first_visit_on=first)
    make_visit(ctx, card, visited_on=first, consultant_id=clerk.id)
    assert _statuses(ctx, clerk, day) == {card.id: (expected, "first")}


def test_a_card_with_a_second_reception_is_no_longer_due_for_its_first(ctx):
    clerk = make_user(ctx, "clerk")
    first = date(2026, 5, 4)
    card = make_prospect(ctx, consultant=clerk, first_visit_on=first)
    make_visit(ctx, card, visited_on=first)
    make_visit(ctx, card, visited_on=first + timedelta(days=3))
    assert _statuses(ctx, clerk, first + timedelta(days=4)) == {}


def test_a_second_reception_on_the_first_day_is_not_the_first_follow_up(ctx):
    clerk = make_user(ctx, "clerk")
    first = date(2026, 5, 4)
    card = make_prospect(ctx, consultant=clerk, first_visit_on=first)
    make_visit(ctx, card, visited_on=first)
    make_visit(ctx, card, visited_on=first, summary="当天下午又来看样板间。")
    assert _statuses(ctx, clerk, first + timedelta(days=3)) == {card.id: ("due", "first")}


def test_later_followups_follow_the_latest_appointment(ctx):
    clerk = make_user(ctx, "clerk")
    first = date(2026, 5, 4)
    card = make_prospect(ctx, consultant=clerk, first_visit_on=first)
    make_visit(ctx, card, visited_on=first, next_appointment_on=date(2026, 5, 6))
    make_visit(
        ctx,
        card,
        visited_on=date(2026, 5, 7),
        next_appointment_on=date(2026, 5, 20),
        next_appointment_pretext="看样板间",
    )
    # the first visit's promise was superseded by the second reception
    assert _statuses(ctx, clerk, date(2026, 5, 8)) == {}
    assert _statuses(ctx, clerk, date(2026, 5, 17)) == {card.id: ("soon", "appointment")}
    assert _statuses(ctx, clerk, date(2026, 5, 20)) == {card.id: ("due", "appointment")}
    assert _statuses(ctx, clerk, date(2026, 5, 21)) == {card.id: ("overdue", "appointment")}
    item = followups.due_list(ctx, clerk, date(2026, 5, 20))["due"][0]
    assert item.pretext == "看样板间"


def test_consultants_see_their_own_cards_and_supervisors_the_team(ctx):
    first = date(2026, 6, 1)
    mine, theirs = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    boss = make_user(ctx, "supervisor")
    a = make_prospect(ctx, consultant=mine, first_visit_on=first)
    b = make_prospect(ctx, consultant=theirs, first_visit_on=first)
    make_prospect(ctx, consultant=mine, first_visit_on=first, is_scout=True)
    make_prospect(ctx, consultant=mine, first_visit_on=first, progress="signed")
    day = first + timedelta(days=4)
    assert set(_statuses(ctx, mine, day)) == {a.id}
    assert set(_statuses(ctx, boss, day)) == {a.id, b.id}
    team = followups.due_list(ctx, boss, day, consultant_id=theirs.id)
    assert [f.prospect_id for f in team["due"]] == [b.id]


def test_not_contacted_list(ctx):
    clerk = make_user(ctx, "clerk")
    today = date(2026, 7, 31)
    old = make_prospect(
        ctx, consultant=clerk, first_visit_on=date(2026, 5, 1), last_contact_on=date(2026, 6, 30)
    )
    edge = make_prospect(
        ctx, consultant=clerk, first_visit_on=date(2026, 5, 1), last_contact_on=date(2026, 7, 1)
    )
    fresh = make_prospect(
        ctx, consultant=clerk, first_visit_on=date(2026, 7, 20), last_contact_on=date(2026, 7, 20)
    )
    rows = followups.not_contacted(ctx, clerk, today, days=30)
    assert [r.prospect_id for r in rows] == [old.id]
    assert rows[0].days == 31
    ids = {r.prospect_id for r in followups.not_contacted(ctx, clerk, today, days=15)}
    assert ids == {old.id, edge.id}
    assert fresh.id not in ids
