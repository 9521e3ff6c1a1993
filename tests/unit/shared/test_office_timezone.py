"""The office's time zone is a setting (OFFICE_TIMEZONE): today, times shown and office-day
bounds follow it; an unknown zone refuses to start; Babel's zone is the same setting."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask

from app import create_app
from core.clock import (
    DEFAULT_OFFICE_TIMEZONE,
    office_midnight_utc,
    office_time,
    office_today,
    office_tz,
    office_window,
    timezone_problem,
    utc_from_office,
)
from services.admin.startup_checks import settings_problem
from tests.keys import TEST_KEYS

# 17:00 UTC: already Sunday 01:00 in Shanghai (UTC+8), still Saturday 23:00 in Urumqi (UTC+6).
EVENING_UTC = "2026-12-05T17:00:00+00:00"
pytestmark = pytest.mark.instant(EVENING_UTC)


def _office(zone: str | None) -> Flask:
    office = Flask("office")
    if zone is not None:
        office.config["OFFICE_TIMEZONE"] = zone
    return office


def test_the_default_zone_is_shanghai_in_and_out_of_an_app():
    assert DEFAULT_OFFICE_TIMEZONE == "Asia/Shanghai"
    assert office_tz().key == "Asia/Shanghai"
    with _office(None).app_context():
        assert office_tz().key == "Asia/Shanghai"
        assert office_today() == date(2026, 12, 6)


def test_today_and_times_follow_the_setting():
    stored = datetime(2026, 12, 5, 17, 0)  # naive UTC, as the database keeps it
    with _office("Asia/Shanghai").app_context():
        assert office_today() == date(2026, 12, 6)
        assert office_time(stored) == "2026-12-06 01:00"
    with _office("Asia/Urumqi").app_context():
        assert office_tz().key == "Asia/Urumqi"
        assert office_today() == date(2026, 12, 5)
        assert office_time(stored) == "2026-12-05 23:00"
        assert office_window(stored, datetime(2026, 12, 5, 19, 0)) == (
            "2026-12-05 23:00 – 2026-12-06 01:00"
        )


def test_office_day_bounds_follow_the_setting():
    with _office("Asia/Urumqi").app_context():
        assert office_midnight_utc(date(2026, 12, 6)) == datetime(2026, 12, 5, 18, 0)
        assert utc_from_office(datetime(2026, 12, 6, 9, 30)) == datetime(2026, 12, 6, 3, 30)
    with _office("Asia/Shanghai").app_context():
        assert office_midnight_utc(date(2026, 12, 6)) == datetime(2026, 12, 5, 16, 0)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", None, "../etc/passwd"])
def test_an_unknown_zone_is_one_clear_line(zone):
    problem = timezone_problem(zone)
    assert problem and "OFFICE_TIMEZONE" in problem and "\n" not in problem
    assert settings_problem({"OFFICE_TIMEZONE": zone}) == problem


def test_known_zones_pass():
    assert timezone_problem("Asia/Shanghai") is None
    assert settings_problem({"OFFICE_TIMEZONE": "Asia/Urumqi"}) is None


def test_an_unknown_zone_refuses_to_start():
    with pytest.raises(SystemExit) as refused:
        create_app({"TESTING": True, "OFFICE_TIMEZONE": "Mars/Olympus_Mons", **TEST_KEYS})
    assert str(refused.value).startswith("Cannot start the panel: OFFICE_TIMEZONE")


def test_the_environment_sets_the_zone(monkeypatch):
    monkeypatch.setenv("PANEL_OFFICE_TIMEZONE", "Nowhere/Town")
    with pytest.raises(SystemExit, match="'Nowhere/Town' is not a known time zone"):
        create_app()


def test_babel_follows_the_office_zone(tmp_path):
    started = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "AUDIT_HMAC_KEY": "test-audit-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'zone.db'}",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "OFFICE_TIMEZONE": "Asia/Urumqi",
            **TEST_KEYS,
        }
    )
    assert started.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    with started.app_context():
        assert office_today() == date(2026, 12, 5)
