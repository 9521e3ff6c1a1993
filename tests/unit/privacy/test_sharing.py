"""The sharing rule (services/privacy/sharing.py): an active agreement, its fields only,
masked where it says, and only customers whose separate consent to that partner stands."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.partners import Partner, PartnerShare, SharingAgreement
from services.privacy import audit, sharing
from tests.factories import make_prospect, make_user
from tests.web.property.test_property_views import make_owner, make_unit

pytestmark = pytest.mark.instant()

MOBILE = "13912345678"
ID_NUMBER = "110105199001011234"


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield db.session


@pytest.fixture
def bank(ctx):
    partner = Partner(name="建设银行城东支行", kind="bank", contact_name="赵经理")
    ctx.add(partner)
    ctx.flush()
    return partner


def _agreement(session, partner, today, **kw) -> SharingAgreement:
    values = {
        "partner": partner,
        "reference": "2026-按揭-001",
        "purpose": "按揭贷款审批",
        "fields": ["name", "mobile", "id_number", "units"],
        "masked_fields": ["id_number"],
        "valid_from": today - timedelta(days=30),
        "valid_to": today + timedelta(days=300),
    }
    values.update(kw)
    agreement = SharingAgreement(**values)
    session.add(agreement)
    session.flush()
    return agreement


def _actor(user):
    return audit.Actor(user.id, user.username, user.role_code)


@pytest.fixture
def supervisor(ctx):
    return make_user(ctx, "supervisor")


def _consent(session, user, customer, partner, kind="owner"):
    return sharing.record_consent(
        session,
        user,
        _actor(user),
        subject_type=kind,
        subject_id=customer.id,
        partner_id=partner.id,
        purpose="按揭贷款审批",
        notice_version="2026-01",
    )


def test_allowed_with_consent_under_an_active_agreement(ctx, bank, supervisor, today):
    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx, mobile=MOBILE, id_number=ID_NUMBER)
    make_unit(ctx, owner)
    _consent(ctx, supervisor, owner, bank)
    result = sharing.share(
        ctx,
        supervisor,
        _actor(supervisor),
        agreement_id=agreement.id,
        subject_type="owner",
        subject_ids=[owner.id],
    )
    assert [c.id for c in result.decision.allowed] == [owner.id]
    assert result.decision.refused == []
    row = ctx.scalar(select(PartnerShare))
    assert (row.partner_id, row.subject_id, row.batch) == (bank.id, owner.id, result.batch)
    assert row.fields == ["name", "mobile", "id_number", "units"]
    assert row.office_id == owner.office_id
    event = ctx.scalar(select(AccessEvent).where(AccessEvent.action == "share"))
    assert (event.record_type, event.record_id, event.record_ids) == (
        "partner",
        bank.id,
        str(owner.id),
    )
    assert event.outcome == "ok"
    assert sharing.shares_per_partner(
        ctx, row.shared_at - timedelta(minutes=1), row.shared_at + timedelta(minutes=1)
    ) == {bank.id: 1}


def test_no_consent_is_refused_and_logged(ctx, bank, supervisor, today):
    agreement = _agreement(ctx, bank, today)
    with_consent, without = make_owner(ctx), make_owner(ctx)
    _consent(ctx, supervisor, with_consent, bank)
    result = sharing.share(
        ctx,
        supervisor,
        _actor(supervisor),
        agreement_id=agreement.id,
        subject_type="owner",
        subject_ids=[with_consent.id, without.id],
    )
    assert [c.id for c in result.decision.allowed] == [with_consent.id]
    assert [(r.subject_id, r.reason) for r in result.decision.refused] == [
        (without.id, "no_consent")
    ]
    assert [r.subject_id for r in ctx.scalars(select(PartnerShare))] == [with_consent.id]
    denied = ctx.scalar(select(AccessEvent).where(AccessEvent.outcome == "denied"))
    assert (denied.action, denied.record_ids) == ("share", str(without.id))


def test_consent_to_another_partner_does_not_count(ctx, bank, supervisor, today):
    notary = Partner(name="城东公证处", kind="notary")
    ctx.add(notary)
    ctx.flush()
    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)
    _consent(ctx, supervisor, owner, notary)
    decision = sharing.decide(ctx, supervisor, agreement, "owner", [owner.id])
    assert [r.reason for r in decision.refused] == ["no_consent"]


def test_a_withdrawal_ends_every_standing_consent_to_that_partner(ctx, bank, supervisor, today):
    """Two consents recorded at the same moment (two clicks pass the 'already given' check
    together) must not leave one standing that keeps sharing going after a withdrawal."""
    from models.privacy.partners import PartnerConsent

    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)
    first = _consent(ctx, supervisor, owner, bank)
    twin = PartnerConsent(
        subject_type="owner",
        subject_id=owner.id,
        partner_id=bank.id,
        purpose=first.purpose,
        notice_version=first.notice_version,
        recorded_by_id=supervisor.id,
        office_id=owner.office_id,
    )
    ctx.add(twin)
    ctx.flush()
    sharing.withdraw_consent(ctx, supervisor, _actor(supervisor), first.id, "电话撤回")
    ctx.refresh(twin)
    assert twin.withdrawn_at is not None
    decision = sharing.decide(ctx, supervisor, agreement, "owner", [owner.id])
    assert decision.allowed == []


def test_withdrawn_consent_stops_sharing(ctx, bank, supervisor, today):
    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)
    consent = _consent(ctx, supervisor, owner, bank)
    sharing.withdraw_consent(ctx, supervisor, _actor(supervisor), consent.id, "电话撤回")
    assert consent.withdrawn_at is not None and consent.withdrawal_note == "电话撤回"
    decision = sharing.decide(ctx, supervisor, agreement, "owner", [owner.id])
    assert decision.allowed == []
    assert [r.reason for r in decision.refused] == ["consent_withdrawn"]
    assert decision.refused[0].label
    # kept, never deleted; the withdrawal is logged
    assert sharing.consents_for(ctx, "owner", owner.id) == [consent]
    event = ctx.scalar(select(AccessEvent).where(AccessEvent.action == "partner_withdraw"))
    assert (event.record_type, event.record_id) == ("owner", owner.id)
    with pytest.raises(sharing.AlreadyWithdrawn):
        sharing.withdraw_consent(ctx, supervisor, _actor(supervisor), consent.id, "again")
    # a new consent after a withdrawal is on file again
    _consent(ctx, supervisor, owner, bank)
    assert sharing.decide(ctx, supervisor, agreement, "owner", [owner.id]).allowed == [owner]


def test_expired_yesterday_shares_nothing(ctx, bank, supervisor, today):
    expired = _agreement(
        ctx, bank, today, valid_from=today - timedelta(days=365), valid_to=today - timedelta(1)
    )
    owner = make_owner(ctx)
    _consent(ctx, supervisor, owner, bank)
    result = sharing.share(
        ctx,
        supervisor,
        _actor(supervisor),
        agreement_id=expired.id,
        subject_type="owner",
        subject_ids=[owner.id],
    )
    assert result.batch is None and result.decision.allowed == []
    assert [r.reason for r in result.decision.refused] == ["agreement_expired"]
    assert ctx.scalar(select(PartnerShare)) is None
    assert expired not in sharing.active_agreements(ctx)
    # the last day itself still shares
    last_day = _agreement(ctx, bank, today, reference="B", valid_to=today)
    assert sharing.agreement_state(last_day, today) == "active"
    assert sharing.decide(ctx, supervisor, last_day, "owner", [owner.id]).allowed == [owner]


def test_not_yet_valid(ctx, bank, supervisor, today):
    future = _agreement(ctx, bank, today, valid_from=today + timedelta(1))
    owner = make_owner(ctx)
    _consent(ctx, supervisor, owner, bank)
    decision = sharing.decide(ctx, supervisor, future, "owner", [owner.id])
    assert [r.reason for r in decision.refused] == ["agreement_not_yet_valid"]


def _file_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_only_the_agreements_fields_masked_where_it_says(ctx, bank, supervisor, today):
    agreement = _agreement(
        ctx, bank, today, fields=["name", "id_number"], masked_fields=["id_number"]
    )
    owner = make_owner(ctx, name="陈大文", mobile=MOBILE, id_number=ID_NUMBER, address="城东路1号")
    _consent(ctx, supervisor, owner, bank)
    decision = sharing.decide(ctx, supervisor, agreement, "owner", [owner.id])
    rows = _file_rows(sharing.write_file(decision, "xlsx"))
    assert rows == [["姓名", "身份证号"], ["陈大文", "110105********1234"]]
    text = sharing.write_file(decision, "csv").decode("utf-8-sig")
    assert MOBILE not in text and ID_NUMBER not in text and "城东路" not in text
    assert list(csv.reader(io.StringIO(text)))[1] == ["陈大文", "110105********1234"]


def test_masked_phone_and_name(ctx, bank, supervisor, today):
    agreement = _agreement(
        ctx, bank, today, fields=["name", "mobile"], masked_fields=["name", "mobile"]
    )
    prospect = make_prospect(ctx, name="王小明", mobile=MOBILE)
    _consent(ctx, supervisor, prospect, bank, kind="prospect")
    decision = sharing.decide(ctx, supervisor, agreement, "prospect", [prospect.id])
    assert _file_rows(sharing.write_file(decision))[1] == ["王**", "139****5678"]


def test_a_field_the_kind_lacks_is_not_given(ctx, bank, supervisor, today):
    # id_number is in the agreement, but a prospect has none: never a column of its file
    agreement = _agreement(ctx, bank, today, fields=["name", "id_number", "budget_wan"])
    assert sharing.fields_for(agreement, "prospect") == ["name", "budget_wan"]
    assert sharing.fields_for(agreement, "owner") == ["name", "id_number"]


def test_another_offices_customer_is_not_found(ctx, bank, today):
    from models.admin.offices import Office

    other = Office(name="城西办", kind="combined", active=True)
    ctx.add(other)
    ctx.flush()
    supervisor_b = make_user(ctx, "supervisor", offices=[other])
    supervisor_a = make_user(ctx, "supervisor")
    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)  # the default office (A)
    _consent(ctx, supervisor_a, owner, bank)
    decision = sharing.decide(ctx, supervisor_b, agreement, "owner", [owner.id])
    assert decision.allowed == [] and [r.reason for r in decision.refused] == ["not_found"]
    with pytest.raises(sharing.NoSuchCustomer):
        _consent(ctx, supervisor_b, owner, bank)


def test_consent_twice_is_refused(ctx, bank, supervisor):
    owner = make_owner(ctx)
    _consent(ctx, supervisor, owner, bank)
    with pytest.raises(sharing.AlreadyGiven):
        _consent(ctx, supervisor, owner, bank)
    event = ctx.scalar(select(AccessEvent).where(AccessEvent.action == "partner_consent"))
    assert (event.record_type, event.record_id) == ("owner", owner.id)


def test_the_lockdown_stops_shares(ctx, bank, supervisor, today):
    from services.admin import lockdown

    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)
    _consent(ctx, supervisor, owner, bank)
    admin = make_user(ctx, "admin")
    lockdown.lock(ctx, admin, _actor(admin), mode=lockdown.READ_ONLY, note="疑似泄露，先隔离")
    ctx.commit()  # the lockdown is read from the database, as another worker would
    with pytest.raises(sharing.SharingStopped):
        sharing.share(
            ctx,
            supervisor,
            _actor(supervisor),
            agreement_id=agreement.id,
            subject_type="owner",
            subject_ids=[owner.id],
        )
    lockdown.lift(ctx, admin, _actor(admin), note="已查明，恢复")
    ctx.commit()
    outcome = sharing.share(
        ctx,
        supervisor,
        _actor(supervisor),
        agreement_id=agreement.id,
        subject_type="owner",
        subject_ids=[owner.id],
    )
    assert [o.id for o in outcome.decision.allowed] == [owner.id] and outcome.batch


def test_a_customer_whose_basis_is_withdrawn_is_not_shared(ctx, bank, supervisor, today):
    from services.privacy import consent as bases

    agreement = _agreement(ctx, bank, today)
    owner = make_owner(ctx)
    basis = bases.record(
        ctx,
        supervisor,
        subject_type="owner",
        subject_id=owner.id,
        basis="consent",
        purpose="p",
        policy_version="1",
    )
    _consent(ctx, supervisor, owner, bank)
    bases.withdraw(ctx, supervisor, basis.id, "来电")
    decision = sharing.decide(ctx, supervisor, agreement, "owner", [owner.id])
    assert [r.reason for r in decision.refused] == ["basis_withdrawn"]


def test_a_consultant_records_consent_only_on_a_card_they_may_open(ctx, bank):
    """A clerk opens their own, shared and the pool's cards: another consultant's card is
    not found for recording (or withdrawing) a consent, as on its page."""
    mine, theirs = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    their_card = make_prospect(ctx, consultant_id=theirs.id)
    pool_card = make_prospect(ctx, consultant_id=None)
    with pytest.raises(sharing.NoSuchCustomer):
        _consent(ctx, mine, their_card, bank, kind="prospect")
    assert _consent(ctx, mine, pool_card, bank, kind="prospect").subject_id == pool_card.id
    assert _consent(ctx, theirs, their_card, bank, kind="prospect").subject_id == their_card.id
