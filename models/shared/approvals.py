"""Change requests: corrections and deletions of customer records wait for a superior.

A request remembers the record, its version when filed, the fields with old and new values,
the reason, who asked and when; the decision records who decided, when and why.
Every step also lands in the record's change history (``RecordHistory``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, utcnow
from models.types import EncryptedJSON

REQUEST_KINDS = ("update", "delete")
REQUEST_STATUSES = ("pending", "approved", "rejected", "stale")


class ChangeRequest(Base):
    __tablename__ = "change_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('update','delete')", name="kind"),
        CheckConstraint("status IN ('pending','approved','rejected','stale')", name="status"),
        Index(None, "status", "requested_at"),
        Index(None, "record_type", "record_id", "status"),
        # At most one pending deletion per record.
        Index(
            "uq_change_requests_pending_delete",
            "record_type",
            "record_id",
            unique=True,
            sqlite_where=text("status = 'pending' AND kind = 'delete'"),
            postgresql_where=text("status = 'pending' AND kind = 'delete'"),
        ),
    )

    id: Mapped[intpk]
    #: The view key of the record's type (``prospect``, ``owner``...), see services/shared/approval_policy.py.
    record_type: Mapped[str] = mapped_column(String(40))
    #: Primary key of the record.
    record_id: Mapped[int] = mapped_column(Integer)
    #: The record's office: its supervisors decide (None for dealers, decided by region).
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="RESTRICT"), index=True
    )
    #: The record's version counter when the request was filed; approval needs it unchanged.
    record_version: Mapped[int] = mapped_column(Integer)
    #: update or delete.
    kind: Mapped[str] = mapped_column(String(10))
    #: {column: {"old": value, "new": value, "old_label": text, "new_label": text}};
    #: personal data, shown only to the requester and approvers.
    changes: Mapped[dict] = mapped_column(EncryptedJSON("change_requests.changes"), default=dict)
    #: Why the change is needed (required).
    reason: Mapped[str] = mapped_column(Text)
    #: pending, approved, rejected, stale.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    #: When it was filed (UTC).
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    #: When it was approved, rejected or found stale (UTC).
    decided_at: Mapped[datetime | None]
    #: The approver's comment; required for a rejection.
    decision_comment: Mapped[str | None] = mapped_column(Text)
    #: The customer's correction request this change carries out (services/privacy/corrections.py):
    #: approving the change answers that request.
    subject_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="SET NULL"), index=True
    )

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def fields(self) -> list[str]:
        return sorted(self.changes or {})

    def __str__(self) -> str:
        return f"#{self.id} {self.record_type}:{self.record_id} {self.kind}"


class PendingField(Base):
    """One row per field with a pending update, so a second request for the same field of
    the same record is refused by the database itself (a unique key), not by a check-then-write.
    Rows go when the request is decided."""

    __tablename__ = "change_request_fields"

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("change_requests.id", ondelete="CASCADE"), index=True
    )


HISTORY_EVENTS = (
    "created",
    "updated",
    "requested",
    "approved",
    "rejected",
    "stale",
    "refused",
    "deleted",
)


class RecordHistory(Base):
    """The change history of a record: who changed what, when, approved by whom."""

    __tablename__ = "record_history"
    __table_args__ = (Index(None, "record_type", "record_id", "at"),)

    id: Mapped[intpk]
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    #: created, updated, requested, approved, rejected, stale, refused, deleted.
    event: Mapped[str] = mapped_column(String(12))
    #: Who did it.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When (UTC).
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The change request this step belongs to, if any.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("change_requests.id", ondelete="SET NULL"), index=True
    )
    #: Fields touched, with old and new values (personal data: shown on the record's page only).
    changes: Mapped[dict | None] = mapped_column(EncryptedJSON("record_history.changes"))
    #: Reason or decision comment.
    note: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User", foreign_keys=[actor_id])
