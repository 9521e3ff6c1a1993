"""Sharing customers' data with a partner (PIPL art. 23): the one rule.

A customer's data goes to a partner only
- under an agreement active on the office's date (valid_from <= today <= valid_to: an
  agreement that ended yesterday shares nothing),
- with the agreement's fields only (those the customer's kind has), masked where it says,
- for customers the acting account sees (their offices) whose separate consent to that
  partner is on file and not withdrawn.

``decide`` says, for each customer, whether they may be shared and why not; ``share``
records the shares and the access events (never commits: one transaction per action, the
view's); ``write_file`` produces the file in memory (XLSX through openpyxl's write-only
workbook, or CSV), never on disk. Every share is an access event ``share`` whose record is the
partner (record_type "partner", record_id its id) and whose record_ids are the customers.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import office_today
from core.masking import export_cell, kind_of, mask
from models.admin.people import User
from models.base import utcnow
from models.privacy.partners import (
    PARTNER_KINDS,
    Partner,
    PartnerConsent,
    PartnerShare,
    SharingAgreement,
)
from models.property.property import Owner, Tenant
from models.sales.prospects import Prospect
from services.admin import lockdown
from services.admin.offices import office_clause
from services.privacy import audit
from services.privacy import consent as bases
from services.sales.ownership import card_clause

#: The access-log actions of this module.
SHARE_ACTION = "share"
CONSENT_ACTION = "partner_consent"
WITHDRAW_ACTION = "partner_withdraw"
DOWNLOAD_ACTION = "share_download"
#: The record type of a share event: the partner (record_id), the customers in record_ids.
PARTNER_RECORD = "partner"

PARTNER_KIND_LABELS = {
    "bank": _l("Bank (mortgages)"),
    "notary": _l("Notary"),
    "referral": _l("Referral partner"),
    "agency": _l("Property agency"),
}
assert set(PARTNER_KIND_LABELS) == set(PARTNER_KINDS)

#: Customers whose data may be shared, by kind.
MODELS = {"prospect": Prospect, "owner": Owner, "tenant": Tenant}
SUBJECT_LABELS = {"prospect": _l("Prospect"), "owner": _l("Owner"), "tenant": _l("Tenant")}

#: Every field code an agreement may name, with its label.
FIELD_LABELS = {
    "name": _l("Name"),
    "mobile": _l("Mobile"),
    "landline": _l("Landline"),
    "id_number": _l("ID number"),
    "address": _l("Address"),
    "project": _l("Intended project"),
    "budget_wan": _l("Budget (10k yuan)"),
    "purpose": _l("Purpose"),
    "timeframe": _l("Purchase timeframe"),
    "units": _l("Units owned"),
}
#: The fixed list of field codes each kind of customer has, in the file's column order.
FIELDS: dict[str, tuple[str, ...]] = {
    "prospect": ("name", "mobile", "landline", "project", "budget_wan", "purpose", "timeframe"),
    "owner": ("name", "mobile", "landline", "id_number", "address", "units"),
    "tenant": ("name", "mobile", "id_number"),
}
FIELD_CHOICES = [(code, label) for code, label in FIELD_LABELS.items()]

#: Why a customer is not shared.
REASONS = {
    "no_consent": _l("No separate consent to this partner on file"),
    "consent_withdrawn": _l("The customer withdrew the consent to this partner"),
    "agreement_expired": _l("The agreement has expired"),
    "agreement_not_yet_valid": _l("The agreement is not yet valid"),
    "not_found": _l("Customer not found in your offices"),
    "basis_withdrawn": _l("The customer withdrew the consent to keep their data"),
}
#: How long after a share its file may be downloaded again (by the one who shared).
DOWNLOAD_WINDOW = timedelta(hours=1)


class SharingError(Exception):
    message = _l("This share cannot be made.")


class SharingStopped(SharingError):
    message = _l("Sharing with partners is stopped for now.")


class NoSuchAgreement(SharingError):
    message = _l("Choose an agreement with the partner.")


class NoSuchCustomer(SharingError):
    message = _l("Customer not found in your offices.")


class MissingNote(SharingError):
    message = _l("Say how the customer withdrew (a call, a letter, at the desk...).")


class AlreadyWithdrawn(SharingError):
    message = _l("This consent was already withdrawn.")


class AlreadyGiven(SharingError):
    message = _l("The customer's consent to this partner is already on file.")


class MissingPurpose(SharingError):
    message = _l("Say the purpose the customer was told.")


# --- the lockdown's single call site -----------------------------------------------------------
def ensure_sharing_allowed(session: Session) -> None:
    """Raise SharingStopped while the panel is in lockdown (services/admin/lockdown.py).

    Every share (and every re-download of a share's file) passes here first."""
    if lockdown.is_active(session):
        raise SharingStopped()


# --- agreements ---------------------------------------------------------------------------------
def agreement_state(agreement: SharingAgreement, today: date | None = None) -> str:
    """active, expired or not_yet_valid on ``today`` (the office's date)."""
    today = today or office_today()
    if today < agreement.valid_from:
        return "not_yet_valid"
    if today > agreement.valid_to:
        return "expired"
    return "active"


def active_agreements(
    session: Session, today: date | None = None, *, subject_type: str | None = None
) -> list[SharingAgreement]:
    """Agreements valid on ``today``, by partner name; with ``subject_type``, only those
    giving that kind of customer at least one field."""
    today = today or office_today()
    rows = session.scalars(
        select(SharingAgreement)
        .join(Partner)
        .where(SharingAgreement.valid_from <= today, SharingAgreement.valid_to >= today)
        .order_by(Partner.name, SharingAgreement.valid_from, SharingAgreement.id)
    ).all()
    if subject_type is None:
        return list(rows)
    return [a for a in rows if fields_for(a, subject_type)]


def fields_for(agreement: SharingAgreement, subject_type: str) -> list[str]:
    """The agreement's fields this kind of customer has, in the file's order."""
    allowed = set(agreement.fields or ())
    return [code for code in FIELDS.get(subject_type, ()) if code in allowed]


def masked_for(agreement: SharingAgreement, subject_type: str) -> list[str]:
    masked = set(agreement.masked_fields or ())
    return [code for code in fields_for(agreement, subject_type) if code in masked]


# --- consents -----------------------------------------------------------------------------------
def consents_for(session: Session, subject_type: str, subject_id: int) -> list[PartnerConsent]:
    return list(
        session.scalars(
            select(PartnerConsent)
            .where(
                PartnerConsent.subject_type == subject_type,
                PartnerConsent.subject_id == subject_id,
            )
            .order_by(PartnerConsent.given_at, PartnerConsent.id)
        )
    )


def load_customer(session: Session, user: User, subject_type: str, subject_id: int):
    """The customer if ``user`` sees it (their offices; a consultant's cards), else
    NoSuchCustomer."""
    model = MODELS.get(subject_type)
    if model is None:
        raise NoSuchCustomer()
    query = select(model).where(model.id == subject_id, office_clause(model.office_id, user))
    if model is Prospect:
        # A consultant opens their own, shared and the pool's cards only (as the card's page).
        query = query.where(card_clause(user))
    customer = session.scalar(query)
    if customer is None:
        raise NoSuchCustomer()
    return customer


def record_consent(
    session: Session,
    user: User,
    actor: audit.Actor,
    *,
    subject_type: str,
    subject_id: int,
    partner_id: int,
    purpose: str,
    notice_version: str,
) -> PartnerConsent:
    """The customer's separate consent to share with one partner (logged)."""
    customer = load_customer(session, user, subject_type, subject_id)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NoSuchAgreement()
    purpose = (purpose or "").strip()
    if not purpose:
        raise MissingPurpose()
    standing = session.scalar(
        select(PartnerConsent.id).where(
            PartnerConsent.subject_type == subject_type,
            PartnerConsent.subject_id == customer.id,
            PartnerConsent.partner_id == partner.id,
            PartnerConsent.withdrawn_at.is_(None),
        )
    )
    if standing is not None:
        raise AlreadyGiven()
    consent = PartnerConsent(
        subject_type=subject_type,
        subject_id=customer.id,
        partner_id=partner.id,
        purpose=purpose[:1000],
        notice_version=notice_version,
        recorded_by_id=user.id,
        office_id=customer.office_id,
    )
    session.add(consent)
    session.flush()
    audit.record(session, actor, CONSENT_ACTION, record_type=subject_type, record_id=customer.id)
    return consent


def withdraw_consent(
    session: Session, user: User, actor: audit.Actor, consent_id: int, note: str
) -> PartnerConsent:
    """Record the withdrawal (the consent row is kept); further shares stop (logged)."""
    consent = session.get(PartnerConsent, consent_id)
    if consent is None:
        raise NoSuchCustomer()
    load_customer(session, user, consent.subject_type, consent.subject_id)
    note = (note or "").strip()
    if not note:
        raise MissingNote()
    # Every standing consent of this customer to this partner: two recorded at the same
    # moment (two clicks) must not leave one standing that keeps sharing going.
    done = session.execute(
        update(PartnerConsent)
        .where(
            PartnerConsent.subject_type == consent.subject_type,
            PartnerConsent.subject_id == consent.subject_id,
            PartnerConsent.partner_id == consent.partner_id,
            PartnerConsent.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=utcnow(), withdrawn_by_id=user.id, withdrawal_note=note[:500])
        .execution_options(synchronize_session=False)
    )
    if done.rowcount < 1:
        raise AlreadyWithdrawn()
    session.refresh(consent)
    audit.record(
        session,
        actor,
        WITHDRAW_ACTION,
        record_type=consent.subject_type,
        record_id=consent.subject_id,
    )
    return consent


# --- the rule -----------------------------------------------------------------------------------
@dataclass
class Refusal:
    subject_id: int
    reason: str
    #: The customer, when the account sees it (its name is shown on the result page).
    customer: object | None = None

    @property
    def label(self) -> str:
        return str(REASONS[self.reason])


@dataclass
class Decision:
    agreement: SharingAgreement
    subject_type: str
    allowed: list = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)


