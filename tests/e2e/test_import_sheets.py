"""A clerk imports a workbook as offices keep it: a notes sheet first, then the cards under a
report title; the sheet and the title row are found, and can be chosen on the mapping page."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from extensions import db
from models.sales.prospects import Prospect
from tests.e2e.helpers import create_account, sign_in
from tests.factories import ref_item
from tests.importing import HEADERS, good_row

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def _office_workbook(path):
    workbook = Workbook()
    notes = workbook.active
    notes.title = "填表说明"
    notes.append(["每行一位客户"])
    notes.append(["日期可写 2026/3/1 或 2026年3月1日"])
    cards = workbook.create_sheet("三月来访")
    cards.append(["2026年3月来访客户登记表"])
    cards.merge_cells("A1:F1")
    cards.append([])
    cards.append(HEADERS)
    for n, day in enumerate(["2026/3/1", "2026年3月2日", "2026.3.3"], start=1):
        row = good_row(n)
        row[4] = day
        cards.append(row)
    workbook.save(path)
    return path


def test_clerk_imports_a_sheet_under_a_title(app, page: Page, tmp_path, screenshots):
    create_account(app, "clerk", "zhou.clerk", "周文员")
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    sign_in(page, "zhou.clerk")
    page.goto("/admin/import/")
    page.locator("#file").set_input_files(str(_office_workbook(tmp_path / "三月.xlsx")))
    page.locator("#upload").click()
    expect(page.locator("#sheet")).to_have_value("三月来访")
    expect(page.locator("#header_row")).to_have_value("3")
    expect(page.locator("#col_name")).to_have_value("0")
    page.screenshot(path=screenshots / "import-sheet-choice.png", full_page=True)

    # the notes sheet holds no titles: the page says so
    page.locator("#sheet").select_option("填表说明")
    page.locator("#reread").click()
    expect(page.locator("#no-titles-found")).to_be_visible()
    page.locator("#sheet").select_option("三月来访")
    page.locator("#reread").click()
    expect(page.locator("#header_row")).to_have_value("3")

    page.locator("#check").click()
    expect(page.locator("#import-layout")).to_contain_text("工作表 三月来访，列标题在第 3 行。")
    expect(page.locator("#import-summary")).to_contain_text("共 3 行：3 行可导入，0 行被拒。")
    page.locator("#consent_given").check()
    page.locator("#run").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 3 张温馨卡。")
    with app.app_context():
        days = db.session.scalars(select(Prospect.first_visit_on).order_by(Prospect.name)).all()
    assert [d.isoformat() for d in days] == ["2026-03-01", "2026-03-02", "2026-03-03"]
