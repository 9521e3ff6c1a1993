"""In the browser: a request registered from the customer's own page, a correction carried out
through the supervisor's approval that answers the request, and the customer's copy printed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from extensions import db
from models.privacy.privacy import SubjectRequest
from models.shared.approvals import ChangeRequest
from tests.e2e.helpers import create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect, make_visit

pytestmark = pytest.mark.e2e


def _card(app, name: str, mobile: str) -> int:
    with app.app_context():
        prospect = make_prospect(db.session, name=name, mobile=mobile)
        make_visit(db.session, prospect, summary="带父母来看三房", concerns="学区")
        db.session.commit()
        return prospect.id


def _register_from_the_card(page: Page, prospect_id: int, kind: str, note: str) -> None:
    page.goto(f"/admin/prospect/details/?id={prospect_id}")
    page.locator("#related-links a[href*='/admin/subject_request/new/']").click()
    expect(page.locator("#customer")).to_have_value(f"prospect:{prospect_id}")
    page.locator("#kind").select_option(kind)
    page.locator("#note").fill(note)
    page.locator("form.admin-form input[type=submit]").first.click()
    page.locator("a[href*='/admin/subject_request/details/']").first.click()


def test_a_correction_request_is_answered_when_the_supervisor_approves(
    app, page: Page, browser: Browser, live_server: str
):
    create_account(app, "clerk", "cor_clerk", "钟文员")
    create_account(app, "supervisor", "cor_sup", "严主管")
    prospect_id = _card(app, "司马兰", "13611112222")

    sign_in(page, "cor_clerk")
    _register_from_the_card(page, prospect_id, "correct", "客户来电：手机号换了")
    request_url = page.url
    page.locator("#correct-record").click()
    expect(page.locator("#correcting-request")).to_be_visible()
    page.locator("#mobile").fill("13633334444")
    page.locator("#approval_reason").fill("客户本人来电更正")
    page.locator("form.admin-form input[type=submit]").first.click()
    expect(page.locator(".alert").first).to_be_visible()
    with app.app_context():
        change_id = db.session.scalars(select(ChangeRequest.id)).one()

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "cor_sup")
        supervisor.goto(f"/admin/approvals/{change_id}/")
        supervisor.locator("#approve").click()
        expect(supervisor.locator(".alert").first).to_contain_text("已批准")

    page.goto(request_url)
    expect(page.locator("#correction-attempts")).to_contain_text(f"#{change_id}")
    expect(page.locator("body")).to_contain_text("已答复")
    expect(page.locator("#correct-record")).to_have_count(0)
    with app.app_context():
        item = db.session.scalars(select(SubjectRequest)).one()
        assert item.status == "answered" and f"#{change_id}" in item.answer_note


def test_the_customers_copy_is_printed_on_a4(app, page: Page, live_server: str, screenshots):
    create_account(app, "clerk", "copy_clerk", "钟文员")
    prospect_id = _card(app, "欧阳兰", "13655556666")

    sign_in(page, "copy_clerk")
    _register_from_the_card(page, prospect_id, "copy", "客户到前台要一份自己的资料")
    with page.expect_popup() as opened:
        page.locator("#print-copy").click()
    sheet = opened.value
    expect(sheet.locator("#customer-copy h1")).to_contain_text("个人信息副本")
    expect(sheet.locator("#customer-copy")).to_contain_text("13655556666")
    expect(sheet.locator("#customer-copy")).to_contain_text("带父母来看三房")
    sheet.screenshot(path=screenshots / "customer-copy-print.png", full_page=True)
