"""Dates as offices type them: every common form reads, ambiguous ones are refused."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.shared.dates_typed import (
    AmbiguousDate,
    BadDate,
    parse_typed_date,
    typed_date_or_none,
)

MARCH_1 = date(2026, 3, 1)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01",
        "2026-3-1",
        "2026/3/1",
        "2026/03/01",
        "2026.3.1",
        "2026年3月1日",
        "2026 年 3 月 1 日",
        "2026年3月1号",
        "26年3月1日",
        "20260301",
        20260301,
        "26-3-1",
        "２０２６／３／１",
        "2026-03-01 10:30",
        "2026/3/1 10:30:00",
        "2026-03-01T08:00:00",
        datetime(2026, 3, 1, 9, 30),
        MARCH_1,
        46082,  # the Excel serial of 2026-03-01 (a date typed in a number cell)
        46082.75,  # with a time of day
        "46082",
    ],
)
def test_every_common_form_reads_as_the_same_day(value):
    assert parse_typed_date(value) == MARCH_1


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("13/3/2026", date(2026, 3, 13)),  # only day-first is a date
        ("3/13/2026", date(2026, 3, 13)),  # only month-first is a date
        ("3/3/2026", date(2026, 3, 3)),  # both readings are the same day
        ("98年12月31日", date(1998, 12, 31)),
    ],
)
def test_a_form_with_one_reading_is_taken(value, day):
    assert parse_typed_date(value) == day


@pytest.mark.parametrize(
    ("value", "readings"),
    [
        ("3/4/2026", ("2026-03-04", "2026-04-03")),
        ("03-04-26", ("2003-04-26", "2026-03-04", "2026-04-03")),
        ("03.04.2026", ("2026-03-04", "2026-04-03")),
    ],
)
def test_an_ambiguous_date_is_refused_with_its_readings(value, readings):
    with pytest.raises(AmbiguousDate) as refused:
        parse_typed_date(value)
    assert refused.value.readings == readings
    assert typed_date_or_none(value) is None


@pytest.mark.parametrize(
    "value",
    ["2026-02-30", "3月1日", "next week", "", "2026-3.1", 12, 1.5e10, True, "99999999", None],
)
def test_what_is_no_date_is_refused(value):
    with pytest.raises(BadDate):
        parse_typed_date(value)
    assert typed_date_or_none(value) is None
