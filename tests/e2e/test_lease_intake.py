"""A clerk registers a lease over two sittings in the browser; it is active only after the
second, when both parties came and every intake item is recorded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.property.property import Lease, Tenant, Unit
from tests.e2e.helpers import add_project, create_account, pick_date, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.day_sensitive]

FEES_PAID = "入住费用已缴纳"


def _seed_unit_and_tenant(app) -> None:
    with app.app_context():
        project = add_project(db.session, "锦绣花园")
        db.session.add_all(
            [
                Unit(project=project, building="3栋", room="2-1502"),
                Tenant(name="马租户", mobile="13712345678"),
            ]
        )
        db.session.commit()


def _choose_ajax(page: Page, field_id: str, typed: str, label: str) -> None:
    """Pick a record in an ajax select (a hidden input under select2) by typing part of it."""
    page.locator(f"#s2id_{field_id} .select2-choice").click()
    dropdown = page.locator("#select2-drop")
    dropdown.locator("input.select2-input").fill(typed)
    dropdown.locator(".select2-result-label", has_text=label).first.click()
    expect(page.locator(f"#s2id_{field_id} .select2-chosen")).to_contain_text(label)
    expect(page.locator(f"input#{field_id}")).not_to_have_value("")


def _details_row(page: Page, label: str):
    return page.get_by_role("row", name=re.compile(rf"^{re.escape(label)}(\s|$)"))


def _status(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Lease.status)).one()


def test_a_lease_becomes_active_only_when_its_intake_is_complete(app, page: Page, screenshots):
    clerk_id = create_account(app, "clerk", "li.wenjing", "李文静")
    _seed_unit_and_tenant(app)
    sign_in(page, "li.wenjing")

    # First sitting: the tenant comes alone; the clerk enters what is known.
    page.goto("/admin/lease/new/")
    _choose_ajax(page, "unit", "2-1502", "2-1502")
    _choose_ajax(page, "tenant", "马租户", "马租户")
    pick_date(page, "starts_on", office_today())
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert _status(app) == "registering"

    page.locator("table.model-list tbody tr", has_text="马租户").locator(
        "a[href*='/details/']"
    ).click()
    expect(_details_row(page, "状态")).to_contain_text("办理中")
    missing = page.locator("#intake-missing")
    expect(missing).to_contain_text("双方到场日期")
    expect(missing).to_contain_text("合同原件查验人")
    expect(missing).to_contain_text(FEES_PAID)
    expect(page.get_by_role("link", name="结束此租约")).to_have_count(0)
    page.screenshot(path=screenshots / "lease-registering.png", full_page=True)

    # Second sitting: both parties came; the clerk saw the original and ticks the rest.
    page.goto(page.url.replace("/details/", "/edit/"))
    pick_date(page, "both_parties_came_on", office_today())
    for box in ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid"):
        page.locator(f"#{box}").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert _status(app) == "active"

    page.locator("table.model-list tbody tr", has_text="马租户").locator(
        "a[href*='/details/']"
    ).click()
    expect(_details_row(page, "状态")).to_contain_text("生效中")
    expect(page.locator("#intake-missing")).to_contain_text("登记事项已齐全")
    expect(_details_row(page, "原件查验人")).to_contain_text("李文静")
    page.screenshot(path=screenshots / "lease-active.png", full_page=True)
    with app.app_context():
        assert db.session.scalars(select(Lease.original_seen_by_id)).one() == clerk_id
