"""A new customer is saved only with the basis they are kept on; a withdrawal is recorded."""

from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.property.property import Owner
from models.sales.prospects import Prospect
from tests.web.property.test_property_views import _owner_form
from tests.web.sales.test_prospect_views import _form


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_a_card_without_consent_is_not_saved_and_keeps_what_was_typed(app, client, login_as):
    login_as("clerk")
    data = _form(app, name="司马光")
    data.pop("consent_given")
    response = client.post("/admin/prospect/new/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="司马光"' in page
    assert "请告知用途并取得客户同意" in page
    assert _count(app, Prospect) == 0 and _count(app, ConsentRecord) == 0


def test_a_card_with_consent_keeps_the_basis_version_and_who(app, client, login_as):
    user_id = login_as("clerk")
    assert client.post("/admin/prospect/new/", data=_form(app)).status_code == 302
    with app.app_context():
        prospect = db.session.scalars(select(Prospect)).one()
        consent = db.session.scalars(select(ConsentRecord)).one()
        assert (consent.subject_type, consent.subject_id, consent.basis) == (
            "prospect",
            prospect.id,
            "consent",
        )
        assert consent.policy_version == app.config["PRIVACY_POLICY_VERSION"]
        assert consent.recorded_by_id == user_id and consent.purpose


def test_an_owner_may_be_kept_on_the_contract(app, client, login_as):
    login_as("clerk")
    assert client.post("/admin/owner/new/", data=_owner_form()).status_code == 302
    with app.app_context():
        owner = db.session.scalars(select(Owner)).one()
        consent = db.session.scalars(select(ConsentRecord)).one()
        assert (consent.subject_type, consent.subject_id, consent.basis) == (
            "owner",
            owner.id,
            "contract",
        )


def test_withdrawal_is_recorded_once_with_a_note(app, client, login_as):
    login_as("clerk")
    client.post("/admin/prospect/new/", data=_form(app))
    with app.app_context():
        prospect_id = db.session.scalar(select(Prospect.id))
        consent_id = db.session.scalar(select(ConsentRecord.id))
    url = f"/admin/prospect/withdraw-consent/?id={prospect_id}"
    panels = f"/admin/prospect/details/panels/?id={prospect_id}&partial=1"
    details = client.get(panels).get_data(as_text=True)
    assert 'id="consents"' in details and 'id="withdraw-consent"' in details
    client.post(url, data={"consent_id": str(consent_id), "note": ""})
    with app.app_context():
        assert db.session.get(ConsentRecord, consent_id).withdrawn_at is None
    client.post(url, data={"consent_id": str(consent_id), "note": "客户来电要求撤回"})
    again = client.post(
        url, data={"consent_id": str(consent_id), "note": "再次"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "already withdrawn" in again or "已撤回" in again
    with app.app_context():
        consent = db.session.get(ConsentRecord, consent_id)
        assert consent.withdrawn_at is not None and consent.withdrawal_note == "客户来电要求撤回"
        events = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "consent_withdraw")
        ).all()
        assert len(events) == 1 and events[0].record_id == prospect_id
    # a consent of another record cannot be withdrawn through this one
    assert client.post(url, data={"consent_id": "999", "note": "x"}).status_code == 404


def test_custodians_cannot_withdraw(app, client, login_as):
    login_as("clerk", username="c1")
    client.post("/admin/prospect/new/", data=_form(app))
    client.post("/logout")
    login_as("custodian")
    with app.app_context():
        prospect_id = db.session.scalar(select(Prospect.id))
    response = client.post(
        f"/admin/prospect/withdraw-consent/?id={prospect_id}", data={"consent_id": "1", "note": "x"}
    )
    assert response.status_code == 403
