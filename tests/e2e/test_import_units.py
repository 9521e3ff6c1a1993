"""A supervisor imports a unit list with its owners and household members (one sheet, a row
per person, the unit's columns written on its first row only) in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from extensions import db
from models.property.property import Unit
from tests.e2e.helpers import add_project, create_account, sign_in
from tests.importing import write_xlsx
from tests.unit.sales.test_import_units import id_number

pytestmark = [pytest.mark.e2e, pytest.mark.instant()]

HEADERS = ["楼盘", "楼栋", "房号", "楼层", "建筑面积", "姓名", "与业主关系", "手机", "身份证号",
           "入住日期"]  # fmt: skip


def test_supervisor_imports_units_with_owners_and_households(
    app, page: Page, tmp_path, screenshots
):
    create_account(app, "supervisor", "zhou.sup", "周主管")
    with app.app_context():
        add_project(db.session, "湖畔花园")
        db.session.commit()
    rows = [
        ["湖畔花园", "3栋", "2-1502", 15, "120.5㎡", "王建国", "本人", "13900000001",
         id_number(1), "2025-05-01"],
        [None, None, None, None, None, "李秀英", "配偶", "13900000002", None, "2025-05-01"],
        [None, None, None, None, None, "王小明", "子女", None, id_number(2), None],
        ["湖畔花园", "3栋", "2-1503", 15, "98", "赵国强", "本人", "13900000004", None,
         "2025-06-01"],
        [None, None, None, None, None, "钱桂兰", "父母", None, None, None],
        ["湖畔花园", "5栋", "1-0801", 8, "89", "孙丽", "表亲", "13900000006", None, None],
    ]  # fmt: skip
    sheet = write_xlsx(tmp_path / "units.xlsx", rows, HEADERS)

    sign_in(page, "zhou.sup")
    page.goto("/admin/import/")
    page.locator("#kind").select_option("unit")
    page.locator("#file").set_input_files(str(sheet))
    page.locator("#upload").click()
    expect(page.locator("#col_building")).to_have_value("1")  # guessed from 楼栋
    expect(page.locator("#col_relation")).to_have_value("6")
    page.locator("#check").click()
    expect(page.locator("#import-summary")).to_contain_text("共 6 行：5 行可导入，1 行被拒。")
    expect(page.locator("#rejected-rows")).to_contain_text("表亲")
    page.screenshot(path=screenshots / "import-units.png", full_page=True)
    page.locator("#skip_rejected").check()
    page.locator("#consent_given").check()
    page.locator("#run").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 2 套房屋及其业主和家庭成员。")
    with app.app_context():
        units = {u.room: u for u in db.session.scalars(select(Unit))}
        assert set(units) == {"2-1502", "2-1503"}
        assert units["2-1502"].current_owner.name == "王建国"
        assert {m.name for m in units["2-1502"].household_members} == {"李秀英", "王小明"}
        assert [m.name for m in units["2-1503"].household_members] == ["钱桂兰"]
