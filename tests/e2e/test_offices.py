"""Browser journey (issue 18): the admin opens a second sales office, is told a project cannot
have two, puts a new consultant in the new office, and the consultant sees that office's
cards only. Its screenshot is the README's picture of the offices screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.offices import Office, default_office_id
from models.admin.people import User
from models.admin.reference import ReferenceItem
from services.admin.staff import record_starting_clearance
from tests.e2e.helpers import add_project, choose_select2, create_account, sign_in
from tests.factories import make_prospect

NEW_PASSWORD = "a-fresh-long-passphrase"


def choose_many(page: Page, field_id: str, label: str) -> None:
    """Add ``label`` to the select2 (v3) multi-select that replaces <select id=field_id>."""
    page.locator(f"#s2id_{field_id} input.select2-input").click()
    dropdown = page.locator("#select2-drop")
    expect(dropdown).to_be_visible()
    page.locator(f"#s2id_{field_id} input.select2-input").fill(label)
    dropdown.locator(".select2-result-label", has_text=re.compile(f"^{label}$")).first.click()
    expect(page.locator(f"select#{field_id} option:checked", has_text=label)).to_have_count(1)


def _new_office(page: Page, name: str, kind: str, project: str) -> None:
    page.goto("/admin/office/new/")
    page.locator("#name").fill(name)
    choose_select2(page, "kind", kind)
    choose_many(page, "projects", project)
    page.locator("form input[type=submit]").first.click()


def test_admin_opens_an_office_and_its_consultant_sees_its_cards_only(app, page: Page, screenshots):
    with app.app_context():
        east, west = add_project(db.session, "东园"), add_project(db.session, "西园")
        first = db.session.get(Office, default_office_id(db.session))
        first.projects = [east]  # the group's first office sells 东园
        db.session.commit()
        west_id, east_id = west.id, east.id
    create_account(app, "admin", "admin_offices", "刘建华")
    sign_in(page, "admin_offices")

    _new_office(page, "西园售楼部", "售楼部", "西园")
    expect(page).to_have_url(re.compile(r"/admin/office/"))
    expect(page.locator("table.model-list")).to_contain_text("西园售楼部")

    # A second sales office for 西园 is refused; the form keeps what was typed.
    _new_office(page, "西园二部", "售楼部", "西园")
    expect(page.locator(".invalid-feedback, .help-block").first).to_contain_text(
        "西园 已由 西园售楼部 销售"
    )
    expect(page.locator("#name")).to_have_value("西园二部")
    page.screenshot(path=screenshots / "office-conflict.png", full_page=True)

    # A consultant of the new office, made on the account form.
    page.goto("/admin/user/new/")
    page.locator("#username").fill("xiaoxi")
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#full_name").fill("张晓西")
    choose_select2(page, "role", "物业文员 / 置业顾问")
    choose_many(page, "offices", "西园售楼部")
    page.locator("form input[type=submit]").first.click()
    expect(page.locator("table.model-list")).to_contain_text("张晓西")

    with app.app_context():
        clerk_id = db.session.scalar(select(User.id).where(User.username == "xiaoxi"))
        west, east = db.session.get(ReferenceItem, west_id), db.session.get(ReferenceItem, east_id)
        make_prospect(db.session, name="西园买家", project=west, consultant_id=clerk_id)
        make_prospect(db.session, name="东园买家", project=east)
        # signed and trained, so the gate lets the new account in (tests/e2e/test_staff_clearance.py)
        record_starting_clearance(db.session, db.session.get(User, clerk_id), office_today())
        db.session.commit()

    page.context.clear_cookies()
    sign_in(page, "xiaoxi", NEW_PASSWORD)
    page.goto("/admin/prospect/")
    expect(page.locator("table.model-list")).to_contain_text("西园买家")
    expect(page.locator("table.model-list")).not_to_contain_text("东园买家")
