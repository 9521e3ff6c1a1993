"""Dates as people type them in sheets: one reader for every date an import takes.

Chinese offices write a date in many ways; each of these reads as 1 March 2026:

    2026-03-01   2026-3-1   2026/3/1   2026.3.1   2026年3月1日   2026 年 3 月 1 日
    20260301     26年3月1日   2026-03-01 10:30   a datetime cell   46082 (an Excel serial)

Full-width digits and separators (２０２６／３／１) read as their plain forms. A number (or a
string of five digits) between ``SERIAL_MIN`` and ``SERIAL_MAX`` is an Excel date serial (the
1900 system: 46082 is 2026-03-01), as a date typed in a cell formatted as a number shows.

A date that reads as more than one day is refused (``AmbiguousDate``) with its readings,
never guessed: 3/4/2026 (3 April or 4 March?), 03-04-26 (2003-04-26, 2026-04-03 or
2026-03-04?). When only one reading is a date it is taken: 13/3/2026, 3/13/2026, 3/3/2026,
26-3-1 (a one-digit last part cannot be a year: 2026-03-01). Anything else is a ``BadDate``.

Nothing here knows the panel: the caller turns the errors into its own messages.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

#: Excel serials taken as dates: 1955-01-01 .. 2119-12-31 (a visit, a contract, a birth).
SERIAL_MIN = 20090
SERIAL_MAX = 80355
#: Day 0 of Excel's 1900 date system (the 1900 leap-year bug makes it the 30th).
EXCEL_EPOCH = date(1899, 12, 30)
#: Years a four-digit year may have.
YEAR_MIN, YEAR_MAX = 1900, 2199

_TIME = r"(?:[ T]+\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?)?"
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)
_YMD_CN = re.compile(r"(\d{2}|\d{4})年(\d{1,2})月(\d{1,2})[日号]?" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_XY_YEAR = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME)
_SHORT_YEAR = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{1,2})" + _TIME)


class BadDate(ValueError):
    """The value is not a date in any form this module reads."""


class AmbiguousDate(ValueError):
    """The value reads as more than one date; ``readings`` holds them (ISO strings)."""

    def __init__(self, readings: tuple[str, ...]):
        super().__init__(" / ".join(readings))
        self.readings = readings


def parse_typed_date(value) -> date:
    """The date ``value`` (a cell: text, number, date or datetime) stands for.

    Raises ``AmbiguousDate`` when day and month could be swapped and ``BadDate`` when it is no
    date at all."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        raise BadDate(str(value))
    if isinstance(value, int | float):
        return _from_number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" == value[7]:
        # 2026-03-01, the form most cells hold: read without the general forms' regexes
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if YEAR_MIN <= day.year <= YEAR_MAX:
                return day
    text = _plain(str(value))
    if not text:
        raise BadDate(text)
    if match := _YMD.fullmatch(text):
        return _day(match[1], match[3], match[4])
    if match := _YMD_CN.fullmatch(text):
        return _day(_full_year(match[1]), match[2], match[3])
    if match := _COMPACT.fullmatch(text):
        return _day(match[1], match[2], match[3])
    if _SERIAL.fullmatch(text):
        return _from_number(float(text))
    if match := _XY_YEAR.fullmatch(text):
        return _day_month_or_month_day(match[1], match[3], match[4], match[0])
    if match := _SHORT_YEAR.fullmatch(text):
        readings = sorted(set(_readings_of_short(match[1], match[3], match[4])))
        if len(readings) == 1:
            return readings[0]
        if readings:
            raise AmbiguousDate(tuple(d.isoformat() for d in readings))
    raise BadDate(text)


def typed_date_or_none(value) -> date | None:
    """``parse_typed_date`` without the reason: None when ``value`` is not one clear date."""
    try:
        return parse_typed_date(value)
    except ValueError:
        return None


_SPACED = re.compile(r"\s*([年月日号/.\-])\s*")


def _plain(text: str) -> str:
    if not text.isascii():
        # NFKC turns full-width digits, slashes and spaces into plain ones.
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    return _SPACED.sub(r"\1", text) if " " in text or "\t" in text else text


def _from_number(number: float) -> date:
    if number != number or number in (float("inf"), float("-inf")):  # NaN, infinities
        raise BadDate(str(number))
    whole = int(number)
    if number == whole and 10_000_000 <= whole <= 99_999_999:
        # 20260301 typed in a number cell
        text = str(whole)
        return _day(text[:4], text[4:6], text[6:])
    if SERIAL_MIN <= number < SERIAL_MAX + 1:
        return EXCEL_EPOCH + timedelta(days=whole)
    raise BadDate(_number_text(number))


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _day(year, month, day) -> date:
    year, month, day = int(year), int(month), int(day)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadDate(f"{year}-{month}-{day}")
    try:
        return date(year, month, day)
    except ValueError:
        raise BadDate(f"{year}-{month}-{day}") from None


def _full_year(year: str) -> int:
    # 26年 is 2026, 98年 is 1998 (a two-digit year before 年 is not ambiguous).
    if len(year) == 4:
        return int(year)
    short = int(year)
    return 2000 + short if short < 70 else 1900 + short


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day) if YEAR_MIN <= year <= YEAR_MAX else None
    except ValueError:
        return None


def _day_month_or_month_day(first: str, second: str, year: str, text: str) -> date:
    as_day_month = _valid(int(year), int(second), int(first))
    as_month_day = _valid(int(year), int(first), int(second))
    if as_day_month and as_month_day and as_day_month != as_month_day:
        raise AmbiguousDate(tuple(sorted({as_month_day.isoformat(), as_day_month.isoformat()})))
    found = as_day_month or as_month_day
    if found is None:
        raise BadDate(text)
    return found


def _readings_of_short(first: str, second: str, third: str) -> list[date]:
    """Every date a d-d-d form with a two-digit year could be: year first (26-3-1), day first
    (1-3-26) or month first (3-1-26)."""
    a, b, c = int(first), int(second), int(third)
    candidates = [
        _valid(_full_year(first), b, c) if len(first) == 2 else None,
        _valid(_full_year(third), b, a) if len(third) == 2 else None,
        _valid(_full_year(third), a, b) if len(third) == 2 else None,
    ]
    return [found for found in candidates if found is not None]
