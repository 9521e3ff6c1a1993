"""Browser journey (issue 19): an account with no agreement or training signs in and is
stopped on a page saying what is missing and whom to ask, with no customer data; the admin
records its agreement and a training session; the account then works. Its screenshot is the
README's picture of the gate."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from extensions import db
from tests.e2e.helpers import create_account, sign_in
from tests.factories import PASSWORD, make_prospect, make_user


def test_an_untrained_account_is_stopped_trained_and_then_works(
    app, page: Page, screenshots, today
):
    create_account(app, "admin", "admin_staff", "刘建华")
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="xiaoli", full_name="李小丽", cleared=False)
        clerk_id = clerk.id
        make_prospect(db.session, name="王保密")
        db.session.commit()

    # The untrained consultant signs in and is stopped.
    page.goto("/login")
    page.locator("#username").fill("xiaoli")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/clearance/$"))
    missing = page.locator("#clearance-missing")
    expect(missing.locator("li")).to_have_count(2)
    expect(page.locator("#clearance-ask")).to_contain_text("刘建华")
    page.screenshot(path=screenshots / "staff-clearance.png", full_page=True)
    page.goto("/admin/prospect/")
    expect(page).to_have_url(re.compile(r"/admin/clearance/$"))
    expect(page.locator("body")).not_to_contain_text("王保密")

    # The admin sees them blocked, records the agreement and one training session.
    page.context.clear_cookies()
    sign_in(page, "admin_staff")
    expect(page.locator("#staff-blocked")).to_contain_text("李小丽")
    page.goto(f"/admin/staff/account/{clerk_id}/")
    page.locator("#signed_on").fill(today.isoformat())
    page.locator("#witness").select_option(label="刘建华 (admin_staff)")
    page.locator("#agreement-form button[type=submit]").click()
    expect(page.locator("#agreements")).to_contain_text(today.isoformat())
    page.goto("/admin/staff/session/")
    page.locator("#course").select_option(index=1)
    page.locator("#taken_on").fill(today.isoformat())
    page.locator("#trainer").fill("外部讲师")
    page.locator("#accounts").select_option(label="李小丽 (xiaoli)")
    page.locator("#session-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/staff/$"))
    expect(page.locator(f"#staff-{clerk_id}")).to_have_attribute("data-status", "cleared")
    page.screenshot(path=screenshots / "staff-training.png", full_page=True)

    # The consultant now works.
    page.context.clear_cookies()
    sign_in(page, "xiaoli")
    page.goto("/admin/prospect/")
    expect(page.locator("table.model-list")).to_contain_text("王保密")
