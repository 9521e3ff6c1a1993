"""Issue 18's ownership pages in the browser, on an office with owned and released cards:
a consultant claims from the public pool (公共客户池) and looks up who owns a customer in
the office directory (本处客户); the supervisor hands a consultant's customers over with a
note (客户交接). Their screenshots are the README's pictures of customer ownership."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect
from services.sales import customer_pool
from tests.e2e.helpers import add_project, create_account, sign_in
from tests.e2e.test_desk_journeys import second_person
from tests.factories import make_prospect

pytestmark = [pytest.mark.e2e, pytest.mark.instant("2026-11-25T02:00:00+00:00")]

#: (name, mobile, grade, days since the last contact) of 张顾问's customers.
ZHANG_CARDS = (
    ("陈志强", "13911112222", "A", 1),
    ("刘芳", "13822223333", "B", 2),
    ("赵磊", "13733334444", "B", 0),
    ("孙丽娟", "13644445555", "C", 1),
)
LI_CARDS = (("黄建国", "13555556666", "B", 1), ("林晓燕", "13466667777", "C", 2))
#: Not worked for two months: the nightly release puts them in the public pool.
STALE_CARDS = (
    ("周明", "13377778888", "B", 62),
    ("吴秀英", "13288889999", "C", 75),
    ("郑伟", "13199990000", "C", 90),
)


def _cards(session, project, consultant_id, rows) -> list[int]:
    today = office_today()
    ids = []
    for name, mobile, grade, days in rows:
        contact = today - timedelta(days=days)
        card = make_prospect(
            session,
            name=name,
            mobile=mobile,
            grade=grade,
            project=project,
            consultant_id=consultant_id,
            first_visit_on=contact - timedelta(days=7),
            last_contact_on=contact,
        )
        ids.append(card.id)
    return ids


@pytest.fixture
def office(app):
    """An office selling 翡翠湾: 张顾问 and 李顾问 with their customers, three customers
    released to the pool by the nightly job and one never assigned; 王主管 supervises."""
    zhang = create_account(app, "clerk", "zhang.own", "张顾问")
    li = create_account(app, "clerk", "li.own", "李顾问")
    create_account(app, "supervisor", "wang.own", "王主管")
    with app.app_context():
        project = add_project(db.session, "翡翠湾")
        zhang_ids = _cards(db.session, project, zhang, ZHANG_CARDS)
        _cards(db.session, project, li, LI_CARDS)
        _cards(db.session, project, zhang, STALE_CARDS)
        _cards(db.session, project, None, (("冯桂兰", "13012341234", "C", 20),))
        db.session.commit()
        assert customer_pool.release_stale(db.session, office_today()) == len(STALE_CARDS)
        db.session.commit()
    return {"zhang": zhang, "li": li, "zhang_cards": zhang_ids}


def test_a_consultant_claims_from_the_pool_and_looks_up_an_owner(
    app, page: Page, office, screenshots
):
    sign_in(page, "li.own")
    page.goto("/admin/sales/pool/")
    pool = page.locator("#pool")
    for name, *_ in STALE_CARDS:
        expect(pool).to_contain_text(name)
    expect(pool).to_contain_text("冯桂兰")
    expect(pool).to_contain_text("133****8888")
    expect(pool).not_to_contain_text("13377778888")
    expect(pool).not_to_contain_text("陈志强")  # 张顾问's, protected
    expect(page.locator("#claims-left")).to_be_visible()
    page.screenshot(path=screenshots / "public-pool.png", full_page=True)

    pool.locator("tr", has_text="吴秀英").locator("button.claim").click()
    expect(page).to_have_url(re.compile(r"/admin/prospect/details/"))
    expect(page.locator(".alert-success")).to_contain_text("吴秀英")

    page.goto("/admin/sales/office-customers/")
    directory = page.locator("#office-customers")
    expect(directory.locator("tr", has_text="陈志强")).to_contain_text("张顾问")
    expect(directory.locator("tr", has_text="吴秀英")).to_contain_text("李顾问")
    expect(directory.locator("tr", has_text="周明").locator(".badge")).to_be_visible()
    expect(directory).not_to_contain_text("13911112222")
    # Another consultant's customer is named, not opened.
    expect(directory.locator("tr", has_text="陈志强").locator("a")).to_have_count(0)
    page.screenshot(path=screenshots / "office-customers.png", full_page=True)


def test_the_supervisor_hands_customers_over_with_a_note(
    app, page: Page, browser, live_server, office, screenshots
):
    sign_in(page, "wang.own")
    page.goto("/admin/sales/handover/")
    page.locator("#owner").select_option(label="张顾问")
    page.locator("#choose-owner button").click()
    cards = page.locator("#owner-cards")
    for name, *_ in ZHANG_CARDS:
        expect(cards).to_contain_text(name)
    expect(cards).not_to_contain_text("周明")  # in the pool now, nobody's to hand over
    page.locator("#to_user").select_option(label="李顾问")
    page.locator("#scope-chosen").check()
    chosen = office["zhang_cards"][:2]
    for card_id in chosen:
        page.locator(f"#card-{card_id}").check()
    page.locator("#note").fill(
        "张顾问调往城西项目，陈、刘两位客户由李顾问继续跟进，已电话告知客户。"
    )
    page.screenshot(path=screenshots / "handover.png", full_page=True)
    page.locator("#hand-over").click()
    expect(page.locator(".alert-success")).to_contain_text("李顾问")

    with app.app_context():
        owners = dict(db.session.execute(select(Prospect.id, Prospect.consultant_id)).all())
    assert [owners[i] for i in office["zhang_cards"]] == [office["li"]] * 2 + [office["zhang"]] * 2
    with second_person(browser, live_server) as li:
        sign_in(li, "li.own")
        assert li.goto(f"/admin/prospect/details/?id={chosen[0]}").status == 200
        expect(li.locator("body")).to_contain_text("张顾问调往城西项目")
