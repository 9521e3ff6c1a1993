"""Customers' complaints and feedback (投诉处理): who handles each, by when, the answer and
what the office changed because of it. Rules: services/care/complaints.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, OfficeOwnedMixin, VersionedMixin, intpk, utcnow
from models.types import EncryptedString

#: How the complaint reached the office.
CHANNELS = ("in_person", "phone", "letter", "online", "other")
#: What it is about.
CATEGORIES = ("service", "property", "sales", "privacy", "other")
#: open (waiting for the answer) -> answered (the customer was told) -> closed (the office
#: recorded what it changed).
STATUSES = ("open", "answered", "closed")
#: Whose complaint it is: the same kinds of customer record as a customer's request.
SUBJECT_TYPES = ("prospect", "owner", "tenant")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class Complaint(OfficeOwnedMixin, VersionedMixin, Base):
    """One complaint or piece of feedback from one customer."""

    __office_subject__ = (
        "subject_type",
        "subject_id",
        {"prospect": "prospects", "owner": "owners", "tenant": "tenants"},
    )

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("subject_type", SUBJECT_TYPES), name="subject_type"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        # A step is recorded with what it needs, whichever code path writes it.
        CheckConstraint(
            "status = 'open' OR (answer IS NOT NULL AND answered_at IS NOT NULL)",
            name="answered_has_answer",
        ),
        CheckConstraint(
            "status <> 'closed' OR (improvement IS NOT NULL AND closed_at IS NOT NULL)",
            name="closed_has_improvement",
        ),
        Index(None, "status", "due_on"),
        Index(None, "subject_type", "subject_id"),
        Index(None, "handler_id", "status"),
    )

    id: Mapped[intpk]
    #: The customer's record: its view key and id.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    #: The day the office received it (the answer's working days run from it).
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    #: What the customer said (personal, so encrypted).
    summary: Mapped[str] = mapped_column(EncryptedString("complaints.summary"))
    #: The account that handles it: a clerk or a supervisor; None until assigned.
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: received_on + the answer time (an office setting) in working days, Chinese calendar.
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: What the customer was told.
    answer: Mapped[str | None] = mapped_column(EncryptedString("complaints.answer"))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    #: What the office changed or improved because of it (改进).
    improvement: Mapped[str | None] = mapped_column(EncryptedString("complaints.improvement"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)

    handler = relationship("User", foreign_keys=[handler_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    registered_by = relationship("User", foreign_keys=[registered_by_id])

    def __str__(self) -> str:
        return f"#{self.id}"
