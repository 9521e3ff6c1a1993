"""Consent under the Personal Information Protection Law: the basis each customer record is
kept on, told and agreed when the record was made, and its withdrawal."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, intpk, utcnow
from models.types import EncryptedString

#: consent: the customer was told the purpose and agreed; contract: a contract with the
#: customer (a purchase or lease) is the basis.
CONSENT_BASES = ("consent", "contract")


class ConsentRecord(Base):
    """One basis given for keeping one customer record; never deleted, only withdrawn."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("basis IN ('consent','contract')", name="basis"),
        Index(None, "subject_type", "subject_id"),
        # The few withdrawn rows alone: an export batch asks which of its customers withdrew
        # (services/privacy/consent.withdrawn_among) without reading every consent row.
        Index(
            "ix_consent_records_withdrawn",
            "subject_type",
            "subject_id",
            postgresql_where=text("withdrawn_at IS NOT NULL"),
            sqlite_where=text("withdrawn_at IS NOT NULL"),
        ),
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


#: see a copy, correct, delete (anonymise).
REQUEST_KINDS = ("copy", "correct", "delete")
#: open -> (delete: awaiting_approval ->) answered; or refused.
REQUEST_STATUSES = ("open", "awaiting_approval", "answered", "refused")
#: Whose data a request or a retention batch is about.
SUBJECT_TYPES = ("prospect", "owner", "tenant")


class SubjectRequest(OfficeOwnedMixin, Base):
    """A customer's request about their own data (PIPL arts. 45-47): a copy, a correction or
    a deletion, answered within 15 working days of its receipt."""

    __office_subject__ = (
        "subject_type",
        "subject_id",
        {"prospect": "prospects", "owner": "owners", "tenant": "tenants"},
    )

    __tablename__ = "subject_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('copy','correct','delete')", name="kind"),
        CheckConstraint(
            "status IN ('open','awaiting_approval','answered','refused')", name="status"
        ),
        CheckConstraint("subject_type IN ('prospect','owner','tenant')", name="subject_type"),
        Index(None, "status", "due_on"),
        Index(None, "subject_type", "subject_id"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(10))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    #: The day the office received the request (the 15 working days run from it).
    received_on: Mapped[date]
    #: received_on + 15 working days on the Chinese calendar.
    due_on: Mapped[date]
    #: How the request reached the office and what it asks (personal data, encrypted).
    note: Mapped[str | None] = mapped_column(EncryptedString("subject_requests.note"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: For a deletion: who asked to anonymise, and the other person who approved it.
    anonymise_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    #: What the office answered (kept as proof; no personal data beyond the request's).
    answer_note: Mapped[str | None] = mapped_column(EncryptedString("subject_requests.answer_note"))

    registered_by = relationship("User", foreign_keys=[registered_by_id])
    anonymise_requested_by = relationship("User", foreign_keys=[anonymise_requested_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} {self.subject_type}:{self.subject_id}"


#: The kinds of the retention review (services/retention_periods.KINDS).
RETENTION_KINDS = ("prospect", "owner", "tenant", "dealer", "visit", "access_log")
RETENTION_KINDS_SQL = ",".join(f"'{kind}'" for kind in RETENTION_KINDS)


class RetentionBatch(Base):
    """A batch of records past their retention period (services/privacy/retention.py): asked by one
    person, approved by another, then run; the ids it touched are in the access log."""

    __tablename__ = "retention_batches"
    __table_args__ = (
        CheckConstraint("status IN ('pending','done','rejected')", name="status"),
        CheckConstraint(f"record_type IN ({RETENTION_KINDS_SQL})", name="record_type"),
    )

    id: Mapped[intpk]
    #: The kind of records (services/retention_periods.KINDS).
    record_type: Mapped[str] = mapped_column(String(20))
    #: Records last active before this day are anonymised.
    cutoff_on: Mapped[date]
    #: How many matched when asked (the run recounts).
    expected: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    #: Records the run touched: persons anonymised, receptions cleared, log events deleted.
    anonymised: Mapped[int | None]

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
