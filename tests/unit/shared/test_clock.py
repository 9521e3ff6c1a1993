"""The office's today: Asia/Shanghai, movable by FAKE_TODAY only in a testing app."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from core.clock import office_today

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def test_today_is_shanghai_time_and_fake_today_moves_it_in_tests(app):
    with app.app_context():
        assert office_today() == datetime.now(ZoneInfo("Asia/Shanghai")).date()
    app.config["FAKE_TODAY"] = "2026-02-16"
    try:
        with app.app_context():
            assert office_today() == date(2026, 2, 16)
    finally:
        app.config.pop("FAKE_TODAY")


def test_a_production_app_ignores_fake_today():
    production = Flask("production")
    production.config["FAKE_TODAY"] = "2001-01-01"
    with production.app_context():
        assert office_today() != date(2001, 1, 1)
