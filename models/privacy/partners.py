"""Partners and sharing a customer's data with them (PIPL art. 23): the register of partners
(banks for mortgages, notaries, referral partners, agencies), each one's data-sharing
agreements, the customer's separate consent to share with one partner, and every share made.

The rule (what may be shared, with whom, and why a customer is refused) lives in
services/privacy/sharing.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, OfficeOwnedMixin, intpk, utcnow
from models.types import EncryptedString

#: bank: mortgages; notary; referral: a referral partner (the partner store, the mall);
#: agency: a property agency.
PARTNER_KINDS = ("bank", "notary", "referral", "agency")
#: The customers whose data may be shared (services/privacy/sharing.FIELDS).
SHARE_SUBJECT_TYPES = ("prospect", "owner", "tenant")
_SUBJECT_TABLES = {"prospect": "prospects", "owner": "owners", "tenant": "tenants"}
_SUBJECTS_SQL = ",".join(f"'{kind}'" for kind in SHARE_SUBJECT_TYPES)


class Partner(AuditedMixin, Base):
    """A company the office shares customers' data with (group-level register)."""

    __tablename__ = "partners"
    __table_args__ = (
        CheckConstraint("kind IN ('bank','notary','referral','agency')", name="kind"),
    )

    id: Mapped[intpk]
    #: The company's name, e.g. 建设银行城东支行.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: bank, notary, referral or agency (PARTNER_KINDS).
    kind: Mapped[str] = mapped_column(String(12))
    #: The partner's contact person (a person's name).
    contact_name: Mapped[str | None] = mapped_column(String(50))
    #: The contact's phone (personal data, encrypted).
    contact_phone: Mapped[str | None] = mapped_column(EncryptedString("partners.contact_phone", 30))
    #: Free notes about the partner.
    notes: Mapped[str | None] = mapped_column(Text)

    agreements: Mapped[list[SharingAgreement]] = relationship(
        back_populates="partner", order_by="SharingAgreement.valid_from"
    )

    def __str__(self) -> str:
        return self.name


class SharingAgreement(AuditedMixin, Base):
    """A signed data-sharing agreement with a partner: the purpose, the fields it may
    receive, which of them go masked, and the days it is valid (both ends included)."""

    __tablename__ = "sharing_agreements"
    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="valid_range"),
        Index(None, "partner_id", "valid_to"),
    )

    id: Mapped[intpk]
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    #: The agreement's own number or title, e.g. 2026-按揭-001.
    reference: Mapped[str] = mapped_column(String(50))
    #: Why the partner receives the data (told to the customer with the consent).
    purpose: Mapped[str] = mapped_column(Text)
    #: Field codes the partner may receive (services/privacy/sharing.FIELD_LABELS).
    fields: Mapped[list] = mapped_column(JSON, default=list)
    #: Those of ``fields`` that go masked.
    masked_fields: Mapped[list] = mapped_column(JSON, default=list)
    #: First and last day of validity (office dates).
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    #: Who answers for the data on the partner's side (name and role).
    partner_contact: Mapped[str | None] = mapped_column(String(100))
    #: Where the confidentiality clause is (clause number, page).
    confidentiality_clause: Mapped[str | None] = mapped_column(String(100))

    partner: Mapped[Partner] = relationship(back_populates="agreements")

    def __str__(self) -> str:
        name = self.partner.name if self.partner is not None else ""
        return f"{name} · {self.reference}"


class PartnerConsent(OfficeOwnedMixin, Base):
    """The customer's separate consent to share with one partner (PIPL art. 23); never
    deleted, only withdrawn."""

    __office_subject__ = ("subject_type", "subject_id", _SUBJECT_TABLES)

    __tablename__ = "partner_consents"
    __table_args__ = (
        CheckConstraint(f"subject_type IN ({_SUBJECTS_SQL})", name="subject_type"),
        Index(None, "subject_type", "subject_id"),
    )

    id: Mapped[intpk]
    #: prospect, owner or tenant.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="RESTRICT"), index=True
    )
    #: The purpose the customer was told.
    purpose: Mapped[str] = mapped_column(Text)
    #: Version of the notice the customer was shown (config PRIVACY_POLICY_VERSION).
    notice_version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: How the customer withdrew.
    withdrawal_note: Mapped[str | None] = mapped_column(Text)

    partner: Mapped[Partner] = relationship()
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])


class PartnerShare(OfficeOwnedMixin, Base):
    """One customer's data given to a partner under an agreement (one row per customer of a
    share action; ``batch`` groups the rows of one action)."""

    __office_subject__ = ("subject_type", "subject_id", _SUBJECT_TABLES)

    __tablename__ = "partner_shares"
    __table_args__ = (
        CheckConstraint(f"subject_type IN ({_SUBJECTS_SQL})", name="subject_type"),
        Index(None, "subject_type", "subject_id"),
        Index(None, "partner_id", "shared_at"),
    )

    id: Mapped[intpk]
    #: The share action (hex), the same for every customer shared at once.
    batch: Mapped[str] = mapped_column(String(32), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="RESTRICT"))
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_agreements.id", ondelete="RESTRICT"), index=True
    )
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    #: The field codes given (those of the agreement the customer's kind has).
    fields: Mapped[list] = mapped_column(JSON, default=list)
    #: Those of ``fields`` given masked.
    masked_fields: Mapped[list] = mapped_column(JSON, default=list)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    partner: Mapped[Partner] = relationship()
    agreement: Mapped[SharingAgreement] = relationship()
    shared_by = relationship("User", foreign_keys=[shared_by_id])
