"""Field validators for the office's data: mainland phones, resident ID numbers, dates.

Messages are translated when raised (gettext, not lazy_gettext): Flask-Admin's templates
show only errors that are plain strings.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError
from wtforms.validators import ValidationError

from core.clock import office_today
from core.phones import LANDLINE_RE, is_mobile, normalise_phone


class MainlandMobile:
    """A mainland China mobile number: 11 digits starting 13-19."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        value = normalise_phone(field.data)
        if value is None:
            return
        if not is_mobile(value):
            raise ValidationError(
                str(self.message)
                if self.message
                else _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        field.data = value


class Landline:
    """A landline with its area code, e.g. 020-12345678."""

    def __call__(self, form, field):
        value = normalise_phone(field.data)
        if value is None:
            return
        if not LANDLINE_RE.fullmatch(value):
            raise ValidationError(_("Enter a landline with its area code, e.g. 020-12345678."))
        field.data = value


def normalise_id_number(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    return value or None


class ResidentIdNumber:
    """A Chinese resident ID number (18 characters) with a valid checksum and birth date."""

    def __call__(self, form, field):
        value = normalise_id_number(field.data)
        if value is None:
            return
        try:
            field.data = ric.validate(value)
        # KeyError: python-stdnum fails so on a place code it knows without a county.
        except (StdnumError, KeyError) as exc:
            raise ValidationError(
                _("Not a valid resident ID number (check the digits and the last character).")
            ) from exc


class DateInRange:
    """A date no earlier than ``years_back`` years ago and no later than ``days_ahead``."""

    def __init__(self, years_back: int = 30, days_ahead: int = 0):
        self.years_back = years_back
        self.days_ahead = days_ahead

    def __call__(self, form, field):
        value = field.data
        if value is None:
            return
        today = office_today()
        earliest = today.replace(year=today.year - self.years_back, day=1)
        latest = today + timedelta(days=self.days_ahead)
        if value < earliest or value > latest:
            raise ValidationError(
                _(
                    "Enter a date between %(start)s and %(end)s.",
                    start=earliest.isoformat(),
                    end=latest.isoformat(),
                )
            )
