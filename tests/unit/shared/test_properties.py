"""Property-based checks (Hypothesis) of what parses one value a person typed or a cell held:
the phone rules, the form validators and the import's cell checks.

For any text, number, date or nothing they either accept or refuse with their own refusal
(a form's ValidationError, a row error of the import), never another exception; what they
accept is in the one stored form (a mobile is 11 ASCII digits, a date is a date).
Seeded from the test's name (derandomize) and without an example database, so every run and
CI try the same examples; max_examples is moderate to keep this file within seconds.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wtforms import DateField, Form, StringField
from wtforms.validators import ValidationError

from core.phones import LANDLINE_RE, is_mobile, normalise_phone
from extensions import db
from forms.shared.validators import (
    DateInRange,
    Landline,
    MainlandMobile,
    ResidentIdNumber,
    normalise_id_number,
)
from services.shared import (
    import_kinds,  # noqa: F401 (every import kind registered)
    importer,
)

pytestmark = pytest.mark.instant()

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ASCII_MOBILE = re.compile(r"[0-9]{11}")

# Text as people and spreadsheets give it: anything, plus text built from the characters a
# phone or ID number is made of (so the interesting near-misses come up often).
PHONE_CHARS = st.sampled_from(list("0123456789+-() \t\u3000８６１３") + ["\u202e", "\x00", "X"])
phone_like = st.text(PHONE_CHARS, max_size=20)
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
# Other scripts' digits, which Python's \d matches too: full-width (an IME's) and Arabic-Indic.
OTHER_DIGITS = {str(d): (chr(0xFF10 + d), chr(0x0660 + d)) for d in range(10)}
lookalike_mobiles = st.tuples(mobiles, st.integers(2, 10), st.integers(0, 1)).map(
    lambda t: t[0][: t[1]] + OTHER_DIGITS[t[0][t[1]]][t[2]] + t[0][t[1] + 1 :]
)
any_text = st.one_of(st.text(max_size=60), phone_like, lookalike_mobiles)

# What an openpyxl cell can hold.
cells = st.one_of(
    st.none(),
    any_text,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
)


class _Form(Form):
    text = StringField()
    day = DateField()


def _validate(validator, field_name, value):
    """What the validator left in the field, or None when it refused."""
    form = _Form(data={field_name: value})
    field = getattr(form, field_name)
    try:
        validator(form, field)
    except ValidationError:
        return None
    return field.data


# --- core/phones.py ---------------------------------------------------------------------------
@PROPERTY
@given(st.one_of(st.none(), any_text))
def test_normalise_phone_never_raises_and_accepted_mobiles_are_eleven_ascii_digits(value):
    phone = normalise_phone(value)
    assert phone is None or (phone and not re.search(r"[\s()]", phone))
    if phone is not None and is_mobile(phone):
        assert ASCII_MOBILE.fullmatch(phone)
        assert normalise_phone(phone) == phone
    if phone is not None and LANDLINE_RE.fullmatch(phone):
        assert re.fullmatch(r"[0-9-]+", phone)


@PROPERTY
@given(mobiles, st.sampled_from(["{}", "+86{}", "86{}", " {} ", "+86 {}", "({})"]))
def test_a_mobile_written_any_usual_way_normalises_to_its_digits(mobile, pattern):
    written = pattern.format(mobile)
    assert normalise_phone(written) == mobile
    assert is_mobile(normalise_phone(written))


# --- forms/shared/validators.py ----------------------------------------------------------------
@PROPERTY
@given(st.one_of(st.none(), any_text))
@example("13８12345678")  # full-width digits were taken as a mobile
@example("020-1234５678")
def test_phone_validators_accept_or_refuse_never_fail(app, value):
    with app.test_request_context():
        mobile = _validate(MainlandMobile(), "text", value)
        landline = _validate(Landline(), "text", value)
    if normalise_phone(value) is None:
        return  # nothing to check: empty is for Optional/DataRequired to judge
    if mobile:
        assert ASCII_MOBILE.fullmatch(mobile)
    if landline:
        assert re.fullmatch(r"[0-9-]+", landline)


@PROPERTY
@given(st.one_of(st.none(), any_text, st.from_regex(r"[0-9]{17}[0-9Xx]", fullmatch=True)))
@example("141960018101211206")  # a place code without a county: KeyError in python-stdnum
def test_id_number_validator_accepts_or_refuses_never_fails(app, value):
    with app.test_request_context():
        accepted = _validate(ResidentIdNumber(), "text", value)
    if accepted and normalise_id_number(value) is not None:
        assert re.fullmatch(r"[0-9]{17}[0-9X]", accepted)
        assert normalise_id_number(accepted) == accepted


@PROPERTY
@given(st.one_of(st.none(), st.dates()), st.integers(0, 100), st.integers(0, 3650))
def test_date_validator_accepts_or_refuses_never_fails(app, value, years_back, days_ahead):
    with app.test_request_context():
        accepted = _validate(DateInRange(years_back, days_ahead), "day", value)
    assert accepted is None or isinstance(accepted, date)


# --- services/shared/importer.py: one cell, one row ----------------------------------------------
@PROPERTY
@given(cells)
def test_a_date_cell_is_a_date_or_nothing(value):
    day = importer._as_date(value)
    assert day is None or (isinstance(day, date) and not isinstance(day, datetime))


@PROPERTY
@given(st.integers(13_000_000_000, 19_999_999_999))
def test_a_mobile_stored_by_excel_as_a_number_reads_as_its_digits(number):
    assert importer._text_of_number(float(number)) == str(number)


@pytest.mark.parametrize("kind", sorted(importer.KINDS))
def test_any_row_is_imported_clean_or_refused_with_row_errors(app, kind):
    spec = importer.KINDS[kind]
    targets = list(spec.checks)
    mapping = {target: i for i, target in enumerate(targets)}

    @PROPERTY
    @given(st.lists(cells, min_size=len(targets), max_size=len(targets) + 2))
    def check_one_row(values):
        with app.test_request_context():
            checker = (spec.checker or importer.RowChecker)(db.session, mapping, kind)
            result = checker.check(2, tuple(values))
            errors = [str(e) for e in result.errors]
        assert (result.record is None) == bool(errors)
        if result.record is None:
            return
        record = result.record
        for target, check in spec.checks.items():
            value = record.get(target)
            if check == "mobile" and value is not None:
                assert ASCII_MOBILE.fullmatch(value)
            elif check == "name":
                assert 0 < len(value) <= 50
            elif check == "grade" and value is not None:
                assert value in importer.GRADES
            elif check == "visit_date" and value is not None:
                assert isinstance(value, date)
            elif check == "text200" and value is not None:
                assert len(value) <= 200

    check_one_row()
