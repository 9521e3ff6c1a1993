"""How long each kind of record is kept: the admin's setting behind the retention review.

One row per kind (services/privacy/retention.py KINDS names the kinds, their labels, the policy's
reasons, the default periods and the bounds). The migration writes the defaults; a kind
without a row falls back to its default, so the review never runs without a period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, intpk, utcnow


class RetentionPeriod(Base):
    __tablename__ = "retention_periods"
    __table_args__ = (CheckConstraint("days > 0", name="days"),)

    id: Mapped[intpk]
    #: prospect, owner, tenant, dealer, visit or access_log.
    kind: Mapped[str] = mapped_column(String(20), unique=True)
    #: Days a record is kept after the day its kind counts from (last contact, end of the
    #: ownership or lease, last visit, the event).
    days: Mapped[int] = mapped_column(Integer)
    #: When and by whom the period was last set (None: the migration's default).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User", foreign_keys=[updated_by_id])

    def __str__(self) -> str:
        return f"{self.kind}: {self.days}"
