"""A customer asks to be deleted: the clerk registers it, asks to anonymise, the supervisor
approves in their own browser, and the card shows the customer anonymised."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from extensions import db
from models.sales.prospects import Prospect
from tests.e2e.helpers import create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect

pytestmark = pytest.mark.e2e


def _pick_customer(page: Page, name: str, prospect_id: int) -> None:
    """The customer is found by name (views/shared/customer_picker.py), never typed as a number."""
    page.locator("#s2id_customer .select2-choice").click()
    dropdown = page.locator("#select2-drop")
    dropdown.locator("input.select2-input").fill(name)
    dropdown.locator(".select2-result-label", has_text=name).first.click()
    expect(page.locator("#customer")).to_have_value(f"prospect:{prospect_id}")


def test_a_deletion_request_ends_with_the_customer_anonymised(
    app, page: Page, browser: Browser, live_server: str
):
    create_account(app, "clerk", "dsr_clerk", "钟文员")
    create_account(app, "supervisor", "dsr_sup", "严主管")
    with app.app_context():
        prospect_id = make_prospect(db.session, name="慕容雪", mobile="13612345678").id
        db.session.commit()

    sign_in(page, "dsr_clerk")
    page.goto("/admin/subject_request/new/")
    page.locator("#kind").select_option("delete")
    _pick_customer(page, "慕容雪", prospect_id)
    page.locator("#note").fill("客户来电要求删除个人信息")
    page.locator("form.admin-form input[type=submit]").first.click()
    expect(page.locator("table.model-list")).to_contain_text("慕容雪")
    page.locator("a[href*='/admin/subject_request/details/']").first.click()
    page.locator("#ask-anonymise").click()
    expect(page.locator(".alert")).to_contain_text("已提交审批")
    request_url = page.url

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "dsr_sup")
        supervisor.goto(request_url)
        supervisor.locator("#approve-anonymise").click()
        expect(supervisor.locator(".alert")).to_contain_text("已匿名化")
        supervisor.goto(f"/admin/prospect/details/?id={prospect_id}")
        expect(supervisor.locator("body")).to_contain_text("已匿名")
        expect(supervisor.locator("body")).not_to_contain_text("慕容雪")

    with app.app_context():
        prospect = db.session.get(Prospect, prospect_id)
        assert prospect.name == "已匿名" and prospect.mobile is None
    expect(page).to_have_url(re.compile(r"/admin/subject_request/details/"))
