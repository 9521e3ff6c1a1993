"""Journeys across accounts in the browser: a correction approved by the superior, a paper
file looked up and returned, a transfer completed at the desk, a follow-up falling due."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.people import User
from models.archive.archives import ArchiveFile
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from services.sales.weekly_count import week_ending
from tests.e2e.conftest import ACTION_TIMEOUT_MS
from tests.e2e.helpers import choose_select2, create_account, pick_date, sign_in
from tests.factories import make_prospect, make_visit
from tests.unit.property.test_transfers_service import add_cards, make_unit_with_owner

pytestmark = pytest.mark.e2e


@contextmanager
def second_person(browser: Browser, live_server: str) -> Iterator[Page]:
    """Another person's browser: own cookies, same office settings."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def office_date(app, day: date) -> Iterator[None]:
    """Move the office's today for the live server (honoured only by a testing app)."""
    app.config["FAKE_TODAY"] = day.isoformat()
    try:
        yield
    finally:
        app.config.pop("FAKE_TODAY", None)


def _flash(page: Page):
    return page.locator(".alert")


# --- issue 3: a correction goes to the superior ------------------------------------------
def test_clerk_corrects_a_phone_and_the_supervisor_approves(app, page, browser, live_server):
    clerk_id = create_account(app, "clerk", "wang.clerk", "王文员")
    create_account(app, "supervisor", "zhao.sup", "赵主管")
    with app.app_context():
        db.session.get(User, clerk_id).superior_id = db.session.scalar(
            select(User.id).where(User.username == "zhao.sup")
        )
        prospect_id = make_prospect(
            db.session, name="周杰", mobile="13800000001", consultant_id=clerk_id
        ).id
        db.session.commit()

    sign_in(page, "wang.clerk")
    page.goto(f"/admin/prospect/edit/?id={prospect_id}")
    page.locator("#mobile").fill("13900000009")
    page.locator("#approval_reason").fill("客户更换了手机号")
    page.locator("form.admin-form input[type=submit]").first.click()
    expect(_flash(page).first).to_be_visible()
    # nothing changed yet: the record shows a pending change, the old number stays
    page.goto(f"/admin/prospect/details/?id={prospect_id}")
    expect(page.locator("#pending-changes")).to_be_visible()
    page.goto(f"/admin/prospect/edit/?id={prospect_id}")
    expect(page.locator("#mobile")).to_have_value("13800000001")

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "zhao.sup")
        expect(supervisor.locator("#approvals-badge .badge")).to_have_text("1")
        supervisor.goto("/admin/approvals/")
        supervisor.locator("td a", has_text=re.compile(r"^#\d+$")).first.click()
        # the diff shows the new number (masked or not, its last digits are there)
        expect(supervisor.locator("#diff")).to_contain_text("0009")
        supervisor.locator("#approve").click()
        expect(supervisor.locator("#approvals-badge .badge")).to_have_text("0")

    page.goto(f"/admin/prospect/edit/?id={prospect_id}")
    expect(page.locator("#mobile")).to_have_value("13900000009")
    page.goto(f"/admin/prospect/details/?id={prospect_id}")
    expect(page.locator("#change-history")).to_contain_text("赵主管")


def test_nobody_approves_their_own_request(app, page):
    supervisor_id = create_account(app, "supervisor", "qian.sup", "钱主管")
    with app.app_context():
        prospect_id = make_prospect(db.session, name="吴磊", grade="A").id
        db.session.commit()
    sign_in(page, "qian.sup")
    # even a supervisor's downgrade of a grade is a request...
    page.goto(f"/admin/prospect/edit/?id={prospect_id}")
    choose_select2(page, "grade", "B", exact=False)
    page.locator("#approval_reason").fill("客户意向降低")
    page.locator("form.admin-form input[type=submit]").first.click()
    with app.app_context():
        request = db.session.scalar(select(ChangeRequest))
        assert request is not None and request.requested_by_id == supervisor_id
        request_id = request.id
    # ...which the same supervisor cannot approve
    page.goto(f"/admin/approvals/{request_id}/")
    page.locator("#approve").click()
    expect(page.locator("body")).to_contain_text(re.compile("403|无权|not allowed|Forbidden"))
    with app.app_context():
        assert db.session.get(ChangeRequest, request_id).status == "pending"


# --- issue 4: a paper file looked up, handed out, overdue, taken back -----------------------
def test_a_copy_is_approved_handed_out_overdue_and_taken_back(app, page, browser, live_server):
    clerk_id = create_account(app, "clerk", "sun.clerk", "孙文员")
    supervisor_id = create_account(app, "supervisor", "zhou.sup", "周主管")
    create_account(app, "custodian", "li.keeper", "李档案")
    with app.app_context():
        db.session.get(User, clerk_id).superior_id = supervisor_id
        db.session.add(ArchiveFile(code="DA-0777", title="周杰 购房档案", room="一号档案室"))
        db.session.commit()

    sign_in(page, "sun.clerk")
    page.goto("/admin/archive-lookup/?code=DA-0777")
    page.locator("#mode").select_option("copy")
    page.locator("#days").fill("3")
    page.locator("#reason").fill("复印产权证明")
    page.locator("#lookup-form button[type=submit]").click()
    expect(page.locator("#my-lookups")).to_contain_text("DA-0777")

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "zhou.sup")
        supervisor.goto("/admin/archive-copies/")
        supervisor.locator("tr", has_text="DA-0777").locator("button.btn-success").click()
        expect(supervisor.locator("tr", has_text="DA-0777")).to_have_count(0)

    with second_person(browser, live_server) as keeper:
        sign_in(keeper, "li.keeper")
        keeper.goto("/admin/archive-desk/")
        keeper.locator("#to-decide tr", has_text="DA-0777").locator("button.btn-success").click()
        keeper.locator("#to-hand-out tr", has_text="DA-0777").locator("button").click()
        expect(keeper.locator("#overdue-badge .badge")).to_have_text("0")
        # two weeks later the copy is late: the custodian sees it at once
        with office_date(app, office_today() + timedelta(days=14)):
            keeper.goto("/admin/archive-desk/")
            expect(keeper.locator("#overdue-badge .badge")).to_have_text("1")
            row = keeper.locator("#overdue tr", has_text="DA-0777")
            row.locator("input[name=condition]").fill("完好")
            row.locator("button").click()
            expect(keeper.locator("#overdue-badge .badge")).to_have_text("0")

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "zhou.sup")
        supervisor.goto("/admin/archive-register/")
        row = supervisor.locator("#register tr", has_text="DA-0777")
        expect(row).to_contain_text("孙文员")
        expect(row).to_contain_text("周主管")
        expect(row).to_contain_text("李档案")


