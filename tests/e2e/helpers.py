"""Steps the browser tests share: accounts, sign-in, Flask-Admin's select2 widgets."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from tests.factories import PASSWORD, make_user


def create_account(app, role: str, username: str, full_name: str) -> int:
    """A personal account committed where the live server sees it; returns its id."""
    with app.app_context():
        user = make_user(db.session, role, username=username, full_name=full_name)
        db.session.commit()
        return user.id


def add_project(session, label: str) -> ReferenceItem:
    """An item of the (initially empty) project list, as the admin would add it."""
    ref_list = session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    item = ReferenceItem(code=f"p{len(ref_list.items) + 1}", label=label, sort_order=10)
    ref_list.items.append(item)
    session.flush()
    return item


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Type the credentials into /login like a person and land on the admin home."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    # The address changes when the home page's answer arrives, before its scripts (jQuery,
    # Bootstrap's dropdowns, select2) have run: a menu clicked at once stayed shut, and a
    # slow machine's journey then waited for 温馨卡（意向客户） in a closed 销售 menu (issue 21).
    page.wait_for_load_state("load")


def choose_select2(page: Page, field_id: str, label: str, exact: bool = True) -> None:
    """Pick ``label`` in the select2 (v3) widget that replaces the <select id=field_id>.

    Opens the widget, types into its search box and clicks the result that is ``label``
    (or contains it, with ``exact=False``), as a person would; then checks the hidden
    <select> holds the choice the form will post.
    """
    page.locator(f"#s2id_{field_id} .select2-choice").click()
    dropdown = page.locator("#select2-drop")
    expect(dropdown).to_be_visible()
    dropdown.locator("input.select2-input").fill(label)
    wanted = re.compile(f"^{re.escape(label)}$") if exact else label
    dropdown.locator(".select2-result-label", has_text=wanted).first.click()
    expect(dropdown).to_be_hidden()
    expect(page.locator(f"#s2id_{field_id} .select2-chosen")).to_contain_text(wanted)
    expect(page.locator(f"select#{field_id} option:checked")).to_contain_text(wanted)


def pick_date(page: Page, field_id: str, day: date) -> None:
    """Choose ``day`` in the calendar of a Flask-Admin date field, as a person would.

    The calendar (daterangepicker 1.3) opens when the field is clicked; a click on a day
    writes it into the field and closes the calendar. (Typing key by key is no option:
    that version reparses and rewrites the field on every key-up and garbles the date.)
    """
    page.locator(f"#{field_id}").click()
    picker = page.locator(".daterangepicker").filter(visible=True)
    expect(picker).to_have_count(1)
    # A single-date picker shows one month table (of the two it builds).
    month = picker.locator(".calendar").filter(visible=True)
    month.locator("select.yearselect").select_option(str(day.year))
    month.locator("select.monthselect").select_option(str(day.month - 1))
    month.locator("td.available:not(.off)", has_text=re.compile(rf"^{day.day}$")).click()
    expect(picker).to_have_count(0)
    expect(page.locator(f"#{field_id}")).to_have_value(day.isoformat())
