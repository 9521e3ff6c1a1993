"""The Saturday count of B and C customers and its snapshots."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from extensions import db
from models.sales.prospects import Prospect
from services.sales import weekly_count
from tests.factories import make_prospect, make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

SATURDAY = date(2026, 3, 14)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def office(ctx):
    """A hand-made office: Li has 2 B + 1 C, Zhang 1 B + 2 C, one unassigned C; plus cards
    that must not count (A, D, ungraded, scouts, and a card first seen after Saturday)."""
    li, zhang = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    on = date(2026, 3, 2)
    for grade in ("B", "B", "C", "A", "D", "D"):
        make_prospect(ctx, consultant=li, grade=grade, first_visit_on=on)
    for grade in ("B", "C", "C", "D"):
        make_prospect(ctx, consultant=zhang, grade=grade, first_visit_on=on)
    make_prospect(ctx, consultant=None, grade="C", first_visit_on=on)
    make_prospect(ctx, consultant=li, grade=None, first_visit_on=on)
    make_prospect(ctx, consultant=li, grade="B", first_visit_on=on, is_scout=True)
    make_prospect(ctx, consultant=zhang, grade="C", first_visit_on=on, is_scout=True)
    make_prospect(ctx, consultant=zhang, grade="B", first_visit_on=date(2026, 3, 15))
    ctx.commit()
    return li, zhang


def test_week_ending():
    assert weekly_count.week_ending(date(2026, 3, 8)) == SATURDAY  # Sunday
    assert weekly_count.week_ending(date(2026, 3, 12)) == SATURDAY
    assert weekly_count.week_ending(SATURDAY) == SATURDAY
    assert weekly_count.last_saturday(date(2026, 3, 20)) == SATURDAY
    assert weekly_count.last_saturday(SATURDAY) == SATURDAY


def test_count_reproduces_the_hand_made_fixture(ctx, office):
    li, zhang = office
    count = weekly_count.count_as_of(ctx, SATURDAY, None)
    assert (count.b, count.c) == (3, 4)
    assert count.per_consultant == {li.id: (2, 1), zhang.id: (1, 2)}


def test_snapshot_is_stored_and_never_follows_later_grade_changes(ctx, office):
    li, zhang = office
    boss = make_user(ctx, "supervisor")
    result = weekly_count.take_snapshot(ctx, boss, SATURDAY)
    ctx.commit()
    assert result.created
    rows = {r.consultant_id: (r.b_count, r.c_count) for r in result.rows}
    assert rows == {None: (3, 4), li.id: (2, 1), zhang.id: (1, 2)}
    assert all(r.taken_by_id == boss.id for r in result.rows)

    ctx.execute(update(Prospect).where(Prospect.grade == "B").values(grade="D"))
    ctx.commit()
    again = weekly_count.take_snapshot(ctx, boss, SATURDAY)
    assert not again.created
    assert {r.consultant_id: (r.b_count, r.c_count) for r in again.rows} == rows
    assert weekly_count.trend(ctx, None) == [weekly_count.TrendPoint(SATURDAY, 3, 4)]

    forced = weekly_count.take_snapshot(ctx, None, SATURDAY, force=True)
    ctx.commit()
    assert forced.created
    assert {r.consultant_id: (r.b_count, r.c_count) for r in forced.rows} == {
        None: (0, 4),
        li.id: (0, 1),
        zhang.id: (0, 2),
    }


def test_trend_orders_weeks_and_keeps_each(ctx, office):
    weekly_count.take_snapshot(ctx, None, SATURDAY)
    ctx.execute(update(Prospect).where(Prospect.grade == "A").values(grade="B"))
    weekly_count.take_snapshot(ctx, None, date(2026, 3, 21))
    ctx.commit()
    points = weekly_count.trend(ctx, None)
    assert [(p.week_ending, p.b, p.c) for p in points] == [
        (SATURDAY, 3, 4),
        (date(2026, 3, 21), 5, 4),  # 4 B + the card first seen on 15 March
    ]


def test_only_saturdays(ctx):
    with pytest.raises(weekly_count.NotASaturday):
        weekly_count.take_snapshot(ctx, None, date(2026, 3, 13))


@pytest.mark.parametrize("with_consultants", [True, False])
def test_a_second_taker_at_the_same_time_keeps_the_first_snapshot(
    ctx, monkeypatch, with_consultants
):
    # The race: both takers found no rows for the week; the unique keys (the partial index
    # for the total row, whose consultant is NULL) let only the first one in.
    clerk = make_user(ctx, "clerk")
    make_prospect(
        ctx, consultant=clerk if with_consultants else None, grade="B", first_visit_on=SATURDAY
    )
    first = weekly_count.take_snapshot(ctx, None, SATURDAY)
    ctx.commit()
    assert first.created
    ctx.execute(update(Prospect).values(grade="C"))
    real = weekly_count._stored_rows
    calls = []

    def missed_the_first_taker(session, office_id, saturday):
        calls.append(saturday)
        return [] if len(calls) == 1 else real(session, office_id, saturday)

    monkeypatch.setattr(weekly_count, "_stored_rows", missed_the_first_taker)
    second = weekly_count.take_snapshot(ctx, None, SATURDAY)
    ctx.commit()
    assert not second.created
    assert [(r.b_count, r.c_count) for r in second.rows if r.consultant_id is None] == [(1, 0)]
    assert len(second.rows) == (2 if with_consultants else 1)
