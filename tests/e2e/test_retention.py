"""The retention review in the browser: a supervisor asks to anonymise the past owners, a
second person approves in their own browser; the admin changes a period. With
UPDATE_SCREENSHOTS=1 the README's pictures of the two pages are refreshed."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from extensions import db
from models.property.property import Owner, Ownership, Unit
from tests.e2e.helpers import create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect, ref_item

pytestmark = [pytest.mark.e2e, pytest.mark.instant()]

OLD = date(2021, 6, 30)


def test_past_owners_are_anonymised_after_a_second_person_approves(
    app, page: Page, browser: Browser, live_server: str, screenshots
):
    create_account(app, "supervisor", "rt_sup", "韩主管")
    create_account(app, "admin", "rt_admin", "冯管理员")
    with app.app_context():
        unit = Unit(project=ref_item(db.session, "project", "p1"), building="2栋", room="302")
        owner = Owner(name="卖房人", mobile="13955556666")
        db.session.add(Ownership(unit=unit, owner=owner, started_on=date(2012, 1, 1), ended_on=OLD))
        make_prospect(db.session, first_visit_on=OLD, last_contact_on=OLD)
        db.session.commit()
        owner_id = owner.id

    sign_in(page, "rt_sup")
    page.goto("/admin/retention/")
    expect(page.locator("#retention-count-owner")).to_have_text("1")
    expect(page.locator("#retention-count-prospect")).to_have_text("1")
    page.locator("#ask-owner").click()
    expect(page.locator(".alert")).to_contain_text("须由另一位主管或管理员批准")
    expect(page.locator("#retention-pending")).to_contain_text("原业主")
    page.screenshot(path=screenshots / "retention-review.png", full_page=True)

    with second_person(browser, live_server) as admin:
        sign_in(admin, "rt_admin")
        admin.goto("/admin/retention/")
        admin.locator("#retention-pending button[value=approve]").click()
        expect(admin.locator(".alert")).to_contain_text("已完成：1 条记录")
        expect(admin.locator("#retention-count-owner")).to_have_text("0")
        expect(admin.locator("#retention-batches")).to_contain_text("韩主管")

        admin.locator("#edit-periods").click()
        admin.locator("#dealer").fill("1095")
        admin.locator("#reason").fill("区域经理要求潜在经销商保留三年")
        admin.screenshot(path=screenshots / "retention-periods.png", full_page=True)
        admin.locator("#save-periods").click()
        expect(admin.locator(".alert")).to_contain_text("保存期限已保存")
        expect(admin.locator("#retention-period-changes")).to_contain_text("730 → 1095 天")

    with app.app_context():
        assert db.session.get(Owner, owner_id).name == "已匿名"
