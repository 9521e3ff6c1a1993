"""How personal numbers are shown: masked everywhere but a deliberate, logged reveal.

Lists, exports, child tables, change histories, the approvals diff and print views show a
mobile as 138****1234 and an ID-card number as 110105********1234, enough to tell two people
apart on the phone or at the counter, not enough to call or impersonate them. The full value
appears only on a details page after a "show" click by a role that works the record, and that
click is an access-log event (views/shared/base.py reveal_view).

Exports also get spreadsheet formula neutralising here (OWASP "CSV injection"), since every
export cell passes through export_cell().
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

#: Column names (the last part of a dotted list column, e.g. "tenant.mobile") and their kind.
SENSITIVE_COLUMNS: dict[str, str] = {
    "mobile": "phone",
    "landline": "phone",
    "buyer_mobile": "phone",
    "contact_mobile": "phone",
    "contact_phone": "phone",  # a partner's contact (models/privacy/partners.py)
    "id_number": "id",
}

#: A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def kind_of(column: str) -> str | None:
    """ "phone", "id" or None for a column name such as "mobile" or "tenant.mobile"."""
    return SENSITIVE_COLUMNS.get(str(column).rsplit(".", 1)[-1])


def mask_phone(value: str | None) -> str:
    """138****1234 for a mobile; a landline keeps its area code and last 4 digits."""
    if not value:
        return ""
    text = str(value).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if "-" in text:
        area, _dash, number = text.partition("-")
        return f"{area}-{'*' * max(len(number) - 4, 0)}{number[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(value: str | None) -> str:
    """110105********1234: the region code and the last 4 characters stay."""
    if not value:
        return ""
    text = str(value).strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask(column: str, value):
    """``value`` masked by the kind of ``column``; other columns pass through unchanged."""
    kind = kind_of(column)
    if kind is None or value is None:
        return value
    return mask_phone(value) if kind == "phone" else mask_id_number(value)


_TYPED = (str, bool, int, float, Decimal, date)


def neutralise_formula(value):
    """Prefix a quote to text a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_cell(column: str, value):
    """What an export writes for ``value`` of ``column``: masked, then formula-safe.

    Numbers and dates stay typed (a spreadsheet sorts them); anything else (a reference
    item, a translated label) becomes its text first, so a label such as "=1+1" is
    neutralised too."""
    if value is not None and not isinstance(value, _TYPED):
        value = str(value)
    return neutralise_formula(mask(column, value))
