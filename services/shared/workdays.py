"""Working days on the Chinese calendar: statutory holidays and swapped working days from
chinese-calendar, corrected by the admin's CalendarOverride table.

For a day the library does not cover and no override names, the answer falls back to
Monday-Friday and is marked *uncertain*, so pages can say so instead of guessing silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.shared.calendar import CalendarOverride


@dataclass(frozen=True)
class DayAnswer:
    is_workday: bool
    #: True when neither the library nor an override knows the day.
    uncertain: bool


@dataclass(frozen=True)
class DueDate:
    day: date
    #: True when some day counted was a weekday guess.
    uncertain: bool


class WorkdayCalendar:
    """A working-day calendar with the admin's overrides loaded once."""

    def __init__(self, overrides: dict[date, bool] | None = None):
        self.overrides = dict(overrides or {})

    @classmethod
    def from_session(cls, session: Session) -> WorkdayCalendar:
        rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday))
        return cls({day: is_workday for day, is_workday in rows})

    def answer(self, day: date) -> DayAnswer:
        if day in self.overrides:
            return DayAnswer(self.overrides[day], uncertain=False)
        try:
            return DayAnswer(chinese_calendar.is_workday(day), uncertain=False)
        except NotImplementedError:
            return DayAnswer(day.weekday() < 5, uncertain=True)

    def is_workday(self, day: date) -> bool:
        return self.answer(day).is_workday

    def add_workdays(self, start: date, count: int) -> DueDate:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        day, uncertain, left = start, False, count
        while left > 0:
            day += timedelta(days=1)
            answer = self.answer(day)
            uncertain = uncertain or answer.uncertain
            if answer.is_workday:
                left -= 1
        return DueDate(day, uncertain)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count