def decide(
    session: Session,
    user: User,
    agreement: SharingAgreement,
    subject_type: str,
    subject_ids: Iterable[int],
    today: date | None = None,
) -> Decision:
    """Who of ``subject_ids`` may be shared under ``agreement`` today, and why not the others."""
    today = today or office_today()
    model = MODELS.get(subject_type)
    if model is None:
        raise NoSuchCustomer()
    ids = list(dict.fromkeys(int(i) for i in subject_ids))
    decision = Decision(
        agreement,
        subject_type,
        fields=fields_for(agreement, subject_type),
        masked=masked_for(agreement, subject_type),
    )
    found = {
        row.id: row
        for row in session.scalars(
            select(model).where(model.id.in_(ids), office_clause(model.office_id, user))
        )
    }
    consents: dict[int, list[PartnerConsent]] = {}
    for consent in session.scalars(
        select(PartnerConsent).where(
            PartnerConsent.subject_type == subject_type,
            PartnerConsent.subject_id.in_(list(found) or [0]),
            PartnerConsent.partner_id == agreement.partner_id,
        )
    ):
        consents.setdefault(consent.subject_id, []).append(consent)
    state = agreement_state(agreement, today)
    # A customer whose consent to keep the data is withdrawn leaves exports and prints
    # (services/privacy/consent.py): no partner receives them either.
    no_basis = bases.withdrawn_ids(session, model, subject_type, list(found))
    for subject_id in ids:
        customer = found.get(subject_id)
        if customer is None:
            decision.refused.append(Refusal(subject_id, "not_found"))
            continue
        if state != "active":
            reason = "agreement_expired" if state == "expired" else "agreement_not_yet_valid"
            decision.refused.append(Refusal(subject_id, reason, customer))
            continue
        if subject_id in no_basis:
            decision.refused.append(Refusal(subject_id, "basis_withdrawn", customer))
            continue
        given = consents.get(subject_id, [])
        if any(c.withdrawn_at is None for c in given):
            decision.allowed.append(customer)
        elif given:
            decision.refused.append(Refusal(subject_id, "consent_withdrawn", customer))
        else:
            decision.refused.append(Refusal(subject_id, "no_consent", customer))
    return decision


