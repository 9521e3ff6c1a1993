"""A clerk who types a date key by key keeps the date typed (static/panel.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import create_account, sign_in

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def test_typing_a_date_key_by_key_keeps_it(app, page: Page):
    create_account(app, "clerk", "typing.clerk", "打字员")
    sign_in(page, "typing.clerk")
    page.goto("/admin/prospect/new/")
    page.locator("#visits-button").click()
    field = page.locator("#visits-0-visited_on")
    field.click()
    field.press_sequentially("2026-11-20", delay=30)
    page.locator("#name").click()  # leave the field: the calendar closes
    expect(field).to_have_value("2026-11-20")
