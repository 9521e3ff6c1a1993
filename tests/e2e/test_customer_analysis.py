"""The supervisor opens the customer analysis from the home page in headless Chromium,
narrows it to one project and sees the charts with their tables, with no CSP violation. With UPDATE_SCREENSHOTS=1
the README's picture is refreshed into docs/screenshots/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import BrowserContext, expect

from extensions import db
from tests.e2e.helpers import add_project, create_account, sign_in
from tests.e2e.test_csp import WATCH_VIOLATIONS
from tests.factories import make_prospect, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = [pytest.mark.e2e, pytest.mark.instant()]

#: (awareness, budget in 万, need, area, district, grade) of the November cards, per project.
CARDS = (
    ("referral", 80, "first_home", "80_100", "downtown", "B"),
    ("referral", 120, "upgrade", "100_120", "suburb", "B"),
    ("passing", 95, "first_home", "80_100", "downtown", "C"),
    ("internet", 60, "first_home", "80_100", "new_district", "C"),
    ("referral", 210, "upgrade", "120_140", "suburb", "A"),
    ("event", 150, "investment", "lt80", "downtown", "C"),
    (None, None, None, None, None, None),
    ("outdoor", 130, "upgrade", "100_120", "new_district", "B"),
)


def test_supervisor_analyses_the_months_cards(app, context: BrowserContext, screenshots):
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    create_account(app, "supervisor", "analysis.sup", "陈主管")
    with app.app_context():
        s = db.session
        lake, hill = add_project(s, "湖畔花园"), add_project(s, "山景苑")
        for n, (aw, budget, need, area, district, grade) in enumerate(CARDS * 2):
            make_prospect(
                s,
                first_visit_on=date(2026, 11, 1 + n),
                project=lake if n % 3 else hill,
                awareness=ref_item(s, "awareness", aw) if aw else None,
                budget_wan=Decimal(budget) if budget else None,
                need=ref_item(s, "need", need) if need else None,
                area_band=ref_item(s, "area_band", area) if area else None,
                district=ref_item(s, "district", district) if district else None,
                grade=grade,
            )
        make_prospect(s, first_visit_on=date(2026, 11, 3), project=lake, is_scout=True)
        s.commit()
        lake_id = lake.id
    sign_in(page, "analysis.sup")
    page.locator("#analysis-link").click()
    expect(page.locator("#analysis-total")).to_contain_text("16")
    expect(page.locator("#chart-awareness")).to_be_visible()
    expect(page.locator("#table-awareness tbody tr").first).to_contain_text("朋友介绍")
    page.screenshot(path=screenshots / "customer-analysis.png", full_page=True)
    page.locator("#project").select_option(str(lake_id))
    page.locator("#analysis-period button[type=submit]").click()
    expect(page.locator("#table-project tbody tr")).to_have_count(1)
    expect(page.locator("#table-project tbody tr")).to_contain_text("湖畔花园")
    expect(page.locator("#analysis-total")).to_contain_text("10")
    # charts and form work under the strict CSP: nothing was blocked
    assert page.evaluate("window.__violations") == []
