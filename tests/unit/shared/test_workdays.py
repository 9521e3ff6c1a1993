"""Working-day arithmetic against known dates of the Chinese calendar."""

from __future__ import annotations

from datetime import date

import pytest

from services.shared.workdays import WorkdayCalendar

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

cal = WorkdayCalendar()


def test_friday_before_national_day():
    # 2026-09-30 is a Wednesday; 10-01..10-07 are the National Day holidays.
    assert cal.add_workdays(date(2026, 9, 30), 2).day == date(2026, 10, 9)
    assert cal.add_workdays(date(2026, 9, 25), 2).day == date(2026, 9, 29)  # Friday → Tuesday


def test_swapped_saturday_counts_as_a_working_day():
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, swapped working day
    assert cal.add_workdays(date(2026, 10, 9), 1).day == date(2026, 10, 10)


def test_spring_festival():
    # 2026 Spring Festival holidays: 02-15..02-23; 02-14 (Sat) and 02-28 (Sat) are worked.
    assert not cal.is_workday(date(2026, 2, 17))
    assert cal.is_workday(date(2026, 2, 14))
    assert cal.add_workdays(date(2026, 2, 13), 2).day == date(2026, 2, 24)


def test_days_the_library_does_not_know_are_marked_uncertain():
    due = cal.add_workdays(date(2026, 12, 30), 3)
    assert due.uncertain
    assert due.day == date(2027, 1, 4)  # weekday guess: Thu 31, Fri 1, Mon 4


def test_admin_overrides_win():
    with_override = WorkdayCalendar({date(2027, 1, 1): False, date(2026, 10, 10): False})
    assert not with_override.is_workday(date(2026, 10, 10))
    answer = with_override.answer(date(2027, 1, 1))
    assert not answer.is_workday and not answer.uncertain


def test_workdays_between():
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
