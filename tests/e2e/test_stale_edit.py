"""Two supervisors edit the same welcome card in two browsers: the second sees what changed
and re-applies in one click, and nobody's change is lost."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from extensions import db
from models.sales.prospects import Prospect
from tests.e2e.helpers import create_account, sign_in
from tests.factories import make_prospect

pytestmark = pytest.mark.e2e


def _notes(app, prospect_id: int) -> tuple[str | None, str | None]:
    with app.app_context():
        prospect = db.session.get(Prospect, prospect_id)
        return prospect.notes, prospect.grade


def _second_browser(browser: Browser, live_server: str):
    context = browser.new_context(
        base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    return context


def test_two_supervisors_edit_one_card_and_the_second_reapplies(
    app, page, browser, live_server, screenshots
):
    create_account(app, "supervisor", "sup.chen", "陈主管")
    create_account(app, "supervisor", "sup.wang", "王主管")
    with app.app_context():
        prospect_id = make_prospect(db.session, name="刘晓梅", notes="初次来访").id
        db.session.commit()
    url = f"/admin/prospect/edit/?id={prospect_id}"

    sign_in(page, "sup.chen")
    page.goto(url)
    other_context = _second_browser(browser, live_server)
    try:
        other = other_context.new_page()
        sign_in(other, "sup.wang")
        other.goto(url)

        # 陈 saves a note first.
        page.locator("#notes").fill("初次来访；客户周六再来")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert _notes(app, prospect_id)[0] == "初次来访；客户周六再来"

        # 王, on the page opened before that save, changes the note too and saves.
        other.locator("#notes").fill("初次来访；预算 120 万")
        other.get_by_role("button", name="保存", exact=True).click()
        conflict = other.locator("#edit-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("陈主管")
        row = conflict.locator('tr[data-field="notes"]')
        expect(row).to_contain_text("初次来访；客户周六再来")  # now
        expect(row).to_contain_text("初次来访；预算 120 万")  # what 王 typed
        expect(other.locator("#notes")).to_have_value("初次来访；预算 120 万")
        other.screenshot(path=screenshots / "stale-edit.png", full_page=True)
        # Nothing of 王's was written.
        assert _notes(app, prospect_id)[0] == "初次来访；客户周六再来"

        # 王 merges the two notes by hand and saves again: one click, accepted.
        other.locator("#notes").fill("初次来访；客户周六再来；预算 120 万")
        other.get_by_role("button", name="保存", exact=True).click()
        expect(other.locator(".alert-success")).to_be_visible()
        assert _notes(app, prospect_id)[0] == "初次来访；客户周六再来；预算 120 万"
    finally:
        other_context.close()