@dataclass
class ShareResult:
    decision: Decision
    batch: str | None


def share(
    session: Session,
    user: User,
    actor: audit.Actor,
    *,
    agreement_id: int,
    subject_type: str,
    subject_ids: Iterable[int],
    path: str | None = None,
    today: date | None = None,
) -> ShareResult:
    """Share the allowed customers with the agreement's partner: one PartnerShare row per
    customer and one ``share`` access event naming the partner (a second, ``denied``, lists
    the refused). Never commits."""
    ensure_sharing_allowed(session)
    agreement = session.get(SharingAgreement, agreement_id) if agreement_id else None
    if agreement is None:
        raise NoSuchAgreement()
    decision = decide(session, user, agreement, subject_type, subject_ids, today)
    batch = None
    if decision.allowed:
        batch = uuid.uuid4().hex
        now = utcnow()
        for customer in decision.allowed:
            session.add(
                PartnerShare(
                    batch=batch,
                    partner_id=agreement.partner_id,
                    agreement_id=agreement.id,
                    subject_type=subject_type,
                    subject_id=customer.id,
                    fields=list(decision.fields),
                    masked_fields=list(decision.masked),
                    shared_at=now,
                    shared_by_id=user.id,
                    office_id=customer.office_id,
                )
            )
        session.flush()
        audit.record(
            session,
            actor,
            SHARE_ACTION,
            record_type=PARTNER_RECORD,
            record_id=agreement.partner_id,
            record_ids=[c.id for c in decision.allowed],
            path=path,
        )
    if decision.refused:
        audit.record(
            session,
            actor,
            SHARE_ACTION,
            record_type=PARTNER_RECORD,
            record_id=agreement.partner_id,
            record_ids=[r.subject_id for r in decision.refused],
            outcome="denied",
            path=path,
        )
    return ShareResult(decision, batch)


