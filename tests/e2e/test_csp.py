"""With inline handlers forbidden by the CSP, Flask-Admin's buttons still work in Chromium,
no page reports a violation, and markup typed into a record never runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import func, select

from extensions import db
from models.property.property import ParkingSpace
from tests.e2e.helpers import create_account, sign_in
from tests.factories import make_prospect

#: Collects every CSP violation a page reports, from the first script on.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var where = event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 120) : "";
  window.__violations.push(
    event.violatedDirective + " " + (event.blockedURI || "inline") + " " + (event.sample || "") +
    " " + where
  );
});
"""


@pytest.fixture
def watched(context: BrowserContext) -> Page:
    context.add_init_script(WATCH_VIOLATIONS)
    return context.new_page()


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


def _spaces(app, *codes: str) -> None:
    with app.app_context():
        db.session.add_all(ParkingSpace(code=code) for code in codes)
        db.session.commit()


def _space_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ParkingSpace))


def test_row_delete_asks_first_and_batch_actions_run(app, watched: Page):
    create_account(app, "supervisor", "csp_sup", "严主管")
    _spaces(app, "P-001", "P-002", "P-003")
    sign_in(watched, "csp_sup")
    watched.goto("/admin/parking_space/")

    # Dismissing the confirmation keeps the row.
    watched.once("dialog", lambda dialog: dialog.dismiss())
    watched.locator("tr", has_text="P-001").locator("form.icon button").click()
    watched.wait_for_timeout(300)
    assert _space_count(app) == 3
    # Deleting reloads the page and starts a fresh list: check this page before it.
    assert _violations(watched) == [], _violations(watched)
    # Accepting deletes it.
    watched.once("dialog", lambda dialog: dialog.accept())
    watched.locator("tr", has_text="P-001").locator("form.icon button").click()
    expect(watched.locator("tr", has_text="P-001")).to_have_count(0)
    # The rows show before the page's scripts have bound the dropdown: under load a click
    # that came first opened nothing (seen in CI). Wait for the whole page.
    watched.wait_for_load_state("load")
    assert _space_count(app) == 2
    assert _violations(watched) == [], _violations(watched)

    # "With selected" -> delete, confirmed: a batch action through the rebound handler.
    watched.locator("tr", has_text="P-002").locator("input.action-checkbox").check()
    watched.locator("a.dropdown-toggle", has_text="选中").click()
    delete_selected = watched.locator(".dropdown-menu a.dropdown-item").filter(has_text="删除").first
    expect(delete_selected).to_be_visible()
    watched.once("dialog", lambda dialog: dialog.accept())
    delete_selected.click()
    expect(watched.locator("tr", has_text="P-002")).to_have_count(0)
    assert _space_count(app) == 1
    assert _violations(watched) == [], _violations(watched)


def test_inline_add_and_filters_work_without_violations(app, watched: Page):
    create_account(app, "supervisor", "csp_sup2", "严主管")
    sign_in(watched, "csp_sup2")
    watched.goto("/admin/unit/new/")
    add = watched.locator("a.btn-primary", has_text="添加")
    expect(add.first).to_be_visible()
    add.first.click()
    expect(watched.locator("input[id$='-0-name']").first).to_be_visible()
    # The next navigation starts a fresh list: check this page before leaving it.
    assert _violations(watched) == [], _violations(watched)

    watched.goto("/admin/prospect/")
    watched.locator("a.nav-link.dropdown-toggle", has_text="添加筛选器").click()
    watched.locator(".field-filters a.filter").first.click()
    expect(watched.locator("#filter_form .filter-op, #filter_form select").first).to_be_attached()
    assert _violations(watched) == [], _violations(watched)


@pytest.mark.parametrize("role", ["clerk", "supervisor", "custodian", "admin"])
def test_main_pages_report_no_violation(app, watched: Page, role: str):
    create_account(app, role, f"csp_{role}", "巡检员")
    with app.app_context():
        prospect_id = make_prospect(db.session).id
        db.session.commit()
    sign_in(watched, f"csp_{role}")
    for url in (
        "/admin/",
        "/admin/prospect/",
        f"/admin/prospect/details/?id={prospect_id}",
        "/admin/owner/",
        "/admin/archive_file/",
        "/admin/audit/",
    ):
        watched.goto(url)
        watched.wait_for_load_state("load")
        # Each navigation starts a fresh list (the init script runs again): check every page.
        assert _violations(watched) == [], (url, _violations(watched))


def test_markup_in_a_name_never_runs(app, watched: Page):
    create_account(app, "supervisor", "csp_sup3", "严主管")
    payload = '<img src=x onerror="window.__ran=1"><script>window.__ran=1</script>'
    with app.app_context():
        prospect_id = make_prospect(db.session, name=payload[:50], notes=payload).id
        db.session.commit()
    fired: list[str] = []
    watched.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    sign_in(watched, "csp_sup3")
    for url in ("/admin/prospect/?search=img", f"/admin/prospect/details/?id={prospect_id}"):
        watched.goto(url)
        watched.wait_for_load_state("load")
        assert watched.evaluate("window.__ran") is None, url
        # Shown as text, not as an element.
        expect(watched.locator("body")).to_contain_text("<img src=x")
    assert fired == []
