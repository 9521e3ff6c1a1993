"""The archive desk: registered lookups of paper files (查阅登记) and recorded destructions.

A lookup request walks a small state machine (services/archive/archive_desk.py): requested →
[approved_by_superior, copies and excerpts only] → approved (by the custodian) → handed_out →
returned; or refused, cancelled, expired on the way. Rows are never deleted: together they
are the lookup register (查阅登记簿).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, TimestampMixin, intpk, utcnow

LOOKUP_MODES = ("read_in_room", "take_out", "copy", "excerpt")
#: Modes that need the requester's superior's approval first.
MODES_NEEDING_SUPERIOR = ("copy", "excerpt")
LOOKUP_STATUSES = (
    "requested",
    "approved_by_superior",
    "approved",
    "refused",
    "handed_out",
    "returned",
    "cancelled",
    "expired",
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class LookupRequest(OfficeOwnedMixin, TimestampMixin, Base):
    """One registered lookup of one paper file: who, why, how, and each step with who and when."""

    __office_parents__ = ("file",)

    __tablename__ = "lookup_requests"
    __table_args__ = (
        CheckConstraint(f"mode IN ({_in(LOOKUP_MODES)})", name="mode"),
        CheckConstraint(f"status IN ({_in(LOOKUP_STATUSES)})", name="status"),
        CheckConstraint("days >= 0 AND days <= 60", name="days"),
        # the desk's queues filter by status; the register lists by period
        Index("ix_lookup_requests_status_requested_at", "status", "requested_at"),
    )

    id: Mapped[intpk]
    #: The paper file asked for.
    file_id: Mapped[int] = mapped_column(
        ForeignKey("archive_files.id", ondelete="RESTRICT"), index=True
    )
    #: Who asks (a clerk or a supervisor).
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    #: When the request was filed (UTC).
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Why, for work (required); may name a customer, so shown only to the desk and approvers.
    reason: Mapped[str] = mapped_column(Text)
    #: read_in_room, take_out, copy, excerpt.
    mode: Mapped[str] = mapped_column(String(16))
    #: Working days the requester needs the file (0: back the same day).
    days: Mapped[int] = mapped_column(Integer, default=0)
    #: See LOOKUP_STATUSES.
    status: Mapped[str] = mapped_column(String(24), default="requested")

    #: The superior who approved a copy or excerpt.
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the superior approved it (UTC).
    superior_at: Mapped[datetime | None]

    #: The custodian who approved or refused.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the decision was taken (UTC).
    decided_at: Mapped[datetime | None]
    #: Why it was refused (by the custodian or the superior).
    refusal_reason: Mapped[str | None] = mapped_column(Text)

    #: The custodian who handed the file out.
    handed_out_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Who took the file (normally the requester).
    handed_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the file left the shelf (UTC).
    handed_out_at: Mapped[datetime | None]
    #: Last working day the file may stay out (Chinese calendar); overdue the day after.
    due_on: Mapped[date | None] = mapped_column(Date, index=True)

    #: The custodian who took the file back.
    returned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the file came back (UTC).
    returned_at: Mapped[datetime | None]
    #: The condition noted at return (torn page, missing sheet ...).
    return_condition: Mapped[str | None] = mapped_column(Text)

    file = relationship("ArchiveFile", foreign_keys=[file_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    superior = relationship("User", foreign_keys=[superior_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    handed_out_by = relationship("User", foreign_keys=[handed_out_by_id])
    handed_to = relationship("User", foreign_keys=[handed_to_id])
    returned_to = relationship("User", foreign_keys=[returned_to_id])

    @property
    def needs_superior(self) -> bool:
        return self.mode in MODES_NEEDING_SUPERIOR

    def is_overdue(self, today: date) -> bool:
        """Out and past its due date: overdue from the day after ``due_on``."""
        return self.status == "handed_out" and self.due_on is not None and today > self.due_on

    def __str__(self) -> str:
        return f"#{self.id}"


class FileDestruction(Base):
    """The record of a destroyed paper file; the file keeps its row, in state 'destroyed'."""

    __tablename__ = "file_destructions"

    id: Mapped[intpk]
    #: The destroyed file (one destruction per file).
    file_id: Mapped[int] = mapped_column(
        ForeignKey("archive_files.id", ondelete="RESTRICT"), unique=True
    )
    #: Why (e.g. property transferred, retention period over).
    reason: Mapped[str] = mapped_column(Text)
    #: Who approved the destruction.
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The custodian who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The day the file was destroyed.
    destroyed_on: Mapped[date] = mapped_column(Date)
    #: When it was recorded (UTC).
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    file = relationship("ArchiveFile", foreign_keys=[file_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
