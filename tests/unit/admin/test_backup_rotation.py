"""The rotation keeps the newest backup of the last 7 days, 4 weeks and 12 months that have one
(fixed dates; the function is pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from services.admin.backup_rotation import Policy, office_day, to_keep

TODAY = date(2026, 11, 25)  # a Wednesday


def nightly(day: date) -> str:
    """The 00:05 Beijing run of ``day``: 16:05 UTC the day before."""
    moment = datetime.combine(day - timedelta(days=1), datetime.min.time()) + timedelta(
        hours=16, minutes=5
    )
    return f"panel-{moment:%Y%m%d-%H%M%S}.bak"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


CASES = {
    "thirty nightly backups": (
        days(date(2026, 10, 27), TODAY),
        Policy(),
        # 7 days (two weeks' newest among them), the older weeks' Sundays, October's newest
        [
            *days(date(2026, 11, 19), TODAY),
            date(2026, 11, 15),
            date(2026, 11, 8),
            date(2026, 10, 31),
        ],
    ),
    "backups stopped months ago are not pruned away": (
        days(date(2026, 6, 1), date(2026, 6, 10)),
        Policy(),
        days(date(2026, 6, 4), date(2026, 6, 10)),
    ),
    "a year and a half of Sundays keeps 12 months": (
        [d for d in days(date(2025, 6, 1), TODAY) if d.weekday() == 6],
        Policy(daily=0, weekly=0, monthly=12),
        [
            date(2026, 11, 22),
            date(2026, 10, 25),
            date(2026, 9, 27),
            date(2026, 8, 30),
            date(2026, 7, 26),
            date(2026, 6, 28),
            date(2026, 5, 31),
            date(2026, 4, 26),
            date(2026, 3, 29),
            date(2026, 2, 22),
            date(2026, 1, 25),
            date(2025, 12, 28),
        ],
    ),
    "configured to one day": (
        days(date(2026, 11, 1), TODAY),
        Policy(daily=1, weekly=0, monthly=0),
        [TODAY],
    ),
    "nothing configured still keeps the newest": (
        days(date(2026, 11, 20), TODAY),
        Policy(daily=0, weekly=0, monthly=0),
        [TODAY],
    ),
    "two weeks": (
        days(date(2026, 11, 1), TODAY),
        Policy(daily=0, weekly=2, monthly=0),
        [TODAY, date(2026, 11, 22)],
    ),
}


@pytest.mark.parametrize(("backup_days", "policy", "kept_days"), CASES.values(), ids=CASES.keys())
def test_rotation(backup_days, policy, kept_days):
    names = [nightly(d) for d in backup_days]
    kept = to_keep(names, TODAY, policy)
    assert sorted(office_day(n) for n in kept) == sorted(kept_days)


def test_a_backup_counts_for_its_beijing_day():
    late_24th = "panel-20261124-150000.bak"  # 23:00 Beijing on the 24th
    early_24th = "panel-20261124-010000.bak"  # 09:00 Beijing on the 24th
    first_25th = "panel-20261124-160500.bak"  # 00:05 Beijing on the 25th
    kept = to_keep([late_24th, early_24th, first_25th], TODAY, Policy(2, 0, 0))
    assert kept == {late_24th, first_25th}


def test_foreign_and_future_files_are_kept():
    names = [nightly(d) for d in days(date(2026, 11, 1), TODAY)]
    other = ["notes.txt", "panel-latest.bak", "panel-20261399-000000.bak"]
    future = nightly(TODAY + timedelta(days=3))
    kept = to_keep([*names, *other, future], TODAY, Policy(1, 0, 0))
    assert kept == {*other, future, nightly(TODAY)}
