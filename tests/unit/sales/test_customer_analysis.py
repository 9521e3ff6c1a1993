"""The customer analysis: counts and shares per dimension, the "not filled in" row, scouts
left out, anonymised cards kept, inclusive period bounds, the project filter, bad periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from services.privacy.subject_requests import anonymise
from services.sales import customer_analysis as analysis
from tests.factories import make_prospect, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

START, END = date(2026, 11, 1), date(2026, 11, 25)
#: An account of a group role: counts every office's cards (services/admin/offices.py).
GROUP = SimpleNamespace(role_code="admin")


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


def make_project(session, code: str, label: str, sort_order: int) -> ReferenceItem:
    projects = session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    item = ReferenceItem(code=code, label=label, sort_order=sort_order)
    projects.items.append(item)
    session.flush()
    return item


@pytest.fixture
def office(ctx):
    """Six cards first received in November up to the 25th (one anonymised), plus cards
    that must not count: a scout, one the day before, one the day after, one undated."""
    lake = make_project(ctx, "lake", "湖畔花园", 1)
    hill = make_project(ctx, "hill", "山景苑", 2)
    referral = ref_item(ctx, "awareness", "referral")
    tv = ref_item(ctx, "awareness", "tv")
    first_home = ref_item(ctx, "need", "first_home")
    upgrade = ref_item(ctx, "need", "upgrade")
    small = ref_item(ctx, "area_band", "80_100")
    downtown = ref_item(ctx, "district", "downtown")
    cards = [
        # (first visit, awareness, budget, need, project, grade)
        (START, referral, Decimal("45"), first_home, lake, "B"),
        (date(2026, 11, 10), referral, Decimal("50"), first_home, lake, "B"),
        (date(2026, 11, 12), referral, Decimal("99.9"), upgrade, lake, "C"),
        (date(2026, 11, 20), tv, Decimal("100"), None, lake, "A"),
        (date(2026, 11, 21), None, Decimal("300"), None, hill, "B"),
        (END, None, None, None, None, None),
    ]
    made = [
        make_prospect(
            ctx,
            first_visit_on=on,
            awareness=aw,
            budget_wan=budget,
            need=need,
            project=project,
            grade=grade,
            area_band=small if i < 2 else None,
            district=downtown if i == 0 else None,
        )
        for i, (on, aw, budget, need, project, grade) in enumerate(cards)
    ]
    anonymise(ctx, "prospect", made[2].id)  # keeps its statistics
    make_prospect(ctx, first_visit_on=START, awareness=tv, project=lake, is_scout=True)
    make_prospect(ctx, first_visit_on=date(2026, 10, 31), awareness=tv, project=lake)
    make_prospect(ctx, first_visit_on=date(2026, 11, 26), awareness=tv, project=lake)
    make_prospect(ctx, first_visit_on=None, awareness=tv, project=lake)
    ctx.commit()
    return {"lake": lake, "hill": hill, "referral": referral, "tv": tv}


def rows(result: analysis.Analysis, key: str) -> list[tuple[str, int, str]]:
    (found,) = [b for b in result.breakdowns if b.key == key]
    return [(r.label, r.count, str(r.share)) for r in found.rows]


def test_counts_and_shares_per_dimension(ctx, office):
    result = analysis.analyse(ctx, START, END, user=GROUP)
    assert result.total == 6
    assert [b.key for b in result.breakdowns] == [
        "awareness",
        "budget",
        "need",
        "area",
        "district",
        "project",
        "grade",
    ]
    assert all(b.total == 6 for b in result.breakdowns)
    assert rows(result, "awareness") == [
        ("朋友介绍", 3, "50.0"),
        ("未填写", 2, "33.3"),
        ("电视", 1, "16.7"),
    ]
    assert rows(result, "need") == [
        ("未填写", 3, "50.0"),
        ("首次置业", 2, "33.3"),
        ("改善", 1, "16.7"),
    ]
    assert rows(result, "project") == [
        ("湖畔花园", 4, "66.7"),
        ("山景苑", 1, "16.7"),
        ("未填写", 1, "16.7"),
    ]
    assert rows(result, "area") == [("未填写", 4, "66.7"), ("80–100㎡", 2, "33.3")]
    assert rows(result, "district") == [("未填写", 5, "83.3"), ("市区", 1, "16.7")]


def test_budget_bands_put_a_bound_in_the_band_above(ctx, office):
    result = analysis.analyse(ctx, START, END, user=GROUP)
    # 45 → under 50; 50 and 99.9 → 50–100; 100 → 100–150; 300 → 300 and over; one empty
    assert rows(result, "budget") == [
        ("50–100万", 2, "33.3"),
        ("50万以下", 1, "16.7"),
        ("100–150万", 1, "16.7"),
        ("300万以上", 1, "16.7"),
        ("未填写", 1, "16.7"),
    ]


def test_grades_with_the_ungraded_card_as_not_filled_in(ctx, office):
    result = analysis.analyse(ctx, START, END, user=GROUP)
    assert rows(result, "grade") == [
        ("B", 3, "50.0"),
        ("A", 1, "16.7"),
        ("C", 1, "16.7"),
        ("未填写", 1, "16.7"),
    ]


def test_not_filled_in_is_its_own_row_and_comes_last_among_equals(ctx, office):
    result = analysis.analyse(ctx, START, END, user=GROUP)
    (grade,) = [b for b in result.breakdowns if b.key == "grade"]
    missing = [r for r in grade.rows if r.missing]
    assert len(missing) == 1 and missing[0].key is None
    assert grade.rows[-1].missing


def test_scouts_are_left_out_and_anonymised_cards_still_count(ctx, office):
    result = analysis.analyse(ctx, START, START, user=GROUP)
    # On the 1st: one card and one scout; the scout does not count.
    assert result.total == 1
    assert rows(result, "awareness") == [("朋友介绍", 1, "100.0")]
    # The anonymised card (first visit on the 12th, referral, C) is still counted.
    single = analysis.analyse(ctx, date(2026, 11, 12), date(2026, 11, 12), user=GROUP)
    assert rows(single, "grade") == [("C", 1, "100.0")]


def test_both_ends_of_the_period_are_included(ctx, office):
    assert analysis.analyse(ctx, END, END, user=GROUP).total == 1
    assert analysis.analyse(ctx, START, END, user=GROUP).total == 6
    # One more day on each side brings in the card before and the card after.
    assert analysis.analyse(ctx, date(2026, 10, 31), END, user=GROUP).total == 7
    assert analysis.analyse(ctx, date(2026, 10, 31), date(2026, 11, 26), user=GROUP).total == 8


def test_the_project_filter(ctx, office):
    result = analysis.analyse(ctx, START, END, office["lake"].id, user=GROUP)
    assert result.total == 4
    assert rows(result, "project") == [("湖畔花园", 4, "100.0")]
    assert rows(result, "awareness") == [("朋友介绍", 3, "75.0"), ("电视", 1, "25.0")]
    assert analysis.analyse(ctx, START, END, office["hill"].id, user=GROUP).total == 1


def test_an_empty_period_has_no_rows(ctx, office):
    result = analysis.analyse(ctx, date(2025, 1, 1), date(2025, 1, 31), user=GROUP)
    assert result.total == 0
    assert all(b.rows == [] and b.total == 0 for b in result.breakdowns)


def test_a_period_ending_before_it_starts_is_refused(ctx):
    with pytest.raises(analysis.InvalidPeriod) as refused:
        analysis.analyse(ctx, END, START, user=GROUP)
    assert refused.value.code == "order"


def test_a_period_longer_than_a_year_is_refused(ctx):
    # 366 days (2024 is a leap year) are allowed, 367 are not.
    analysis.check_period(date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(analysis.InvalidPeriod) as refused:
        analysis.analyse(ctx, date(2024, 1, 1), date(2025, 1, 1), user=GROUP)
    assert refused.value.code == "too_long"


def test_the_default_period_is_the_month_so_far():
    assert analysis.month_so_far(END) == (START, END)
    assert analysis.month_so_far(START) == (START, START)


def test_the_counting_is_done_by_the_database(ctx, office):
    """As many statements for six cards as for sixty: one counting statement (GROUPING SETS
    on PostgreSQL, a GROUP BY per dimension over a CTE on SQLite) that reads the cards once,
    one for the reference labels; never a query or a Python step per card."""

    def statements_for_analysis() -> list[str]:
        seen: list[str] = []

        def spy(conn, cursor, statement, *args):
            seen.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", spy)
        try:
            analysis.analyse(ctx, START, END, user=GROUP)
        finally:
            event.remove(engine, "before_cursor_execute", spy)
        return seen

    few = statements_for_analysis()
    for _ in range(54):
        make_prospect(ctx, first_visit_on=END, awareness=office["tv"], project=office["lake"])
    ctx.commit()
    many = statements_for_analysis()
    assert len(many) == len(few) == 2
    (counting,) = [s for s in many if "GROUP BY" in s]
    assert counting.count("FROM prospects") == 1  # the cards are read once
    per_dimension = "GROUPING SETS" in counting or counting.count("GROUP BY") == len(
        analysis.DIMENSIONS
    )
    assert per_dimension
    assert analysis.analyse(ctx, START, END, user=GROUP).total == 60
