"""Mainland resident ID numbers (居民身份证号) checked as python-stdnum checks them, fast enough
for a sheet of 100,000 rows.

``stdnum.cn.ric.validate`` cleans the number four times over, character by character, and
looks its birth place up in its place table for every number: about 100 µs a number, the
largest part of a lease list's check (docs/import.md). ``validate`` below gives the same
answer: a number already in its compact form (17 ASCII digits and a digit or X, which is
what the import's cells become after strip and upper case) is checked here, its check
digit and birth date as the library does and its birth place through the library, kept per
place code and birth year (the only parts of the number the library reads for it); any
other text goes to the library itself. tests/unit/shared/test_id_numbers.py compares the two
on generated numbers.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent

_COMPACT = re.compile(r"[0-9]{17}[0-9X]")


def validate(number: str) -> str:
    """``ric.validate(number)``: the number, or the library's exception (a ValidationError,
    or the KeyError it raises for a place code it knows without a county)."""
    if _COMPACT.fullmatch(number) is None:
        return ric.validate(number)
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidChecksum()
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidComponent() from None
    refused = _place_refused(number[:6], born.year)
    if refused is not None:
        raise refused()
    return number


@lru_cache(maxsize=16_384)
def _place_refused(place: str, year: int) -> type[Exception] | None:
    """The exception the library raises for a number born in ``year`` at ``place``, or None:
    ``ric.get_birth_place`` reads only these two parts of a number."""
    try:
        ric.get_birth_place(f"{place}{year:04d}01010000")
    except (InvalidComponent, KeyError) as error:
        return type(error)
    return None