# --- issue 5: a transfer over two sittings, completed, on the timeline --------------------
def test_clerk_completes_a_transfer_over_two_sittings(app, page):
    create_account(app, "clerk", "zhou.clerk", "周文员")
    with app.app_context():
        unit, seller = make_unit_with_owner(db.session)
        add_cards(db.session, unit, parking_owner=seller)
        db.session.commit()
        unit_id, seller_name = unit.id, seller.name

    sign_in(page, "zhou.clerk")
    page.goto(f"/admin/unit/details/?id={unit_id}")
    page.locator("#related-links a[href*='/transfer-desk/open/']").click()
    expect(page.locator("#seller")).to_have_text(seller_name)
    page.locator("#buyer_name").fill("李四")
    page.locator("#open-transfer button[type=submit]").click()
    expect(page.locator("#checklist")).to_be_visible()
    transfer_url = page.url

    def tick(count: int) -> None:
        for _ in range(count):
            page.locator("#checklist form.form-inline button").first.click()
            page.wait_for_load_state()

    tick(5)  # first sitting
    page.goto("/admin/transfer-desk/")
    page.goto(transfer_url)  # second sitting
    remaining = page.locator("#checklist form.form-inline button").count()
    assert remaining > 0
    expect(page.locator("#complete")).to_be_disabled()
    tick(remaining)
    expect(page.locator("#complete")).to_be_enabled()
    page.locator("#complete").click()
    expect(page.locator("#transfer-status")).not_to_have_text("open")
    page.goto(f"/admin/unit-timeline/{unit_id}/")
    expect(page.locator("body")).to_contain_text("李四")
    expect(page.locator("body")).to_contain_text(seller_name)


# --- issue 6: a first follow-up falls due, then overdue ---------------------------------
def test_a_first_follow_up_falls_due_is_recorded_and_the_supervisor_sees_the_week(
    app, page, browser, live_server
):
    clerk_id = create_account(app, "clerk", "he.clerk", "何顾问")
    create_account(app, "supervisor", "lin.sup", "林主管")
    first_visit = office_today()
    with app.app_context():
        prospect = make_prospect(
            db.session,
            name="冯媛",
            grade="B",
            consultant_id=clerk_id,
            first_visit_on=first_visit,
            last_contact_on=first_visit,
        )
        make_visit(db.session, prospect, visited_on=first_visit)
        db.session.commit()
        prospect_id = prospect.id
    sign_in(page, "he.clerk")
    page.goto("/admin/sales/followups/")
    expect(page.locator("#followups-due")).not_to_contain_text("冯媛")
    expect(page.locator("#followups-overdue")).not_to_contain_text("冯媛")
    follow_up_day = first_visit + timedelta(days=3)
    with office_date(app, follow_up_day):
        page.goto("/admin/sales/followups/")
        expect(page.locator("#followups-due")).to_contain_text("冯媛")
        # the consultant calls and records the follow-up on the card
        page.locator("#followups-due a", has_text="冯媛").click()
        page.goto(f"/admin/prospect/edit/?id={prospect_id}")
        page.locator("#visits-button").click()
        pick_date(page, "visits-1-visited_on", follow_up_day)
        page.locator("#visits-1-summary").fill("电话回访，约周末看房。")
        page.locator("form.admin-form input[type=submit]").first.click()
        expect(page.locator(".alert-success").first).to_be_visible()
        page.goto("/admin/sales/followups/")
        expect(page.locator("#followups-due")).not_to_contain_text("冯媛")
    with office_date(app, first_visit + timedelta(days=6)):
        page.goto("/admin/sales/followups/")
        expect(page.locator("#followups-overdue")).not_to_contain_text("冯媛")
    with app.app_context():
        visits = db.session.get(Prospect, prospect_id).visits
        assert [(v.seq, v.visited_on) for v in visits] == [(1, first_visit), (2, follow_up_day)]

    # The Saturday count of 冯媛's first week, taken on that Saturday (the form's default):
    # a count taken before it would be of the Saturday before her first visit, without her.
    with (
        office_date(app, week_ending(first_visit)),
        second_person(browser, live_server) as supervisor,
    ):
        sign_in(supervisor, "lin.sup")
        supervisor.goto("/admin/sales/weekly/")
        supervisor.locator("#snapshot-form button[type=submit]").click()
        expect(supervisor.locator("#weekly-trend svg")).to_be_visible()
        # The week's row (the only snapshot): one B customer (冯媛), no C.
        week_row = supervisor.locator("#weekly-numbers tbody tr")
        expect(week_row).to_have_count(1)
        expect(week_row.locator("td").nth(1)).to_have_text("1")
        expect(week_row.locator("td").nth(2)).to_have_text("0")
