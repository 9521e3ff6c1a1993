"""Issue 24 in the browser: a consultant proposes a card as a competitor's scout (踩盘), the
supervisor confirms it in the approvals queue, and the card leaves the weekly B/C count."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from extensions import db
from models.sales.prospects import Prospect
from tests.e2e.helpers import create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect

pytestmark = [pytest.mark.e2e, pytest.mark.instant("2026-11-25T02:00:00+00:00")]


def test_a_scout_is_proposed_confirmed_and_no_longer_counted(app, page, browser, live_server):
    clerk_id = create_account(app, "clerk", "chen.clerk", "陈顾问")
    create_account(app, "supervisor", "liu.sup", "刘主管")
    with app.app_context():
        card_id = make_prospect(db.session, name="孙悟", grade="B", consultant_id=clerk_id).id
        make_prospect(db.session, name="沙僧", grade="C", consultant_id=clerk_id)
        db.session.commit()

    sign_in(page, "chen.clerk")
    page.goto(f"/admin/prospect/details/?id={card_id}")
    page.locator("#scout-proposal summary").click()
    page.locator("#reason").fill("自称看房，实为同行售楼处的置业顾问")
    page.locator("#propose-scout").click()
    expect(page.locator("#scout-pending")).to_be_visible()
    expect(page.locator("#scout-pending")).to_contain_text("陈顾问")

    with second_person(browser, live_server) as supervisor:
        sign_in(supervisor, "liu.sup")
        supervisor.goto("/admin/sales/weekly/")
        expect(supervisor.locator("body")).to_contain_text("当前：B类 1 个，C类 1 个")
        supervisor.goto("/admin/approvals/")
        queue = supervisor.locator("#approval-queue")
        expect(queue).to_contain_text("同行踩盘")
        expect(queue).to_contain_text("同行售楼处的置业顾问")
        queue.locator("td a", has_text=re.compile(r"^#\d+$")).first.click()
        expect(supervisor.locator("#diff")).to_contain_text("同行踩盘")
        supervisor.locator("#comment").fill("经分析确定为踩盘")
        supervisor.locator("#approve").click()
        expect(supervisor.locator("#approvals-badge .badge")).to_have_text("0")

        supervisor.goto("/admin/sales/weekly/")
        expect(supervisor.locator("body")).to_contain_text("当前：B类 0 个，C类 1 个")
        supervisor.goto("/admin/prospect/")
        expect(supervisor.locator(".scout-badge")).to_have_count(1)

    page.goto(f"/admin/prospect/details/?id={card_id}")
    expect(page.locator("#scout-flag")).to_contain_text("同行踩盘")
    expect(page.locator("#scout-proposal")).to_have_count(0)
    with app.app_context():
        assert db.session.get(Prospect, card_id).is_scout is True
