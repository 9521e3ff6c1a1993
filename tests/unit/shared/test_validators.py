"""Validators for phones, resident ID numbers and dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from wtforms import DateField, Form, StringField
from wtforms.validators import ValidationError

from forms.shared.validators import (
    DateInRange,
    Landline,
    MainlandMobile,
    ResidentIdNumber,
    normalise_phone,
)

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


class _Form(Form):
    mobile = StringField()
    landline = StringField()
    id_number = StringField()
    day = DateField()


def _check(validator, field_name, value):
    form = _Form(data={field_name: value})
    field = getattr(form, field_name)
    validator(form, field)
    return field.data


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "+8613812345678", "138 1234 5678"])
def test_good_mobiles(app, value):
    with app.test_request_context():
        assert _check(MainlandMobile(), "mobile", value) == normalise_phone(value)


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "abc", "一三八"])
def test_bad_mobiles(app, value):
    with app.test_request_context(), pytest.raises(ValidationError):
        _check(MainlandMobile(), "mobile", value)


@pytest.mark.parametrize(
    "value", ["020-12345678", "0755-1234567", "01012345678", "020-12345678-123"]
)
def test_good_landlines(app, value):
    with app.test_request_context():
        assert _check(Landline(), "landline", value) == normalise_phone(value)


@pytest.mark.parametrize("value", ["12345678", "020-123", "phone"])
def test_bad_landlines(app, value):
    with app.test_request_context(), pytest.raises(ValidationError):
        _check(Landline(), "landline", value)


def test_resident_id_checksum(app):
    with app.test_request_context():
        assert _check(ResidentIdNumber(), "id_number", "11010519491231002x") == "11010519491231002X"
        for bad in ("110105194912310021", "11010519491331002X", "1101051949123100"):
            with pytest.raises(ValidationError):
                _check(ResidentIdNumber(), "id_number", bad)


@pytest.mark.parametrize(
    ("validator", "field_name"),
    [(MainlandMobile(), "mobile"), (Landline(), "landline"), (ResidentIdNumber(), "id_number")],
)
def test_empty_values_pass_to_optional(app, validator, field_name):
    # An empty optional field is neither refused nor rewritten; Optional/DataRequired decide.
    with app.test_request_context():
        assert _check(validator, field_name, "") == ""


def test_dates_in_range(app, today):
    rule = DateInRange(years_back=1, days_ahead=10)
    with app.test_request_context():
        assert _check(rule, "day", today) == today
        assert _check(rule, "day", today + timedelta(days=10)) == today + timedelta(days=10)
        with pytest.raises(ValidationError):
            _check(rule, "day", today + timedelta(days=11))
        with pytest.raises(ValidationError):
            _check(rule, "day", today - timedelta(days=800))


@pytest.mark.instant("2026-12-05T22:30:00+00:00")
def test_the_date_window_follows_the_office_day_not_the_machines(app):
    # 22:30 UTC on Saturday is already Sunday in Shanghai: the window starts on Sunday.
    rule = DateInRange(years_back=1, days_ahead=10)
    with app.test_request_context():
        assert _check(rule, "day", date(2026, 12, 16)) == date(2026, 12, 16)
        with pytest.raises(ValidationError):
            _check(rule, "day", date(2026, 12, 17))
