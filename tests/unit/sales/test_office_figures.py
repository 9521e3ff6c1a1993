"""Sales figures per office (issue 18): the weekly B/C count, the spot-check sample, the
day's cards, the customer analysis, the consultants named and the import's duplicates each
read the account's offices only; a group role (admin) reads the whole group. The snapshot
and the sample are taken per office by its supervisor."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.offices import Office
from models.admin.reference import ReferenceItem, ReferenceList
from services.home import home_stats
from services.privacy import audit
from services.sales import (
    consultants,
    customer_analysis,
    sales_records,
    spot_checks,
    weekly_count,
)
from services.shared import importer
from tests.factories import make_prospect, make_user, make_visit
from tests.importing import HEADERS, good_row, write_xlsx

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

SATURDAY = date(2026, 11, 21)
WEDNESDAY = date(2026, 11, 25)
ACTOR = audit.Actor(1, "sup", "supervisor")


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def offices(s):
    """Office A (the default office) and office B with its own project; a clerk and a
    supervisor in each, and an admin."""
    projects = s.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    west = ReferenceItem(code="west", label="西园", sort_order=990)
    projects.items.append(west)
    s.flush()
    b = Office(name="城西办", kind="combined", projects=[west])
    s.add(b)
    s.flush()
    people = {
        "clerk_a": make_user(s, "clerk"),
        "sup_a": make_user(s, "supervisor"),
        "clerk_b": make_user(s, "clerk", offices=[b]),
        "sup_b": make_user(s, "supervisor", offices=[b]),
        "admin": make_user(s, "admin"),
    }
    return {"b": b, "west": west, **people}


def _card_b(s, o, **kw):
    kw.setdefault("consultant", o["clerk_b"])
    return make_prospect(s, office_id=o["b"].id, project=o["west"], **kw)


def test_consultants_named_are_those_of_the_accounts_offices(s, offices):
    o = offices
    assert consultants.consultants(s, seen_by=o["sup_a"]) == [o["clerk_a"]]
    assert consultants.consultants(s, seen_by=o["sup_b"]) == [o["clerk_b"]]
    assert set(consultants.consultants(s, seen_by=o["admin"])) == {o["clerk_a"], o["clerk_b"]}


def test_the_weekly_snapshot_is_taken_and_read_per_office(s, offices):
    o = offices
    on = SATURDAY - timedelta(days=5)
    make_prospect(s, consultant=o["clerk_a"], grade="C", first_visit_on=on)
    _card_b(s, o, grade="B", first_visit_on=on)
    _card_b(s, o, grade="B", first_visit_on=on)
    _card_b(s, o, consultant=None, grade="C", first_visit_on=on)  # office B's public pool
    s.commit()
    live = weekly_count.count_as_of(s, SATURDAY, o["sup_a"])
    assert (live.b, live.c, live.per_consultant) == (0, 1, {o["clerk_a"].id: (0, 1)})

    taken = weekly_count.take_snapshot(s, o["sup_a"], SATURDAY)  # office A only
    s.commit()
    assert taken.office.id != o["b"].id
    assert [(r.consultant_id, r.b_count, r.c_count) for r in taken.rows] == [
        (None, 0, 1),
        (o["clerk_a"].id, 0, 1),
    ]
    assert weekly_count.trend(s, o["sup_b"]) == []  # B has not counted yet
    with pytest.raises(weekly_count.NoSuchOffice):  # not B's to take for A
        weekly_count.take_snapshot(s, o["sup_b"], SATURDAY, taken.office.id)
    weekly_count.take_snapshot(s, o["sup_b"], SATURDAY)
    s.commit()

    assert weekly_count.trend(s, o["sup_a"]) == [weekly_count.TrendPoint(SATURDAY, 0, 1)]
    # The pool card counts in office B's total only.
    assert weekly_count.trend(s, o["sup_b"]) == [weekly_count.TrendPoint(SATURDAY, 2, 1)]
    assert weekly_count.trend(s, o["admin"]) == [weekly_count.TrendPoint(SATURDAY, 2, 2)]
    (mine,) = weekly_count.snapshot_rows(s, SATURDAY, o["sup_a"])
    assert mine.office.id == taken.office.id and mine.rows == taken.rows
    (theirs,) = weekly_count.snapshot_rows(s, SATURDAY, o["sup_b"])
    assert [(r.consultant_id, r.b_count, r.c_count) for r in theirs.rows] == [
        (None, 2, 1),
        (o["clerk_b"].id, 2, 0),
    ]
    # A group role reads every office, one by one (by name: 城西办 before 本部).
    group = weekly_count.snapshot_rows(s, SATURDAY, o["admin"])
    assert [(w.office.id, w.total.b_count, w.total.c_count) for w in group] == [
        (o["b"].id, 2, 1),
        (taken.office.id, 0, 1),
    ]


def test_a_supervisor_of_several_offices_chooses_the_office(s, offices):
    o = offices
    both = make_user(s, "supervisor", offices=[o["b"], o["sup_a"].offices[0]])
    _card_b(s, o, grade="B", first_visit_on=SATURDAY)
    with pytest.raises(weekly_count.NoSuchOffice):
        weekly_count.take_snapshot(s, both, SATURDAY)
    result = weekly_count.take_snapshot(s, both, SATURDAY, o["b"].id)
    assert (result.office, result.rows[0].b_count) == (o["b"], 1)
    with pytest.raises(spot_checks.NoSuchOffice):
        spot_checks.draw(s, both, ACTOR, SATURDAY, size=1)
    check = spot_checks.draw(s, both, ACTOR, SATURDAY, o["b"].id, size=1)
    assert check.office_id == o["b"].id


def test_a_group_of_one_office_counts_its_pool_in_the_total(s):
    clerk, boss = make_user(s, "clerk"), make_user(s, "supervisor")
    make_prospect(s, consultant=clerk, grade="B", first_visit_on=SATURDAY)
    make_prospect(s, consultant=None, grade="C", first_visit_on=SATURDAY)  # the public pool
    weekly_count.take_snapshot(s, boss, SATURDAY)
    s.commit()
    assert weekly_count.trend(s, boss) == [weekly_count.TrendPoint(SATURDAY, 1, 1)]
    (week,) = weekly_count.snapshot_rows(s, SATURDAY, boss)
    assert week.total.c_count == 1


def test_each_office_draws_its_own_sample_of_its_own_cards(s, offices):
    o = offices
    mine = [make_prospect(s, first_visit_on=WEDNESDAY).id for _ in range(3)]
    theirs = [_card_b(s, o, first_visit_on=WEDNESDAY).id for _ in range(2)]
    check_a = spot_checks.draw(s, o["sup_a"], ACTOR, WEDNESDAY, size=1, rng=random.Random(3))
    s.commit()
    assert (check_a.sample_size, check_a.population) == (1, 3)
    assert check_a.items[0].prospect_id in mine
    with pytest.raises(spot_checks.AlreadyDrawn):
        spot_checks.draw(s, o["sup_a"], ACTOR, WEDNESDAY, size=1)
    # Office A's draw leaves office B's week open.
    assert spot_checks.for_week(s, check_a.week_start, o["sup_b"]) == {}
    check_b = spot_checks.draw(s, o["sup_b"], ACTOR, WEDNESDAY, percent=100)
    s.commit()
    assert (check_b.sample_size, check_b.population) == (2, 2)
    assert sorted(i.prospect_id for i in check_b.items) == sorted(theirs)
    assert spot_checks.for_week(s, check_a.week_start, o["sup_b"]) == {o["b"].id: check_b}

    (history,) = spot_checks.history(s, o["sup_b"])
    assert (history.id, history.sample_size, history.population) == (check_b.id, 2, 2)
    assert {w.id for w in spot_checks.history(s, o["admin"])} == {check_a.id, check_b.id}

    with pytest.raises(spot_checks.NoSuchItem):
        spot_checks.record_result(s, o["sup_a"], ACTOR, check_b.items[0].id, "match", None)
    spot_checks.record_result(s, o["sup_b"], ACTOR, check_b.items[0].id, "match", None)


def test_another_offices_sample_is_not_found(s, offices):
    o = offices
    _card_b(s, o, first_visit_on=WEDNESDAY)
    with pytest.raises(spot_checks.NothingToDraw):  # nothing of office A this week
        spot_checks.draw(s, o["sup_a"], ACTOR, WEDNESDAY, size=5)
    with pytest.raises(spot_checks.NoSuchOffice):  # B is not A's office
        spot_checks.draw(s, o["sup_a"], ACTOR, WEDNESDAY, o["b"].id, size=5)
    check = spot_checks.draw(s, o["sup_b"], ACTOR, WEDNESDAY, size=5)
    s.commit()
    assert spot_checks.sample(s, check.id, o["sup_a"]) is None
    assert spot_checks.history(s, o["sup_a"]) == []
    assert spot_checks.sample(s, check.id, o["admin"]).sample_size == 1


def test_the_days_cards_count_the_offices_receptions(s, offices):
    o = offices
    make_visit(s, make_prospect(s, consultant=o["clerk_a"]), consultant=o["clerk_a"])
    make_visit(s, _card_b(s, o), consultant=o["clerk_b"])
    s.commit()
    today = office_today()
    rows = home_stats.day_cards_by_consultant(s, today, o["sup_a"])
    assert [(r.consultant_id, r.entered) for r in rows] == [(o["clerk_a"].id, 1)]
    assert sales_records.day_cards(s, o["clerk_b"].id, today, o["sup_a"]).entered == 0
    assert sales_records.day_cards(s, o["clerk_b"].id, today, o["sup_b"]).entered == 1


def test_the_customer_analysis_counts_the_offices_cards_and_projects(s, offices):
    o = offices
    make_prospect(s, first_visit_on=WEDNESDAY)
    _card_b(s, o, first_visit_on=WEDNESDAY)
    _card_b(s, o, first_visit_on=WEDNESDAY)
    start = WEDNESDAY.replace(day=1)
    assert customer_analysis.analyse(s, start, WEDNESDAY, user=o["sup_a"]).total == 1
    assert customer_analysis.analyse(s, start, WEDNESDAY, user=o["sup_b"]).total == 2
    assert customer_analysis.analyse(s, start, WEDNESDAY, user=o["admin"]).total == 3
    west = o["west"].id
    assert west not in dict(customer_analysis.project_choices(s, o["sup_a"]))
    assert list(dict(customer_analysis.project_choices(s, o["sup_b"]))) == [west]
    assert west in dict(customer_analysis.project_choices(s, o["admin"]))


def test_an_import_is_checked_against_the_importers_offices(s, offices, tmp_path):
    o = offices
    make_prospect(s, mobile="13900000001")  # office A
    _card_b(s, o, mobile="13900000002")  # office B: neither a duplicate nor shown to exist
    rows = [good_row(1), good_row(2)]
    path = write_xlsx(tmp_path / "a.xlsx", rows)
    mapping = importer.guess_mapping(HEADERS)
    report = importer.check_file(s, path, mapping, user=o["clerk_a"])
    assert [r.row_number for r in report.rejected] == [2]
    assert report.valid == 1
    assert importer.check_file(s, path, mapping).valid == 0  # the whole group's: both exist


def test_no_report_or_identity_check_on_another_offices_people(s, offices):
    o = offices
    card_b = _card_b(s, o)
    with pytest.raises(LookupError):
        sales_records.record_day_report(s, o["sup_a"], o["clerk_b"].id, WEDNESDAY, 3)
    with pytest.raises(LookupError):
        sales_records.record_identity_check(s, o["clerk_a"], card_b.id, "on_site")
    report = sales_records.record_day_report(s, o["sup_b"], o["clerk_b"].id, WEDNESDAY, 3)
    check = sales_records.record_identity_check(s, o["clerk_b"], card_b.id, "on_site")
    assert (report.reported_count, check.office_id) == (3, o["b"].id)
