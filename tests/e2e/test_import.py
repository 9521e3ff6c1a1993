"""A clerk imports welcome cards from Excel in the browser, fixing the rejected rows."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from extensions import db
from models.sales.prospects import Prospect
from tests.e2e.helpers import create_account, sign_in
from tests.factories import ref_item
from tests.importing import HEADERS, good_row, write_xlsx

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = [pytest.mark.e2e, pytest.mark.instant()]


def test_clerk_fixes_rejected_rows_and_imports(app, page: Page, tmp_path, screenshots):
    create_account(app, "clerk", "wu.clerk", "吴文员")
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        db.session.commit()
    rows = [good_row(n) for n in range(1, 41)]
    rows[9][1] = "1390000"  # bad mobile
    rows[19][2] = "Z"  # bad grade
    first = write_xlsx(tmp_path / "cards.xlsx", rows)

    sign_in(page, "wu.clerk")
    page.goto("/admin/import/")
    page.locator("#file").set_input_files(str(first))
    page.locator("#upload").click()
    expect(page.locator("#col_name")).to_have_value("0")  # guessed from 客户姓名
    page.locator("#check").click()
    expect(page.locator("#import-summary")).to_contain_text("共 40 行：38 行可导入，2 行被拒。")
    expect(page.locator("#rejected-rows tbody tr")).to_have_count(2)
    page.screenshot(path=screenshots / "import-preview.png", full_page=True)

    with page.expect_download() as download_info:
        page.locator("#download-rejected").click()
    fixed_path = tmp_path / "rejected.xlsx"
    download_info.value.save_as(fixed_path)
    back = [list(r) for r in load_workbook(fixed_path).worksheets[0].iter_rows(values_only=True)]
    assert [r[0] for r in back[1:]] == ["客户10", "客户20"]

    # the clerk fixes the two rows and uploads them on their own
    fixed = [r[: len(HEADERS)] for r in back[1:]]
    fixed[0][1] = "13955550010"
    fixed[1][2] = "B"
    # first the 38 good rows, skipping the two rejected ones
    page.locator("#skip_rejected").check()
    page.locator("#consent_given").check()
    page.locator("#run").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 38 张温馨卡。")
    expect(page.locator("#import-result")).to_contain_text("已跳过 2 个被拒的行。")
    page.goto("/admin/import/")
    page.locator("#file").set_input_files(str(write_xlsx(tmp_path / "fixed.xlsx", fixed)))
    page.locator("#upload").click()
    page.locator("#check").click()
    expect(page.locator("#import-summary")).to_contain_text("共 2 行：2 行可导入，0 行被拒。")
    expect(page.locator("#rejected-rows")).to_have_count(0)
    page.locator("#consent_given").check()
    page.locator("#run").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 2 张温馨卡。")
    with app.app_context():
        assert db.session.scalar(select(func.count(Prospect.id))) == 40
