"""Spot checks: the sample is drawn from the week's new cards (Monday to Sunday), once."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from extensions import db
from services.privacy import audit
from services.sales import spot_checks
from tests.factories import make_prospect, make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

ACTOR = audit.Actor(1, "sup", "supervisor")
WEDNESDAY = date(2026, 11, 18)
MONDAY = date(2026, 11, 16)


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _cards(s, days, n=1):
    return [make_prospect(s, first_visit_on=day).id for day in days for _ in range(n)]


def test_week_runs_monday_to_sunday():
    assert spot_checks.week_start(WEDNESDAY) == MONDAY
    assert spot_checks.week_start(MONDAY) == MONDAY
    assert spot_checks.week_start(date(2026, 11, 22)) == MONDAY  # Sunday
    assert spot_checks.week_start(date(2026, 11, 23)) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("population", "size", "percent", "expected"),
    [(40, 5, None, 5), (3, 5, None, 3), (40, None, 10, 4), (41, None, 10, 5), (1, None, 1, 1)],
)
def test_sample_size(population, size, percent, expected):
    assert spot_checks.sample_size(population, size=size, percent=percent) == expected


@pytest.mark.parametrize(("size", "percent"), [(0, None), (None, 0), (None, 101), (5, 10)])
def test_bad_sizes_are_refused(size, percent):
    with pytest.raises(spot_checks.InvalidSize):
        spot_checks.sample_size(10, size=size, percent=percent)


def test_draw_takes_only_this_weeks_cards_and_only_once(s):
    sup = make_user(s, "supervisor")
    week = _cards(s, [MONDAY + timedelta(days=i) for i in range(7)], n=2)
    _cards(s, [MONDAY - timedelta(days=1), MONDAY + timedelta(days=7)])  # the Sundays around
    check = spot_checks.draw(s, sup, ACTOR, WEDNESDAY, size=5, rng=random.Random(7))
    assert (check.week_start, check.sample_size, check.population) == (MONDAY, 5, 14)
    drawn = [i.prospect_id for i in check.items]
    assert len(set(drawn)) == 5 and set(drawn) <= set(week)
    with pytest.raises(spot_checks.AlreadyDrawn):
        spot_checks.draw(s, sup, ACTOR, date(2026, 11, 22), percent=50)


def test_nothing_to_draw_and_only_supervisors(s):
    with pytest.raises(spot_checks.NothingToDraw):
        spot_checks.draw(s, make_user(s, "supervisor"), ACTOR, WEDNESDAY, size=5)
    _cards(s, [WEDNESDAY])
    with pytest.raises(spot_checks.NotAllowed):
        spot_checks.draw(s, make_user(s, "clerk"), ACTOR, WEDNESDAY, size=5)


def test_results_and_match_rate(s):
    sup = make_user(s, "supervisor")
    _cards(s, [WEDNESDAY], n=4)
    check = spot_checks.draw(s, sup, ACTOR, WEDNESDAY, size=4)
    a, b, c, _d = check.items
    spot_checks.record_result(s, sup, ACTOR, a.id, "match", None)
    spot_checks.record_result(s, sup, ACTOR, b.id, "match", "")
    with pytest.raises(spot_checks.MissingNote):
        spot_checks.record_result(s, sup, ACTOR, c.id, "mismatch", " ")
    spot_checks.record_result(s, sup, ACTOR, c.id, "mismatch", "手机号末位不同")
    (week,) = spot_checks.history(s, sup)
    assert (week.sample_size, week.checked, week.matches) == (4, 3, 2)
    assert week.match_rate == pytest.approx(2 / 3)
