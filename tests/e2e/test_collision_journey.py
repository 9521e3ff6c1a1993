"""Issue 18 in the browser: a consultant registers a customer another consultant owns
(撞单): no second card is made, the supervisor rules "reassign" on the collisions page, and
the card moves: the second consultant can now open it, the first no longer can."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.sales.ownership import Collision, OwnershipEvent
from models.sales.prospects import Prospect
from tests.e2e.helpers import choose_select2, create_account, pick_date, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect, make_visit

pytestmark = [pytest.mark.e2e, pytest.mark.instant("2026-11-25T02:00:00+00:00")]

MOBILE = "13955556666"


def test_a_collision_is_ruled_and_the_card_moves(app, page, browser, live_server, screenshots):
    owner_id = create_account(app, "clerk", "zhang.gw", "张顾问")
    claimant_id = create_account(app, "clerk", "li.gw", "李顾问")
    create_account(app, "supervisor", "wang.zg", "王主管")
    with app.app_context():
        day = office_today() - timedelta(days=3)
        card = make_prospect(
            db.session,
            name="周客户",
            mobile=MOBILE,
            consultant_id=owner_id,
            first_visit_on=day,
            last_contact_on=day,
        )
        make_visit(db.session, card, visited_on=day, consultant_id=owner_id, summary="首访看样板间")
        db.session.commit()
        card_id = card.id

    # 李顾问 receives the customer and registers them: the mobile is 张顾问's customer's.
    sign_in(page, "li.gw")
    page.goto("/admin/prospect/new/")
    page.locator("#name").fill("周先生")
    page.locator("#mobile").fill(MOBILE)
    choose_select2(page, "source", "来访")
    page.locator("#visits-button").click()
    pick_date(page, "visits-0-visited_on", office_today())
    page.locator("#visits-0-summary").fill("带太太再来，问首付")
    page.locator("#consent_given").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/prospect/(\?.*)?$"))
    told = page.locator(".alert-warning")
    expect(told).to_contain_text("张顾问")
    expect(told).to_contain_text("主管")
    assert page.goto(f"/admin/prospect/details/?id={card_id}").status == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Prospect)) == 1

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "wang.zg")
        badge = supervisor.locator("#collisions-badge")
        expect(badge.locator(".badge")).to_have_text("1")
        badge.click()
        expect(supervisor).to_have_url(re.compile(r"/admin/sales/collisions/"))
        with app.app_context():
            collision_id = db.session.scalars(select(Collision.id)).one()
        shown = supervisor.locator(f"#collision-{collision_id}")
        expect(shown.locator(".collision-owner")).to_have_text("张顾问")
        expect(shown.locator(".collision-claimant")).to_have_text("李顾问")
        expect(shown.locator(".collision-visits")).to_contain_text("张顾问")
        expect(shown.locator(".collision-registration")).to_contain_text("带太太再来，问首付")
        expect(shown.locator(".collision-registration")).to_contain_text("139****6666")
        expect(shown).not_to_contain_text(MOBILE)
        shown.locator("input[type=radio][value=reassign]").check()
        shown.locator("textarea").fill("客户表示由李顾问继续跟进")
        supervisor.screenshot(path=screenshots / "collisions.png", full_page=True)
        shown.get_by_role("button").click()
        expect(supervisor.locator(".alert-success")).to_contain_text("李顾问")
        expect(supervisor.locator("#no-collisions")).to_be_visible()
        expect(supervisor.locator("#collisions-badge .badge")).to_have_text("0")

    # The card is 李顾问's now, with both receptions; 张顾问 no longer opens it.
    assert page.goto(f"/admin/prospect/details/?id={card_id}").status == 200
    expect(page.locator("body")).to_contain_text("带太太再来，问首付")
    expect(page.locator("body")).to_contain_text("首访看样板间")
    with second_person(browser, live_server) as first:
        sign_in(first, "zhang.gw")
        assert first.goto(f"/admin/prospect/details/?id={card_id}").status == 404
        first.goto("/admin/prospect/")
        expect(first.locator("table.model-list")).not_to_contain_text("周客户")
    with app.app_context():
        assert db.session.get(Prospect, card_id).consultant_id == claimant_id
        kinds = db.session.scalars(select(OwnershipEvent.kind)).all()
        assert kinds == ["reassigned"]
