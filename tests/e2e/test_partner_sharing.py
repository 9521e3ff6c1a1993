"""Issue 19 in the browser: a supervisor records one customer's separate consent to the bank
on the card's page, then shares two cards chosen on the list with the bank: one is shared
(its file downloads, masked where the agreement says), the other is refused for lack of
consent, and the card's page lists the share."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from extensions import db
from models.privacy.partners import Partner, SharingAgreement
from tests.e2e.helpers import create_account, sign_in
from tests.factories import make_prospect

pytestmark = [pytest.mark.e2e, pytest.mark.instant("2026-11-25T02:00:00+00:00")]


def test_a_supervisor_shares_two_cards_with_a_bank_and_one_is_refused(
    app, page, screenshots, today
):
    create_account(app, "supervisor", "liu.sup", "刘主管")
    with app.app_context():
        bank = Partner(name="建设银行城东支行", kind="bank", contact_name="赵经理")
        db.session.add(bank)
        db.session.add(
            SharingAgreement(
                partner=bank,
                reference="2026-按揭-001",
                purpose="按揭贷款审批",
                fields=["name", "mobile", "budget_wan"],
                masked_fields=["mobile"],
                valid_from=today - timedelta(days=30),
                valid_to=today + timedelta(days=300),
            )
        )
        agreed = make_prospect(db.session, name="上官婉", mobile="13912345678").id
        make_prospect(db.session, name="欧阳锋", mobile="13787654321")
        db.session.commit()

    sign_in(page, "liu.sup")
    # the customer's separate consent, recorded on the card's page
    page.goto(f"/admin/prospect/details/?id={agreed}")
    page.locator("#partner-consent-box summary").click()
    expect(page.locator("#partner-consent-partner")).to_contain_text("建设银行城东支行")
    page.locator("#partner-consent-purpose").fill("按揭贷款审批")
    page.locator("#record-partner-consent").click()
    expect(page.locator("#partner-consents")).to_contain_text("建设银行城东支行")

    # both cards chosen on the list, shared with the bank
    page.goto("/admin/prospect/")
    for name in ("上官婉", "欧阳锋"):
        page.locator("tr", has_text=name).locator("input.action-checkbox").check()
    page.wait_for_load_state("load")
    page.locator("a.dropdown-toggle", has_text="选中").click()
    page.locator(".dropdown-menu a.dropdown-item", has_text="与合作方共享").click()
    expect(page.locator("#chosen-customers")).to_contain_text("上官婉")
    expect(page.locator("#chosen-customers")).to_contain_text("欧阳锋")
    expect(page.locator("#agreements")).to_contain_text("2026-按揭-001")
    page.locator("#share-submit").click()

    expect(page.locator("#shared-customers")).to_contain_text("上官婉")
    expect(page.locator("#shared-customers")).not_to_contain_text("欧阳锋")
    refused = page.locator("#refused-customers")
    expect(refused).to_contain_text("欧阳锋")
    expect(refused).to_contain_text("无该合作方的单独同意")
    page.screenshot(path=screenshots / "partner-sharing.png", full_page=True)

    with page.expect_download() as download_info:
        page.locator("#download-xlsx").click()
    content = Path(download_info.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("姓名", "手机") and len(rows[0]) == 3
    assert rows[1][:2] == ("上官婉", "139****5678") and len(rows) == 2

    page.goto(f"/admin/prospect/details/?id={agreed}")
    expect(page.locator("#partner-shares")).to_contain_text("建设银行城东支行")
    expect(page.locator("#partner-shares")).to_contain_text("刘主管")
