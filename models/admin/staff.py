"""Staff under agreement (DOMAIN.md, issue 19): the confidentiality agreement each account
signs and the training each account takes before it may open customer data.

- ``StaffAgreementVersion``: the agreement's versions, an admin-edited list; exactly one is
  current (services/admin/staff.py keeps it so). A new current version means everyone signs
  again.
- ``StaffAgreement``: one account's signature of one version, on a date, witnessed by another
  account; an optional scan of the signed paper, sealed like other personal data.
- ``TrainingCourse``: the courses, an admin-edited list (retired, never deleted).
- ``TrainingRecord``: one account's session of one course, on a date, with its trainer and
  whether it was passed.

The rule reading them: services/admin/staff_clearance.py.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditedMixin, Base, intpk
from models.types import EncryptedString

#: Most bytes of an agreement's scan (before sealing); services/admin/staff.py checks it.
SCAN_MAX_BYTES = 2 * 1024 * 1024


class StaffAgreementVersion(AuditedMixin, Base):
    __tablename__ = "staff_agreement_versions"

    id: Mapped[intpk]
    #: The version's short name as printed on the paper, e.g. "2026 版".
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: The agreement's title.
    title: Mapped[str] = mapped_column(String(200))
    #: The day this version took effect.
    effective_from: Mapped[date]
    #: The version everyone must have signed; one at a time.
    current: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.code


class StaffAgreement(AuditedMixin, Base):
    __tablename__ = "staff_agreements"
    __table_args__ = (Index(None, "user_id", "signed_on"),)

    id: Mapped[intpk]
    #: The account that signed.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The version signed.
    version_id: Mapped[int] = mapped_column(
        ForeignKey("staff_agreement_versions.id", ondelete="RESTRICT"), index=True
    )
    #: The day it was signed (office date).
    signed_on: Mapped[date]
    #: The account that witnessed the signature.
    witness_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The scanned paper, base64, sealed (personal data: a signature).
    scan: Mapped[str | None] = mapped_column(EncryptedString("staff_agreements.scan"))
    #: The scan's file name and type, for the download.
    scan_name: Mapped[str | None] = mapped_column(String(200))
    scan_type: Mapped[str | None] = mapped_column(String(100))

    user = relationship("User", foreign_keys=[user_id])
    witness = relationship("User", foreign_keys=[witness_id])
    version: Mapped[StaffAgreementVersion] = relationship()


class TrainingCourse(AuditedMixin, Base):
    __tablename__ = "training_courses"

    id: Mapped[intpk]
    #: The course's name, e.g. "客户信息保护培训".
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: Retired courses stay on old records but are no longer offered.
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __str__(self) -> str:
        return self.name


class TrainingRecord(AuditedMixin, Base):
    __tablename__ = "training_records"
    __table_args__ = (Index(None, "user_id", "taken_on"),)

    id: Mapped[intpk]
    #: The account trained.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="RESTRICT"), index=True
    )
    #: The day of the session (office date).
    taken_on: Mapped[date]
    #: Who gave the session (a name: trainers may come from outside).
    trainer: Mapped[str] = mapped_column(String(100))
    #: Only a passed session clears the account.
    passed: Mapped[bool] = mapped_column(Boolean, default=True)

    user = relationship("User", foreign_keys=[user_id])
    course: Mapped[TrainingCourse] = relationship()