def batch_rows(session: Session, user: User, batch: str) -> list[PartnerShare]:
    """The rows of one share action made by ``user`` within DOWNLOAD_WINDOW, else []."""
    rows = list(
        session.scalars(
            select(PartnerShare)
            .where(
                PartnerShare.batch == batch,
                PartnerShare.shared_by_id == user.id,
                PartnerShare.shared_at >= utcnow() - DOWNLOAD_WINDOW,
            )
            .order_by(PartnerShare.id)
        )
    )
    return rows


def download(
    session: Session, user: User, actor: audit.Actor, batch: str, *, path: str | None = None
) -> Decision | None:
    """The customers of a share action still allowed now (consent standing, agreement
    active), for its file; logged. None when the batch is not the user's or too old."""
    ensure_sharing_allowed(session)
    rows = batch_rows(session, user, batch)
    if not rows:
        return None
    agreement = rows[0].agreement
    decision = decide(session, user, agreement, rows[0].subject_type, [r.subject_id for r in rows])
    # The file carries what was shared then, never a field added to the agreement since.
    decision.fields = [c for c in decision.fields if c in set(rows[0].fields)]
    masked = set(decision.masked) | set(rows[0].masked_fields)
    decision.masked = [c for c in decision.fields if c in masked]
    audit.record(
        session,
        actor,
        DOWNLOAD_ACTION,
        record_type=PARTNER_RECORD,
        record_id=agreement.partner_id,
        record_ids=[c.id for c in decision.allowed],
        path=path,
    )
    return decision


# --- the file -----------------------------------------------------------------------------------
def _mask_name(value: str) -> str:
    text = str(value)
    return text[:1] + "*" * max(len(text) - 1, 1) if text else ""


def _mask_text(value: str) -> str:
    text = str(value)
    keep = min(6, len(text) // 2)
    return text[:keep] + "*" * 4 if text else ""


def field_value(customer, code: str):
    """The value of field ``code`` of ``customer`` as the partner reads it (unmasked)."""
    if code == "units":
        units = [
            str(o.unit)
            for o in sorted(customer.ownerships, key=lambda o: (o.started_on, o.id))
            if o.ended_on is None
        ]
        return "; ".join(units)
    value = getattr(customer, code, None)
    if value is None:
        return ""
    return value if isinstance(value, int | float | date) else str(value)


def shared_value(customer, code: str, masked: bool):
    value = field_value(customer, code)
    if not masked or value in ("", None):
        return value
    if kind_of(code):
        return mask(code, value)
    if code == "name":
        return _mask_name(value)
    return _mask_text(str(value))


def rows_for(decision: Decision) -> tuple[list[str], list[list]]:
    """Header and rows of the file: only the decision's fields, masked where it says."""
    masked = set(decision.masked)
    header = [str(FIELD_LABELS[code]) for code in decision.fields]
    rows = [
        [shared_value(customer, code, code in masked) for code in decision.fields]
        for customer in decision.allowed
    ]
    return header, rows


def write_file(decision: Decision, kind: str = "xlsx") -> bytes:
    """The file for the partner, built in memory (never written to disk)."""
    header, rows = rows_for(decision)
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([export_cell("", value) for value in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Shared data"))[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([export_cell("", value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- what a customer's page and copy show, and the compliance count -----------------------------
def shares_for(session: Session, subject_type: str, subject_id: int) -> list[PartnerShare]:
    """Every share of one customer's data, newest first."""
    return list(
        session.scalars(
            select(PartnerShare)
            .where(
                PartnerShare.subject_type == subject_type,
                PartnerShare.subject_id == subject_id,
            )
            .order_by(PartnerShare.shared_at.desc(), PartnerShare.id.desc())
        )
    )


def shares_per_partner(
    session: Session, start: datetime, end: datetime, *, office_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """How many customers were shared with each partner in [start, end) (naive UTC times):
    {partner_id: count}; ``office_ids`` limits it to those offices' customers."""
    query = (
        select(PartnerShare.partner_id, func.count(PartnerShare.id))
        .where(PartnerShare.shared_at >= start, PartnerShare.shared_at < end)
        .group_by(PartnerShare.partner_id)
    )
    if office_ids is not None:
        query = query.where(PartnerShare.office_id.in_(list(office_ids) or [0]))
    return {partner_id: count for partner_id, count in session.execute(query)}


def field_labels(codes: Iterable[str]) -> str:
    return ", ".join(str(FIELD_LABELS.get(code, code)) for code in codes)
