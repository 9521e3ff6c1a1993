"""A customer's request through the pages: the customer is picked by search (or comes picked
from their details page), shown by name, and a copy request gives a readable copy as XLSX
and as an A4 print, each logged, only to roles that work customers' requests."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import SubjectRequest
from tests.factories import make_prospect, make_visit
from tests.html_forms import read_form
from tests.web.property.test_property_views import make_owner, make_tenant

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

MOBILE = "13577778888"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _card(app) -> int:
    with app.app_context():
        prospect = make_prospect(db.session, name="上官婉", mobile=MOBILE, is_scout=False)
        make_visit(db.session, prospect, summary="带孩子来看学区", concerns="价格")
        db.session.commit()
        return prospect.id


def _register(client, kind: str, customer: str) -> int:
    response = client.post(
        "/admin/subject_request/new/",
        data={"kind": kind, "customer": customer, "received_on": "2026-11-20", "note": "来电"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with client.application.app_context():
        return db.session.scalars(
            select(SubjectRequest.id).order_by(SubjectRequest.id.desc())
        ).first()


def _copies_logged(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(select(AccessEvent.path).where(AccessEvent.action == "subject_copy"))
        )


def test_the_customer_is_picked_by_search_and_shown_by_name(app, client, login_as):
    prospect_id = _card(app)
    login_as("clerk")
    # from the card's details page, the request form opens with the customer picked
    details = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    link = f"/admin/subject_request/new/?subject_type=prospect&amp;subject_id={prospect_id}"
    assert link in details
    form = read_form(client.get(link.replace("&amp;", "&")).get_data(as_text=True))
    assert form["customer"] == f"prospect:{prospect_id}"
    assert "subject_id" not in form and "subject_type" not in form
    request_id = _register(client, "copy", form["customer"])
    listing = client.get("/admin/subject_request/").get_data(as_text=True)
    assert "温馨卡 · 上官婉" in listing and f"#{prospect_id}" not in listing
    page = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    assert "温馨卡 · 上官婉" in page


def test_no_customer_picked_is_a_clear_message_and_keeps_what_was_typed(app, client, login_as):
    login_as("clerk")
    response = client.post(
        "/admin/subject_request/new/",
        data={"kind": "copy", "customer": "", "received_on": "2026-11-20", "note": "客户来信"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "请按姓名或电话查找并选择客户" in page
    assert "客户来信" in page


@pytest.mark.parametrize(("kind", "make"), [("owner", make_owner), ("tenant", make_tenant)])
def test_owners_and_tenants_link_to_a_request_for_roles_that_register_them(
    app, client, login_as, kind, make
):
    with app.app_context():
        record_id = make(db.session).id
        db.session.commit()
    link = f"/admin/subject_request/new/?subject_type={kind}&amp;subject_id={record_id}"
    login_as("clerk")
    assert link in client.get(f"/admin/{kind}/details/?id={record_id}").get_data(as_text=True)
    client.post("/logout")
    login_as("custodian")  # reads owners and tenants, registers no requests
    page = client.get(f"/admin/{kind}/details/?id={record_id}").get_data(as_text=True)
    assert "/admin/subject_request/new/" not in page


def test_the_xlsx_copy_is_readable_unmasked_logged_and_not_cached(app, client, login_as):
    prospect_id = _card(app)
    login_as("clerk")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    details = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    assert 'id="download-copy"' in details and 'id="print-copy"' in details
    response = client.post(f"/admin/subject_request/copy/?id={request_id}")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(response.get_data()))
    assert {"关于本副本", "温馨卡", "接待及跟进记录", "保存资料的依据"} <= set(book.sheetnames)
    card = {row[0]: row[1] for row in book["温馨卡"].iter_rows(min_row=2, values_only=True)}
    assert card["手机"] == MOBILE and card["同行踩盘"] == "否" and card["来源"] == "来访"
    visit = next(book["接待及跟进记录"].iter_rows(min_row=2, values_only=True))
    assert "带孩子来看学区" in visit
    assert _copies_logged(app) == ["/admin/subject_request/copy/"]


def test_the_print_copy_is_an_a4_page_logged_and_not_cached(app, client, login_as):
    prospect_id = _card(app)
    login_as("supervisor")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    response = client.get(f"/admin/subject_request/copy/print/?id={request_id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "print.css" in page and 'id="customer-copy"' in page
    assert "个人信息副本" in page and "温馨卡 · 上官婉" in page
    assert MOBILE in page and "带孩子来看学区" in page and "顾虑：价格" in page
    assert "True" not in page and "False" not in page
    assert _copies_logged(app) == ["/admin/subject_request/copy/print/"]


@pytest.mark.parametrize("role", ["custodian", "region_manager"])
def test_roles_without_request_rights_get_no_copy(app, client, login_as, role):
    prospect_id = _card(app)
    login_as("clerk", username="reg_clerk")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    client.post("/logout")
    login_as(role)
    assert client.post(f"/admin/subject_request/copy/?id={request_id}").status_code == 403
    assert client.get(f"/admin/subject_request/copy/print/?id={request_id}").status_code == 403
    assert _copies_logged(app) == []


def test_an_admin_who_registers_requests_may_give_the_copy(app, client, login_as):
    prospect_id = _card(app)
    login_as("admin")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    assert client.get(f"/admin/subject_request/copy/print/?id={request_id}").status_code == 200


@pytest.mark.parametrize("kind", ["correct", "delete"])
def test_other_kinds_of_request_have_no_copy(app, client, login_as, kind):
    prospect_id = _card(app)
    login_as("clerk")
    request_id = _register(client, kind, f"prospect:{prospect_id}")
    page = client.get(f"/admin/subject_request/details/?id={request_id}").get_data(as_text=True)
    assert 'id="download-copy"' not in page and 'id="print-copy"' not in page
    assert client.post(f"/admin/subject_request/copy/?id={request_id}").status_code == 404
    assert client.get(f"/admin/subject_request/copy/print/?id={request_id}").status_code == 404
    assert _copies_logged(app) == []


def test_a_customer_who_withdrew_consent_still_gets_their_copy(app, client, login_as):
    # A withdrawal keeps the record out of prints and exports, but the customer's own
    # request goes on (docs/privacy-requests.md).
    from models.base import utcnow
    from models.privacy.privacy import ConsentRecord

    prospect_id = _card(app)
    with app.app_context():
        db.session.add(
            ConsentRecord(
                subject_type="prospect",
                subject_id=prospect_id,
                basis="consent",
                purpose="回访",
                policy_version="1",
                withdrawn_at=utcnow(),
                withdrawal_note="来电撤回",
            )
        )
        db.session.commit()
    login_as("clerk")
    request_id = _register(client, "copy", f"prospect:{prospect_id}")
    page = client.get(f"/admin/subject_request/copy/print/?id={request_id}").get_data(as_text=True)
    assert "来电撤回" in page and MOBILE in page
