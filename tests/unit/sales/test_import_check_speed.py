"""The check pass's remembered outcomes (a checker's memory of each field's values and of the
days cells hold) give what a fresh check of the same cell gives: the same record, the same
messages, in the checker's language; no memory is shared between checkers."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extensions import db
from services.shared import importer
from tests.factories import ref_item

pytestmark = pytest.mark.instant()

#: A card's columns: each field the remembering touches, and a name, a mobile, a visit.
TARGETS = ["name", "mobile", "grade", "source", "budget_wan", "progress", "is_scout",
           "first_visit_on", "visit_2", "landline"]  # fmt: skip
MAPPING = {target: n for n, target in enumerate(TARGETS)}
#: Values offices type, blanks, and the ones a dict key mixes up (1, 1.0, True).
CELLS = ["A", " b ", "Ａ", "E", "", "  ", None, 1, 1.0, True, False, 0, "1", "是", "否", "x",
         "walk_in", "Walk_In", "来访", "nope", "150万", "1,500元", "abc", 150, 150.0, -1,
         "跟进", "已看房", "signed", "2026-03-01", "2026/3/1", "3/4/2026", "13/3/2026",
         "46082", 46082, 46082.0, date(2026, 3, 8), datetime(2026, 3, 8, 9, 30), "2026-02-30",
         "13900000001", 13900000001.0, "139 0000 0001", "+8613900000001", "12345"]  # fmt: skip


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        yield db.session
        db.session.rollback()


def _outcome(checker, row_number, values):
    result = checker.check(row_number, values)
    return result.record, list(result.errors)


def _rows(cells):
    """Rows of the cells, each cell in every column (one row per cell and column)."""
    width = len(TARGETS)
    for n, cell in enumerate(cells):
        for column in range(width):
            values = [None] * width
            values[column] = cell
            values[0] = values[0] if column == 0 else f"客户{n}"
            yield tuple(values)


def _same_as_fresh(session, rows):
    """Each row through one warm checker and through a checker of its own."""
    warm = importer.RowChecker(session, MAPPING, "prospect")
    for number, values in enumerate(rows, start=2):
        fresh = importer.RowChecker(session, MAPPING, "prospect")
        # the unique mobile is the one state a checker keeps on purpose: give each its own
        warm.seen.clear()
        warm.cards.clear()
        warm.wrong.clear()
        assert _outcome(warm, number, values) == _outcome(fresh, number, values), values


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
def test_a_warm_checker_checks_every_cell_as_a_fresh_one(s, app, locale):
    rows = list(_rows(CELLS))
    with app.test_request_context(), force_locale(locale):
        _same_as_fresh(s, rows + rows[::-1])


cell = st.one_of(
    st.sampled_from(CELLS),
    st.text(alphabet="AaBb12 是否万元,.-/年月日跟进来访", max_size=8),
    st.integers(-5, 50000),
    st.floats(allow_nan=False, min_value=-10, max_value=99999999),
    st.booleans(),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 1, 1)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(cell, min_size=1, max_size=12))
def test_any_cells_check_alike_warm_or_fresh(s, app, cells):
    with app.test_request_context():
        _same_as_fresh(s, list(_rows(cells)) * 2)


def test_minus_zero_is_remembered_apart_from_zero(s, app):
    """-0.0 equals 0.0 (and hashes alike), but a message shows the cell as typed: a warm
    checker's memory keeps the two apart (found by Hypothesis in CI)."""
    cells = [0.0, -0.0, 0, False, -0.0, 0.0]
    with app.test_request_context():
        _same_as_fresh(s, list(_rows(cells)) * 2)


def test_memory_is_per_checker_and_language(s, app):
    row = ("客户", "13900000001", "E", "nope", "abc", "x", "maybe", "3/4/2026", None, None)
    with app.test_request_context():
        with force_locale("en"):
            english = importer.RowChecker(s, MAPPING, "prospect")
            in_english = _outcome(english, 2, row)[1]
        with force_locale("zh_Hans_CN"):
            chinese = importer.RowChecker(s, MAPPING, "prospect")
            in_chinese = _outcome(chinese, 2, row)[1]
            # the English checker's memory does not answer the Chinese one
            assert _outcome(importer.RowChecker(s, MAPPING, "prospect"), 2, row)[1] == in_chinese
    assert len(in_english) == len(in_chinese) == 6
    assert in_english != in_chinese
    assert english._days is not chinese._days
    grade = [
        [memo for target, _i, _m, memo, _b in c._plan if target == "grade"]
        for c in (english, chinese)
    ]
    assert grade[0][0] is not grade[1][0]
    assert grade[0][0] == {"E": (in_english[0], {})}


def test_memory_stays_bounded(s, app, monkeypatch):
    monkeypatch.setattr(importer, "MEMO_MAX", 3)
    checker = importer.RowChecker(s, MAPPING, "prospect")
    with app.test_request_context():
        for n in range(20):
            row = (f"客户{n}", None, f"G{n}", None, None, None, None, f"2026-01-{n + 1:02d}")
            _outcome(checker, n + 2, row)
    assert len(checker._days) == 3
    assert all(memo is None or len(memo) <= 3 for *_rest, memo, _blank in checker._plan)


def test_a_subclass_remembers_only_the_checks_its_defining_class_calls_pure(s, app):
    from services.property.import_property import LeaseChecker, UnitChecker
    from tests.factories import make_user

    user = make_user(s, "supervisor", full_name="郑主管")
    lease = LeaseChecker(s, {}, user=user)
    assert [lease._memoised(c) for c in ("payer", "desk", "date", "text20", "reference")] == [
        True
    ] * 5
    unit = UnitChecker(s, {}, user=user)
    assert not unit._memoised("person") and not unit._memoised("relation")

    class OwnGrade(importer.RowChecker):
        def _check_grade(self, target, raw, record):
            return super()._check_grade(target, raw, record)

    class Declares(OwnGrade):
        OWN_PURE_CHECKS = ("grade",)  # not its own: the class defining it did not say so

    for checker in (OwnGrade, Declares):
        assert not checker(s, MAPPING, "prospect")._memoised("grade")
        assert checker(s, MAPPING, "prospect")._memoised("reference")


LEASE_CELLS = ["业主", "租户", "物业", "", None, 1, True, "2026-03-01", "2026/3/1", "13/3/2026",
               46082, date(2026, 3, 8), datetime(2026, 3, 8, 9, 30), "2026-02-30", "郑主管",
               "zheng", "无名", "1栋", "x" * 21, 101, 101.0]  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
def test_a_warm_lease_checker_checks_every_cell_as_a_fresh_one(s, app, locale):
    from services.property.import_property import LeaseChecker
    from tests.factories import make_user

    user = make_user(s, "supervisor", full_name="郑主管")
    targets = ["building", "room", "starts_on", "ends_on", "management_payer", "water_payer",
               "original_seen_by"]  # fmt: skip
    mapping = {target: n for n, target in enumerate(targets)}
    with app.test_request_context(), force_locale(locale):
        warm = LeaseChecker(s, mapping, user=user)
        for _round in range(2):
            for cell in LEASE_CELLS:
                for column in range(len(targets)):
                    values = [None] * len(targets)
                    values[column] = cell
                    fresh = LeaseChecker(s, mapping, user=user)
                    warm_errors, fresh_errors = [], []
                    assert warm.fields(tuple(values), warm_errors) == fresh.fields(
                        tuple(values), fresh_errors
                    ), values
                    assert warm_errors == fresh_errors, values
