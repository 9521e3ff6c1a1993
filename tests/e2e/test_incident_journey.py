"""An incident in the browser: the admin opens it, locks the panel down, lists the customers
a clerk's account looked at from the access log, issues the notice, prints two letters, marks
one sent and lifts the lockdown with a note. With UPDATE_SCREENSHOTS=1 the README's picture
of the incident page is refreshed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from extensions import db
from services.privacy import audit
from tests.e2e.helpers import create_account, sign_in
from tests.factories import make_prospect

# 10:00 in Beijing (tests/conftest.py WRITTEN_AT)
pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def test_an_incident_from_lockdown_to_letters(app, page: Page, screenshots):
    clerk_id = create_account(app, "clerk", "leaky_clerk", "马顾问")
    create_account(app, "admin", "inc_admin", "冯管理员")
    with app.app_context():
        first = make_prospect(db.session, name="张一")
        second = make_prospect(db.session, name="李二")
        make_prospect(db.session, name="王三")  # never looked at by the clerk
        actor = audit.Actor(clerk_id, "leaky_clerk", "clerk")
        audit.record(db.session, actor, "list", record_type="prospect", record_ids=[first.id])
        audit.record(db.session, actor, "export", record_type="prospect", record_ids=[second.id])
        db.session.commit()

    sign_in(page, "inc_admin")
    page.goto("/admin/incidents/")
    page.locator("#title").fill("顾问导出的名单外泄")
    page.locator("#found_at").fill("2026-11-25 09:00")
    page.locator("#what_happened").fill("一份导出的客户名单被发到了外部群里。")
    page.locator("#data_categories").fill("姓名、手机号码")
    page.locator("#cause").fill("顾问误发；可能被用于骚扰电话")
    page.locator("#measures").fill("已封锁系统，已要求删除该消息")
    page.locator("#customer_actions").fill("请警惕自称本案场的陌生来电")
    page.locator("#contact").fill("案场经理 021-5555 0000")
    page.locator("#open-incident").click()
    expect(page.locator("#report-clock")).to_contain_text("剩余 3 小时")
    expect(page.locator("#report-clock")).to_contain_text("2026-11-25 14:")
    incident_url = page.url

    # lock down: every page says so; exports stop
    page.locator("#to-lockdown").click()
    page.locator("#lock-form textarea").fill("名单外泄，先封锁再查")
    page.locator("#lock-panel").click()
    expect(page.locator("#lockdown-banner")).to_be_visible()
    expect(page.locator("#lockdown-status")).to_contain_text("冯管理员")
    response = page.request.get("/admin/audit/export/csv/")
    assert response.status == 423

    # the customers the clerk's account looked at, from the access log
    page.goto(incident_url)
    expect(page.locator("#lockdown-banner")).to_be_visible()
    page.locator("#account").select_option(label="leaky_clerk")
    page.locator("#start").fill("2026-11-25 09:00")
    page.locator("#end").fill("2026-11-25 11:00")
    page.locator("#find-affected").click()
    rows = page.locator("#affected-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#affected-list")).to_contain_text("张一")
    expect(page.locator("#affected-list")).to_contain_text("李二")
    expect(page.locator("#affected-list")).not_to_contain_text("王三")
    expect(page.locator("#affected-list")).to_contain_text("138")  # masked mobiles
    expect(page.locator("#affected-list")).to_contain_text("****")

    page.locator("#issue-notice").click()
    expect(page.locator("#incident-status")).to_have_text("已发出通知")
    page.screenshot(path=screenshots / "incident.png", full_page=True)

    # two letters, printed during the lockdown (they are the notice, not a leak)
    letters = [page.locator(".letter-link").nth(i).get_attribute("href") for i in range(2)]
    for href, name in zip(letters, ("张一", "李二"), strict=True):
        letter = page.context.new_page()
        letter.goto(href)
        expect(letter.locator(".incident-letter")).to_contain_text(f"尊敬的{name}")
        expect(letter.locator(".incident-letter")).to_contain_text("请警惕自称本案场的陌生来电")
        expect(letter.locator(".incident-letter")).to_contain_text("第五十七条")
        letter.close()

    page.locator(".sent-form").first.locator("select").select_option("letter")
    page.locator(".sent-form").first.locator("button").click()
    expect(page.locator(".sent-note")).to_have_count(1)
    expect(page.locator(".sent-note")).to_contain_text("信件")

    # lift the lockdown: a note is required
    page.goto("/admin/lockdown/")
    page.locator("#lift-lockdown").click()
    expect(page.locator("#lift-form")).to_be_visible()
    page.locator("#lift-form textarea").fill("消息已删除，原因已查明")
    page.locator("#lift-lockdown").click()
    expect(page.locator("#lockdown-status")).to_contain_text("系统未封锁")
    expect(page.locator("#lockdown-banner")).to_have_count(0)
    expect(page.locator("#lockdown-history")).to_contain_text(re.compile("消息已删除"))
