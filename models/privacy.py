"""Consent under the Personal Information Protection Law: the basis each customer record is
kept on, told and agreed when the record was made, and its withdrawal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, utcnow

#: consent: the customer was told the purpose and agreed; contract: a contract with the
#: customer (a purchase or lease) is the basis.
CONSENT_BASES = ("consent", "contract")


class ConsentRecord(Base):
    """One basis given for keeping one customer record; never deleted, only withdrawn."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("basis IN ('consent','contract')", name="basis"),
        Index(None, "subject_type", "subject_id"),
    )

    id: Mapped[intpk]
    #: The record's view key: prospect or owner.
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int]
    basis: Mapped[str] = mapped_column(String(10))
    #: The purpose the customer was told, as shown on the form.
    purpose: Mapped[str] = mapped_column(Text)
    #: Version of the office's privacy notice in force (config PRIVACY_POLICY_VERSION).
    policy_version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What the customer said when withdrawing (how it reached the office).
    withdrawal_note: Mapped[str | None] = mapped_column(Text)

    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])
