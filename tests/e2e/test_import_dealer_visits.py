"""A region manager imports a sheet of dealer visits (拜访记录) in the browser: dealers found by
name (loosely too), licence number or mobile; a dealer of another region is not found; the
rejected row downloads with its error; the rest is imported."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from extensions import db
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit
from tests.e2e.helpers import sign_in
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.instant()]

HEADERS = ["经销商名称", "营业执照号", "手机", "拜访日期", "拜访人", "拜访内容"]


def test_region_manager_imports_dealer_visits(app, page: Page, tmp_path, screenshots):
    with app.app_context():
        s = db.session
        south, north = ref_item(s, "region", "south"), ref_item(s, "region", "north")
        south.label, north.label = "南区", "北区"
        s.flush()
        make_user(s, "region_manager", username="li.region", full_name="李经理", region_id=south.id)
        make_user(s, "region_manager", username="zhou.region", full_name="周业务",
                  region_id=south.id)  # fmt: skip
        hardware = Dealer(name="华南五金有限公司", region_id=south.id, mobile="13900000001")
        hardware.data_card = DealerDataCard(
            filled_on=date(2026, 3, 4), licence_no="91440101MA0000001X"
        )
        bright = Dealer(name="光明建材（广州）有限公司", region_id=south.id)
        northern = Dealer(name="北方商行", region_id=north.id, mobile="13900000003")
        s.add_all([hardware, bright, northern])
        s.commit()
        ids = {"hardware": hardware.id, "bright": bright.id}
    rows = [
        ["华南五金有限公司", None, None, "2026年10月8日", None, "谈了返利政策"],
        [None, "91440101ma0000001x", None, "2026/10/9", "周业务", "送样品"],
        ["光明建材(广州)有限责任公司", None, None, "2026.10.10", None, "看了新店"],
        [None, None, "139 0000 0003", "2026-10-11", None, "北区的经销商"],
    ]
    sheet = write_xlsx(tmp_path / "visits.xlsx", rows, HEADERS)

    sign_in(page, "li.region")
    page.goto("/admin/import/")
    page.locator("#kind").select_option("dealer_visit")
    page.locator("#file").set_input_files(str(sheet))
    page.locator("#upload").click()
    expect(page.locator("#col_visited_on")).to_have_value("3")  # guessed from 拜访日期
    page.locator("#check").click()
    expect(page.locator("#import-summary")).to_contain_text("共 4 行：3 行可导入，1 行被拒。")
    rejected = page.locator("#rejected-rows")
    # row 5, the north's dealer: not found in the manager's region, its mobile masked
    expect(rejected).to_contain_text("本区域没有手机号为 139****0003 的经销商")
    expect(rejected).not_to_contain_text("13900000003")
    page.screenshot(path=screenshots / "import-dealer-visits.png", full_page=True)
    page.locator("#skip_rejected").check()
    consent = page.locator("#consent_given")
    if consent.count():
        consent.check()
    page.locator("#run").click()
    expect(page.locator("#import-result")).to_contain_text("已导入 3 条经销商拜访记录。")
    with app.app_context():
        visits = db.session.scalars(select(DealerVisit).order_by(DealerVisit.visited_on)).all()
        assert [(v.dealer_id, v.visited_on, v.summary) for v in visits] == [
            (ids["hardware"], date(2026, 10, 8), "谈了返利政策"),
            (ids["hardware"], date(2026, 10, 9), "送样品"),
            (ids["bright"], date(2026, 10, 10), "看了新店"),
        ]
