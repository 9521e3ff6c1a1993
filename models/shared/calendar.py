"""Admin-edited corrections to the Chinese working-day calendar.

chinese-calendar knows the statutory holidays and swapped working days of the years it was
released for; the office adds what it does not know (next year's schedule before the
library has it, a local holiday).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AuditedMixin, Base, intpk


class CalendarOverride(AuditedMixin, Base):
    __tablename__ = "calendar_overrides"

    id: Mapped[intpk]
    #: The day being corrected.
    day: Mapped[date] = mapped_column(Date, unique=True)
    #: True: a working day (e.g. a swapped Saturday); False: a day off.
    is_workday: Mapped[bool] = mapped_column(Boolean)
    #: Why, e.g. "2027 春节调休".
    note: Mapped[str | None] = mapped_column(String(100))

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'holiday'}"
