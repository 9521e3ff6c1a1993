"""Partners and sharing through the pages (views/privacy/partners.py): the register and its
agreements for every role, the customer's consent and its withdrawal on the details page, the
share from a customer's page and from a list, its result with the file, the access events,
office isolation and the customer's copy listing the shares."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import access
from extensions import db
from models.admin.offices import Office
from models.privacy.audit import AccessEvent
from models.privacy.partners import Partner, PartnerConsent, PartnerShare, SharingAgreement
from models.privacy.privacy import SubjectRequest
from tests.factories import make_prospect
from tests.web.property.test_property_views import make_owner

pytestmark = pytest.mark.instant()

MOBILE = "13912345678"


def _bank(app, today, **kw) -> tuple[int, int]:
    with app.app_context():
        partner = Partner(name="建设银行城东支行", kind="bank", contact_phone="13800001111")
        db.session.add(partner)
        agreement = SharingAgreement(
            partner=partner,
            reference="2026-按揭-001",
            purpose="按揭贷款审批",
            fields=["name", "mobile"],
            masked_fields=["mobile"],
            valid_from=today - timedelta(days=10),
            valid_to=kw.get("valid_to", today + timedelta(days=100)),
        )
        db.session.add(agreement)
        db.session.commit()
        return partner.id, agreement.id


def _prospects(app, *names, **kw) -> list[int]:
    with app.app_context():
        ids = [make_prospect(db.session, name=n, mobile=MOBILE, **kw).id for n in names]
        db.session.commit()
        return ids


def _consent(client, kind, subject_id, partner_id):
    return client.post(
        "/admin/partner-sharing/consent",
        data={"kind": kind, "id": subject_id, "partner_id": partner_id, "purpose": "按揭审批"},
    )


# --- the register ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", access.ROLES)
def test_register_pages_for_every_role(app, client, login_as, role, today):
    partner_id, agreement_id = _bank(app, today)
    login_as(role)
    for key, record in (("partner", partner_id), ("partner_agreement", agreement_id)):
        rights = access.rights_for(role, key)
        for url, letter in (
            (f"/admin/{key}/", access.LIST),
            (f"/admin/{key}/details/?id={record}", access.DETAILS),
            (f"/admin/{key}/new/", access.CREATE),
            (f"/admin/{key}/edit/?id={record}", access.EDIT),
        ):
            response = client.get(url)
            expected = 200 if letter in rights else 403
            assert response.status_code == expected, (role, url, response.status_code)


def test_admin_adds_a_partner_and_an_agreement(app, client, login_as, today):
    login_as("admin")
    response = client.post(
        "/admin/partner/new/",
        data={
            "name": "城东公证处",
            "kind": "notary",
            "contact_name": "钱主任",
            "contact_phone": "13711112222",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.name == "城东公证处"))
        assert partner.contact_phone == "13711112222"
    listing = client.get("/admin/partner/").get_data(as_text=True)
    assert "公证处" in listing and "13711112222" not in listing  # masked in the list
    data = {
        "partner": str(partner.id),
        "reference": "GZ-01",
        "purpose": "公证",
        "fields": ["name", "id_number"],
        "masked_fields": ["mobile"],
        "valid_from": today.isoformat(),
        "valid_to": (today - timedelta(days=1)).isoformat(),
    }
    page = client.post("/admin/partner_agreement/new/", data=data).get_data(as_text=True)
    assert "GZ-01" in page  # kept what was typed
    with app.app_context():
        assert db.session.scalar(select(SharingAgreement)) is None
    data.update(valid_to=(today + timedelta(days=365)).isoformat(), masked_fields=["id_number"])
    response = client.post("/admin/partner_agreement/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        agreement = db.session.scalar(select(SharingAgreement))
        assert agreement.fields == ["name", "id_number"]
        assert agreement.masked_fields == ["id_number"]
    listing = client.get("/admin/partner_agreement/").get_data(as_text=True)
    assert "身份证号" in listing and "生效中" in listing


# --- consent and share from a customer's page ----------------------------------------------------
# (a card's partner sharing is one of its details panels, read after the page:
# views/shared/mixins/links.py details_panels_view)
def test_clerk_records_and_withdraws_consent_on_the_details_page(app, client, login_as, today):
    partner_id, _agreement = _bank(app, today)
    (prospect_id,) = _prospects(app, "上官婉")
    login_as("clerk")
    page = client.get(f"/admin/prospect/details/panels/?id={prospect_id}&partial=1").get_data(
        as_text=True
    )
    assert 'id="partner-shares"' in page and 'id="partner-consent-form"' in page
    assert 'id="share-with-partner"' not in page  # clerks do not share
    assert _consent(client, "prospect", prospect_id, partner_id).status_code == 302
    with app.app_context():
        consent = db.session.scalar(select(PartnerConsent))
        assert (consent.subject_id, consent.partner_id, consent.purpose) == (
            prospect_id,
            partner_id,
            "按揭审批",
        )
        consent_id = consent.id
    response = client.post(
        "/admin/partner-sharing/withdraw", data={"consent_id": consent_id, "note": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(PartnerConsent, consent_id).withdrawn_at is None
    client.post("/admin/partner-sharing/withdraw", data={"consent_id": consent_id, "note": "来电"})
    with app.app_context():
        assert db.session.get(PartnerConsent, consent_id).withdrawn_at is not None
        actions = set(db.session.scalars(select(AccessEvent.action)))
    assert {"partner_consent", "partner_withdraw"} <= actions


def test_supervisor_shares_from_the_page_and_downloads_the_file(app, client, login_as, today):
    partner_id, agreement_id = _bank(app, today)
    allowed, refused = _prospects(app, "上官婉", "欧阳锋")
    login_as("supervisor")
    _consent(client, "prospect", allowed, partner_id)
    details = client.get(f"/admin/prospect/details/panels/?id={allowed}&partial=1").get_data(
        as_text=True
    )
    assert 'id="share-with-partner"' in details
    page = client.get(f"/admin/partner-sharing/?kind=prospect&ids={allowed},{refused}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "上官婉" in text and "欧阳锋" in text and "2026-按揭-001" in text
    result = client.post(
        "/admin/partner-sharing/share",
        data={"kind": "prospect", "ids": f"{allowed},{refused}", "agreement_id": agreement_id},
    )
    body = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "无该合作方的单独同意" in body
    with app.app_context():
        shares = db.session.scalars(select(PartnerShare)).all()
        assert [s.subject_id for s in shares] == [allowed]
        batch = shares[0].batch
        event = db.session.scalar(
            select(AccessEvent).where(AccessEvent.action == "share", AccessEvent.outcome == "ok")
        )
        assert (event.record_type, event.record_id, event.record_ids) == (
            "partner",
            partner_id,
            str(allowed),
        )
    download = client.get(f"/admin/partner-sharing/download?batch={batch}&format=xlsx")
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert rows == [("姓名", "手机"), ("上官婉", "139****5678")]
    csv_file = client.get(f"/admin/partner-sharing/download?batch={batch}&format=csv")
    assert MOBILE not in csv_file.data.decode("utf-8-sig")
    # the customer's page lists the share; the other's does not
    details = client.get(f"/admin/prospect/details/panels/?id={allowed}&partial=1").get_data(
        as_text=True
    )
    assert "建设银行城东支行" in details.split('id="partner-shares"')[1].split("</table>")[0]
    other = client.get(f"/admin/prospect/details/panels/?id={refused}&partial=1").get_data(
        as_text=True
    )
    assert "建设银行城东支行" not in other.split('id="partner-shares"')[1].split("</table>")[0]
    # another account cannot download that share's file
    client.post("/logout")
    login_as("supervisor")
    assert client.get(f"/admin/partner-sharing/download?batch={batch}").status_code == 404


def test_list_action_shares_a_chosen_set(app, client, login_as, today):
    partner_id, agreement_id = _bank(app, today)
    with app.app_context():
        owners = [make_owner(db.session, name=n).id for n in ("陈业主", "林业主")]
        db.session.commit()
    login_as("supervisor")
    _consent(client, "owner", owners[0], partner_id)
    listing = client.get("/admin/owner/").get_data(as_text=True)
    assert "share_partner" in listing
    response = client.post(
        "/admin/owner/action/", data={"action": "share_partner", "rowid": [str(i) for i in owners]}
    )
    assert response.status_code == 302
    assert "/admin/partner-sharing/?kind=owner" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "陈业主" in page and "林业主" in page
    result = client.post(
        "/admin/partner-sharing/share",
        data={"kind": "owner", "ids": ",".join(map(str, owners)), "agreement_id": agreement_id},
    ).get_data(as_text=True)
    assert 'id="shared-customers"' in result
    with app.app_context():
        assert [s.subject_id for s in db.session.scalars(select(PartnerShare))] == [owners[0]]


def test_clerk_has_no_share_action(app, client, login_as, today):
    _bank(app, today)
    (prospect_id,) = _prospects(app, "上官婉")
    login_as("clerk")
    assert "share_partner" not in client.get("/admin/prospect/").get_data(as_text=True)
    response = client.post(
        "/admin/prospect/action/", data={"action": "share_partner", "rowid": [str(prospect_id)]}
    )
    assert response.status_code in (302, 403)
    assert "partner-sharing" not in response.headers.get("Location", "")
    assert client.get(f"/admin/partner-sharing/?kind=prospect&ids={prospect_id}").status_code == 403


def test_expired_agreement_is_not_offered(app, client, login_as, today):
    _bank(app, today, valid_to=today - timedelta(days=1))
    (prospect_id,) = _prospects(app, "上官婉")
    login_as("supervisor")
    page = client.get(f"/admin/partner-sharing/?kind=prospect&ids={prospect_id}")
    assert 'id="no-agreement"' in page.get_data(as_text=True)


def test_supervisor_cannot_share_another_offices_customer(app, client, login_as, today):
    partner_id, agreement_id = _bank(app, today)
    with app.app_context():
        office_b = Office(name="城西办", kind="combined", active=True)
        db.session.add(office_b)
        db.session.flush()
        theirs = make_prospect(db.session, name="乙办客户", office_id=office_b.id)
        db.session.add(
            PartnerConsent(
                subject_type="prospect",
                subject_id=theirs.id,
                partner_id=partner_id,
                purpose="x",
                notice_version="1",
                office_id=office_b.id,
            )
        )
        db.session.commit()
        theirs_id = theirs.id
    login_as("supervisor")  # office A only
    page = client.get(f"/admin/partner-sharing/?kind=prospect&ids={theirs_id}").get_data(
        as_text=True
    )
    assert "乙办客户" not in page and 'id="missing-customers"' in page
    result = client.post(
        "/admin/partner-sharing/share",
        data={"kind": "prospect", "ids": str(theirs_id), "agreement_id": agreement_id},
    ).get_data(as_text=True)
    assert "乙办客户" not in result
    with app.app_context():
        assert db.session.scalar(select(PartnerShare)) is None
    assert _consent(client, "prospect", theirs_id, partner_id).status_code == 404


def test_customer_copy_lists_the_shares(app, client, login_as, today):
    partner_id, agreement_id = _bank(app, today)
    (prospect_id,) = _prospects(app, "上官婉")
    login_as("supervisor")
    _consent(client, "prospect", prospect_id, partner_id)
    client.post(
        "/admin/partner-sharing/share",
        data={"kind": "prospect", "ids": str(prospect_id), "agreement_id": agreement_id},
    )
    with app.app_context():
        request_item = SubjectRequest(
            kind="copy",
            subject_type="prospect",
            subject_id=prospect_id,
            received_on=today,
            due_on=today + timedelta(days=20),
        )
        db.session.add(request_item)
        db.session.commit()
        request_id = request_item.id
    page = client.get(f"/admin/subject_request/copy/print/?id={request_id}")
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    section = text.split("与合作方共享记录")[1]
    assert "建设银行城东支行" in section and "按揭贷款审批" in section and "姓名" in section


def test_a_tenant_is_shared_from_the_list_too(app, client, login_as, today):
    from tests.web.property.test_property_views import make_tenant

    partner_id, agreement_id = _bank(app, today)
    with app.app_context():
        tenant_id = make_tenant(db.session, name="租户甲", mobile=MOBILE).id
        db.session.commit()
    login_as("supervisor")
    panels = f"/admin/tenant/details/panels/?id={tenant_id}&partial=1"
    page = client.get(panels).get_data(as_text=True)
    assert 'id="partner-consent-form"' in page and 'id="share-with-partner"' in page
    _consent(client, "tenant", tenant_id, partner_id)
    response = client.post(
        "/admin/tenant/action/", data={"action": "share_partner", "rowid": [str(tenant_id)]}
    )
    assert "/admin/partner-sharing/?kind=tenant" in response.headers["Location"]
    result = client.post(
        "/admin/partner-sharing/share",
        data={"kind": "tenant", "ids": str(tenant_id), "agreement_id": agreement_id},
    ).get_data(as_text=True)
    assert "租户甲" in result.split('id="shared-customers"')[1].split("</ul>")[0]
