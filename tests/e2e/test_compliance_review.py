"""The compliance review in the browser: the admin chooses a period, reads the figures, opens
the list behind one and prints the A4 review. With UPDATE_SCREENSHOTS=1 the README's picture
of the review is refreshed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from extensions import db
from models.admin.people import User
from services.privacy import audit
from tests.e2e.helpers import create_account, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def test_the_admin_reviews_a_period_and_prints_it(app, page: Page, today, screenshots):
    create_account(app, "admin", "cr_admin", "冯管理员")
    supervisor_id = create_account(app, "supervisor", "cr_sup", "韩主管")
    with app.app_context():
        supervisor = db.session.get(User, supervisor_id)
        actor = audit.Actor(supervisor.id, supervisor.username, supervisor.role_code)
        audit.record(db.session, actor, "list", record_type="prospect", record_ids=[1, 2])
        audit.record(db.session, actor, "export", record_type="prospect", record_ids=[1, 2, 3])
        db.session.commit()

    sign_in(page, "cr_admin")
    page.goto("/admin/compliance-review/")
    page.locator("#start").fill((today - timedelta(days=29)).isoformat())
    page.locator("#end").fill(today.isoformat())
    page.locator("#period-form button[type=submit]").click()
    expect(page.locator("#chain-ok")).to_have_text("是")
    exports = page.locator("#section-outputs tr[data-key='export:cr_sup'] a")
    expect(exports).to_have_text("1")
    expect(page.locator("#section-accesses tr[data-key='role:supervisor'] a")).to_have_text("2")
    page.screenshot(path=screenshots / "compliance-review.png", full_page=True)

    exports.click()
    expect(page.locator("#review-rows")).to_contain_text("cr_sup")
    expect(page.locator("#review-rows")).to_contain_text("导出")
    page.locator("#back-to-review").click()

    with page.context.expect_page() as opened:
        page.locator("#print-review").click()
    sheet = opened.value
    expect(sheet.locator("#review-sheet h1")).to_contain_text("合规审查")
    expect(sheet.locator("#print-chain")).to_contain_text("访问日志链完整")
    sheet.close()
