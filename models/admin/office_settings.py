"""The office's own numbers the admin sets on the "Office settings" page: how often a paper
file is rechecked, how many working days a complaint's answer may take.

One row per known setting (services/admin/office_settings.py SETTINGS names them, with their
labels, units, defaults and bounds). The migration writes today's defaults; a setting without
a row falls back to its default, so the rules never run without a value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class OfficeSetting(Base):
    __tablename__ = "office_settings"
    __table_args__ = (CheckConstraint("value > 0", name="value"),)

    #: archive_recheck_days, complaint_answer_workdays (the service's SETTINGS).
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    #: Raised by every change: a page showing an older version cannot overwrite a newer value.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: When and by whom the value was last set (None: the migration's default).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by = relationship("User", foreign_keys=[updated_by_id])

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"
