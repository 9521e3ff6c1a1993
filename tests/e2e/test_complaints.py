"""A complaint from register to close in the browser: the clerk finds the customer by name
and registers it for themselves, answers it; the supervisor sees it on the home page and
closes it with what was improved. With UPDATE_SCREENSHOTS=1 the README's pictures of the
register are refreshed into docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from extensions import db
from models.care.complaints import Complaint
from tests.e2e.helpers import choose_select2, create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect

pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def test_a_complaint_is_registered_answered_and_closed(
    app, page: Page, browser: Browser, live_server: str, screenshots
):
    clerk_id = create_account(app, "clerk", "cp_clerk", "钟文员")
    create_account(app, "supervisor", "cp_sup", "严主管")
    with app.app_context():
        prospect_id = make_prospect(db.session, name="欧阳青", mobile="13612340000").id
        db.session.commit()

    sign_in(page, "cp_clerk")
    page.goto("/admin/complaint/new/")
    # The customer is found by name, never by typing a record number.
    page.locator("#s2id_customer .select2-choice").click()
    dropdown = page.locator("#select2-drop")
    dropdown.locator("input.select2-input").fill("欧阳青")
    dropdown.locator(".select2-result-label", has_text="欧阳青").first.click()
    expect(page.locator("#customer")).to_have_value(f"prospect:{prospect_id}")
    page.locator("#channel").select_option("in_person")
    page.locator("#category").select_option("sales")
    page.locator("#summary").fill("看房时置业顾问迟到四十分钟，电话也不接。")
    choose_select2(page, "handler", "钟文员", exact=False)
    page.locator("form.admin-form input[type=submit]").first.click()
    expect(page.locator("table.model-list")).to_contain_text("欧阳青")
    page.screenshot(path=screenshots / "complaints-list.png", full_page=True)

    page.locator("a[href*='/admin/complaint/details/']").first.click()
    page.locator("#answer").fill("已当面致歉，改由主管亲自陪同看房。")
    page.locator("#answer-complaint").click()
    expect(page.locator(".alert")).to_contain_text("答复已登记")
    expect(page.locator("#close-form")).to_have_count(0)  # closing is the supervisor's
    details_url = page.url

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "cp_sup")
        expect(supervisor.locator("#stat-complaints-open .home-stat-value")).to_have_text("0")
        supervisor.goto(details_url)
        supervisor.locator("#improvement").fill("顾问带看前一天电话确认，迟到十分钟由主管接待。")
        supervisor.locator("#close-complaint").click()
        expect(supervisor.locator(".alert")).to_contain_text("投诉已结案")
        expect(supervisor.locator("#complaint-closed")).to_be_visible()
        supervisor.screenshot(path=screenshots / "complaint-details.png", full_page=True)

    with app.app_context():
        complaint = db.session.scalars(db.select(Complaint)).one()
        assert complaint.status == "closed" and complaint.answered_by_id == clerk_id
