"""Each role's home page in headless Chromium shows its numbers (and its charts for the
supervisor); a print view opens without the navbar. With UPDATE_SCREENSHOTS=1 the pictures
of the README are refreshed into docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from extensions import db
from models.base import utcnow
from models.dealers.dealers import Dealer
from models.sales.daily import AccessAlert
from models.sales.sales import DayReport, WeeklySnapshot
from services.sales.followups import office_today
from tests.e2e.helpers import create_account, sign_in
from tests.factories import make_prospect, make_user, make_visit, ref_item

pytestmark = pytest.mark.e2e


def _count(page: Page, key: str):
    return page.locator(f"#stat-{key} .home-stat-value")


def test_clerk_home(app, page: Page, screenshots):
    clerk_id = create_account(app, "clerk", "home.clerk", "李文静")
    today = office_today()
    with app.app_context():
        s = db.session
        for days in (3, 4, 8):
            p = make_prospect(
                s,
                first_visit_on=today - timedelta(days=days),
                consultant_id=clerk_id,
                created_by_id=clerk_id,
            )
            make_visit(s, p, visited_on=p.first_visit_on, created_by_id=clerk_id)
        s.commit()
    sign_in(page, "home.clerk")
    expect(_count(page, "followups-due")).to_have_text("2")
    expect(_count(page, "followups-overdue")).to_have_text("1")
    expect(_count(page, "entered-cards")).to_have_text("3")
    page.screenshot(path=screenshots / "home-clerk.png", full_page=True)
    page.locator("#stat-followups-due").click()
    expect(page).to_have_url(f"{page.url.split('/admin')[0]}/admin/sales/followups/")


def test_supervisor_home_with_charts(app, page: Page, screenshots):
    create_account(app, "supervisor", "home.sup", "陈主管")
    today = office_today()
    with app.app_context():
        s = db.session
        for name, entered, reported in (("王芳", 4, 4), ("刘洋", 2, 3), ("赵磊", 3, None)):
            consultant = make_user(s, "clerk", full_name=name)
            for _ in range(entered):
                p = make_prospect(s, consultant_id=consultant.id)
                make_visit(s, p, consultant_id=consultant.id, visited_on=today)
            if reported is not None:
                s.add(DayReport(consultant_id=consultant.id, day=today, reported_count=reported))
        saturday = today - timedelta(days=(today.weekday() - 5) % 7)
        for week, (b, c) in enumerate(((12, 30), (14, 28), (15, 31), (18, 29), (17, 33))):
            s.add(
                WeeklySnapshot(
                    week_ending=saturday - timedelta(days=7 * (4 - week)),
                    consultant_id=None,
                    b_count=b,
                    c_count=c,
                )
            )
        region = ref_item(s, "region")
        s.add(
            Dealer(
                name="华南建材",
                region_id=region.id,
                status="signed",
                contract_signed_on=today - timedelta(days=20),
            )
        )
        s.commit()
    sign_in(page, "home.sup")
    expect(_count(page, "dealers-late")).to_have_text("1")
    expect(page.locator("#day-cards-chart rect.bar-entered")).to_have_count(3)
    expect(page.locator("#weekly-chart")).to_be_visible()
    expect(page.locator("#day-cards-table")).to_contain_text("刘洋")
    page.screenshot(path=screenshots / "home-supervisor.png", full_page=True)


def test_custodian_region_manager_and_admin_homes(app, page: Page, screenshots):
    create_account(app, "custodian", "home.keeper", "周档案")
    with app.app_context():
        s = db.session
        region = ref_item(s, "region")
        region_id = region.id
        manager = make_user(
            s, "region_manager", username="home.region", full_name="孙经理", region_id=region_id
        )
        assert manager.region_id == region_id
        s.add(
            Dealer(
                name="城东经销",
                region_id=region_id,
                status="signed",
                contract_signed_on=office_today(),
            )
        )
        now = utcnow()
        s.add(
            AccessAlert(
                rule_code="off_hours",
                user_id=99,
                username="night.owl",
                window_start=now,
                window_end=now + timedelta(days=1),
                value=2,
            )
        )
        make_user(s, "admin", username="home.admin", full_name="系统管理员")
        s.commit()
    sign_in(page, "home.keeper")
    expect(_count(page, "to-decide")).to_have_text("0")
    page.screenshot(path=screenshots / "home-custodian.png", full_page=True)

    page.context.clear_cookies()
    sign_in(page, "home.region")
    expect(_count(page, "dealers-due")).to_have_text("1")
    expect(page.locator("#dealer-deadlines")).to_contain_text("城东经销")
    page.screenshot(path=screenshots / "home-region-manager.png", full_page=True)

    page.context.clear_cookies()
    sign_in(page, "home.admin")
    expect(_count(page, "open-alerts")).to_have_text("1")
    expect(page.locator("#home-alerts")).to_contain_text("night.owl")
    page.screenshot(path=screenshots / "home-admin.png", full_page=True)
    page.locator("#home-alerts input[name=note]").fill("夜间值班，已核实")
    page.locator("#home-alerts button[type=submit]").click()
    expect(_count(page, "open-alerts")).to_have_text("0")


def test_print_view_opens_without_navbar(app, page: Page, screenshots):
    create_account(app, "clerk", "print.clerk", "李文静")
    with app.app_context():
        p = make_prospect(db.session, name="王伟", mobile="13812345678")
        make_visit(db.session, p, summary="首次来访，看了三居室。")
        db.session.commit()
        pid = p.id
    sign_in(page, "print.clerk")
    page.goto(f"/admin/prospect/details/?id={pid}")
    with page.context.expect_page() as opened:
        page.locator("#print-card").click()
    card = opened.value
    card.wait_for_load_state()
    expect(card.locator("#card-front")).to_contain_text("138****5678")
    expect(card.locator("nav, .navbar")).to_have_count(0)
    expect(card.locator("#print-button")).to_be_visible()
    card.emulate_media(media="print")
    expect(card.locator(".print-toolbar")).to_be_hidden()
    card.emulate_media(media="screen")
    card.screenshot(path=screenshots / "print-card.png", full_page=True)
