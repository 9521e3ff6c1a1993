"""The demo office's partners (issue 19): a bank for mortgages and a notary, each with an
active data-sharing agreement, the bank's previous agreement expired, a few customers'
separate consents to share (one of them withdrawn) and one share already made."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import office_today
from models.admin.people import User
from models.base import utcnow
from models.privacy.partners import Partner, PartnerConsent, PartnerShare, SharingAgreement
from models.property.property import Owner
from models.sales.prospects import Prospect

NOTICE_VERSION = "2026-01"
BANK_PURPOSE = "按揭贷款申请与审批"
NOTARY_PURPOSE = "购房合同公证"


def seed(session: Session, *, users: dict[str, User]) -> None:
    today = office_today()
    supervisor = users.get("supervisor1")
    clerk = users.get("clerk1")
    bank = Partner(
        name="建设银行城东支行",
        kind="bank",
        contact_name="赵经理",
        contact_phone="13800138000",
        notes="按揭合作银行",
    )
    notary = Partner(
        name="城东公证处", kind="notary", contact_name="钱主任", contact_phone="020-87654321"
    )
    session.add_all([bank, notary])
    session.flush()
    expired = SharingAgreement(
        partner=bank,
        reference="2025-按揭-001",
        purpose=BANK_PURPOSE,
        fields=["name", "mobile", "id_number", "units"],
        masked_fields=["id_number"],
        valid_from=today - timedelta(days=400),
        valid_to=today - timedelta(days=35),
        partner_contact="赵经理（个贷部）",
        confidentiality_clause="第七条 保密义务",
    )
    current = SharingAgreement(
        partner=bank,
        reference="2026-按揭-001",
        purpose=BANK_PURPOSE,
        fields=["name", "mobile", "id_number", "budget_wan", "project", "units"],
        masked_fields=["id_number"],
        valid_from=today - timedelta(days=34),
        valid_to=today + timedelta(days=330),
        partner_contact="赵经理（个贷部）",
        confidentiality_clause="第七条 保密义务",
    )
    notarial = SharingAgreement(
        partner=notary,
        reference="2026-公证-003",
        purpose=NOTARY_PURPOSE,
        fields=["name", "id_number", "address", "units"],
        masked_fields=[],
        valid_from=today - timedelta(days=90),
        valid_to=today + timedelta(days=275),
        partner_contact="钱主任",
        confidentiality_clause="第五条",
    )
    session.add_all([expired, current, notarial])
    session.flush()

    by = supervisor.id if supervisor else None
    prospects = session.scalars(select(Prospect).order_by(Prospect.id).limit(4)).all()
    owners = session.scalars(select(Owner).order_by(Owner.id).limit(2)).all()
    consents = []
    for customer, kind in [(p, "prospect") for p in prospects[:3]] + [(o, "owner") for o in owners]:
        consents.append(
            PartnerConsent(
                subject_type=kind,
                subject_id=customer.id,
                partner_id=bank.id,
                purpose=BANK_PURPOSE,
                notice_version=NOTICE_VERSION,
                recorded_by_id=clerk.id if clerk else by,
                office_id=customer.office_id,
            )
        )
    for owner in owners[:1]:
        consents.append(
            PartnerConsent(
                subject_type="owner",
                subject_id=owner.id,
                partner_id=notary.id,
                purpose=NOTARY_PURPOSE,
                notice_version=NOTICE_VERSION,
                recorded_by_id=by,
                office_id=owner.office_id,
            )
        )
    if len(consents) >= 3:
        # the third customer withdrew by phone: nothing more goes to the bank
        consents[2].withdrawn_at = utcnow()
        consents[2].withdrawn_by_id = by
        consents[2].withdrawal_note = "客户来电撤回"
    session.add_all(consents)
    if prospects:
        first = prospects[0]
        session.add(
            PartnerShare(
                batch=uuid.uuid4().hex,
                partner_id=bank.id,
                agreement_id=current.id,
                subject_type="prospect",
                subject_id=first.id,
                fields=["name", "mobile", "budget_wan", "project"],
                masked_fields=[],
                shared_at=utcnow() - timedelta(days=3),
                shared_by_id=by,
                office_id=first.office_id,
            )
        )
    session.flush()
