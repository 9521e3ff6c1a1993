"""Spot-check, access-alert and print pages through the test client."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.privacy.audit import AccessEvent
from models.property.property import Owner, Unit
from models.property.transfers import Transfer
from models.sales.daily import AlertRule, SpotCheck
from tests.factories import make_prospect, make_visit, ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _events(app, action):
    with app.app_context():
        return db.session.scalars(select(AccessEvent).where(AccessEvent.action == action)).all()


def test_supervisor_draws_checks_and_sees_the_rate(app, client, login_as):
    login_as("supervisor")
    today = office_today()
    with app.app_context():
        for _ in range(3):
            make_prospect(db.session, first_visit_on=today)
        db.session.commit()
    response = client.post("/admin/spot-checks/draw", data={"size": "2", "unit": "cards"})
    assert response.status_code == 302
    with app.app_context():
        check = db.session.scalars(select(SpotCheck)).one()
        check_id, item_ids = check.id, [i.id for i in check.items]
    assert len(item_ids) == 2
    again = client.post(
        "/admin/spot-checks/draw", data={"size": "2", "unit": "cards"}, follow_redirects=True
    )
    assert "本周样本已抽取" in again.get_data(as_text=True)
    page = client.get(f"/admin/spot-checks/{check_id}/").get_data(as_text=True)
    assert "/admin/print/card/" in page
    refused = client.post(
        f"/admin/spot-checks/{check_id}/items/{item_ids[0]}",
        data={"result": "mismatch", "note": ""},
        follow_redirects=True,
    )
    assert "请说明与纸质卡不一致之处" in refused.get_data(as_text=True)
    client.post(f"/admin/spot-checks/{check_id}/items/{item_ids[0]}", data={"result": "match"})
    client.post(
        f"/admin/spot-checks/{check_id}/items/{item_ids[1]}",
        data={"result": "mismatch", "note": "预算填错"},
    )
    history = client.get("/admin/spot-checks/").get_data(as_text=True)
    assert re.search(r'<td class="rate">50%</td>', history)
    assert any(e.record_type == "prospect" for e in _events(app, "list"))


def test_admin_tunes_a_rule_and_bad_values_keep_the_old_one(app, client, login_as):
    login_as("admin")
    client.post(
        "/admin/access-alerts/rules/records_per_hour",
        data={"records_per_hour-threshold": "80", "records_per_hour-enabled": "y"},
    )
    bad = client.post(
        "/admin/access-alerts/rules/off_hours",
        data={"off_hours-day_starts": "22:00", "off_hours-day_ends": "06:00"},
        follow_redirects=True,
    )
    assert "请检查规则" in bad.get_data(as_text=True)
    with app.app_context():
        rows = {r.code: r.threshold for r in db.session.scalars(select(AlertRule))}
    assert rows == {"records_per_hour": 80}
    page = client.get("/admin/access-alerts/").get_data(as_text=True)
    assert 'value="80"' in page


def test_print_card_is_masked_logged_and_has_no_navbar(app, client, login_as):
    login_as("clerk")
    with app.app_context():
        prospect = make_prospect(db.session, mobile="13812345678", landline="0731-88886666")
        make_visit(db.session, prospect, summary="看了三居室")
        db.session.commit()
        pid = prospect.id
    details = client.get(f"/admin/prospect/details/?id={pid}").get_data(as_text=True)
    assert f"/admin/print/card/{pid}/" in details
    response = client.get(f"/admin/print/card/{pid}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "138****5678" in html and "13812345678" not in html and "88886666" not in html
    assert "看了三居室" in html and 'id="card-back"' in html
    assert "navbar" not in html and 'id="print-button"' in html
    assert "<script>" not in html and "onclick" not in html
    assert [(e.record_type, e.record_id) for e in _events(app, "print")] == [("prospect", pid)]


def test_print_views_follow_the_rights_of_their_pages(client, login_as):
    login_as("region_manager")
    assert client.get("/admin/print/card/1/").status_code == 403
    assert client.get("/admin/print/register/").status_code == 403
    assert client.get("/admin/print/transfer/1/").status_code == 403


def test_print_register_for_a_period(app, client, login_as):
    login_as("custodian")
    page = client.get("/admin/archive-register/?start=2026-11-01&end=2026-11-30")
    assert "/admin/print/register/?start=2026-11-01&amp;end=2026-11-30" in page.get_data(
        as_text=True
    )
    html = client.get("/admin/print/register/?start=2026-11-01&end=2026-11-30").get_data(
        as_text=True
    )
    assert "2026-11-01 – 2026-11-30" in html and 'id="register"' in html
    assert _events(app, "print")[0].record_type == "lookup_request"


def test_print_transfer_checklist_masks_both_parties(app, client, login_as):
    login_as("clerk")
    with app.app_context():
        s = db.session
        seller = Owner(name="张三", mobile="13900001111", id_number="110101199003078515")
        buyer = Owner(name="李四", mobile="13700002222")
        unit = Unit(project_id=ref_item(s, "project").id, building="1", room="101")
        s.add_all([seller, buyer, unit])
        s.flush()
        transfer = Transfer(
            unit_id=unit.id, seller_id=seller.id, buyer_id=buyer.id, opened_on=office_today()
        )
        s.add(transfer)
        s.commit()
        tid = transfer.id
    html = client.get(f"/admin/print/transfer/{tid}/").get_data(as_text=True)
    assert "139****1111" in html and "110101********8515" in html
    assert "110101199003078515" not in html
    assert "卖方签字" in html
    desk = client.get(f"/admin/transfer-desk/{tid}/").get_data(as_text=True)
    assert f"/admin/print/transfer/{tid}/" in desk


def test_unknown_prints_are_404(client, login_as):
    login_as("supervisor")
    assert client.get("/admin/print/card/999/").status_code == 404
    assert client.get("/admin/print/transfer/999/").status_code == 404


def test_a_sign_in_outside_office_hours_raises_its_alert_at_once(app, client, monkeypatch):
    from datetime import datetime

    from models.sales.daily import AccessAlert
    from tests.factories import PASSWORD, make_user

    with app.app_context():
        make_user(db.session, "clerk", username="night.owl")
        db.session.commit()
    # 22:15 on a Wednesday in Shanghai
    monkeypatch.setattr("models.base.utcnow", lambda: datetime(2026, 11, 18, 14, 15))
    monkeypatch.setitem(app.config, "ALERTS_ON_SIGN_IN", True)
    client.post("/login", data={"username": "night.owl", "password": PASSWORD})
    with app.app_context():
        alert = db.session.scalars(select(AccessAlert)).one()
        assert (alert.rule_code, alert.username, alert.window_start) == (
            "off_hours",
            "night.owl",
            datetime(2026, 11, 17, 16, 0),
        )
