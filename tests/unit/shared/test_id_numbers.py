"""services/shared/id_numbers.py answers as python-stdnum's ric.validate does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from services.shared import id_numbers

pytestmark = pytest.mark.instant()

#: Place codes the library knows (with counties, a county's years, without), and not.
PLACES = ["110105", "310104", "440103", "440106", "110000", "110100", "999999", "000000",
          "370212", "510107", "652928", "232700"]  # fmt: skip


def _outcome(fn, number):
    try:
        return fn(number)
    except (ValidationError, KeyError) as error:
        return type(error)


def _with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


numbers = st.builds(
    lambda place, year, month, day, seq: f"{place}{year:04d}{month:02d}{day:02d}{seq:03d}",
    st.sampled_from(PLACES),
    st.integers(0, 2100),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 999),
)


@settings(max_examples=400, deadline=None)
@given(numbers, st.booleans(), st.sampled_from(["", "X", "0", "9"]))
def test_it_answers_as_the_library(body, right_digit, other):
    number = _with_check_digit(body) if right_digit else (body + other)[:18]
    assert _outcome(id_numbers.validate, number) == _outcome(ric.validate, number)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789Xx -０１２", max_size=20))
def test_any_text_answers_as_the_library(text):
    assert _outcome(id_numbers.validate, text) == _outcome(ric.validate, text)


def test_known_answers():
    good = _with_check_digit("11010519491231002")
    assert id_numbers.validate(good) == good
    for bad in (good[:-1] + ("0" if good[-1] != "0" else "1"), "11010519491331002X", "123"):
        with pytest.raises(ValidationError):
            id_numbers.validate(bad)
