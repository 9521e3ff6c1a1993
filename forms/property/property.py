"""Choices, labels, field rules and cross-field checks of the property and transfer screens.

Messages are translated when raised (gettext, not lazy_gettext): Flask-Admin's templates
show only errors that are plain strings.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.admin.reference import reference_form_args
from forms.shared.validators import DateInRange, MainlandMobile, ResidentIdNumber

PAYER_CHOICES = [("owner", _l("Owner")), ("tenant", _l("Tenant"))]
CARD_STATUS_CHOICES = [
    ("active", _l("In use")),
    ("returned", _l("Returned")),
    ("deactivated", _l("Deactivated")),
]
TENURE_CHOICES = [
    ("free", _l("Available")),
    ("bought", _l("Bought")),
    ("rented", _l("Rented")),
]
LEASE_STATUS_CHOICES = [
    ("registering", _l("Being registered")),
    ("active", _l("In force")),
    ("ended", _l("Ended")),
]
TRANSFER_STATUS_CHOICES = [
    ("open", _l("In progress")),
    ("completed", _l("Completed")),
    ("cancelled", _l("Cancelled")),
]

#: Column labels of the property and transfer screens (COMMON_LABELS has the shared ones).
PROPERTY_LABELS = {
    "building": _l("Building"),
    "room": _l("Room"),
    "floor": _l("Floor"),
    "area_m2": _l("Floor area (m²)"),
    "current_owner": _l("Current owner"),
    "current_units": _l("Current units"),
    "ownerships": _l("Ownership history"),
    "household_members": _l("Household members"),
    "resident_cards": _l("Resident smart cards"),
    "vehicle_cards": _l("Vehicle IC cards"),
    "leases": _l("Leases"),
    "started_on": _l("Owner since"),
    "ended_on": _l("Owner until"),
    "relation": _l("Relation to owner"),
    "joined_on": _l("Joined the household"),
    "left_on": _l("Left the household"),
    "change_reason": _l("Reason for joining or leaving"),
    "starts_on": _l("Lease starts"),
    "ends_on": _l("Lease ends"),
    "contract_seen": _l("Contract original seen"),
    "contract_copy_kept": _l("Contract copy kept"),
    "management_payer": _l("Management fee paid by"),
    "water_payer": _l("Water paid by"),
    "electricity_payer": _l("Electricity paid by"),
    "gas_payer": _l("Gas paid by"),
    "move_in_form_done": _l("Move-in form filled in"),
    "fees_paid": _l("Move-in fees paid"),
    "moved_out_on": _l("Moved out"),
    "both_parties_came_on": _l("Both parties came on"),
    "original_seen_by": _l("Original seen by"),
    "intake_missing": _l("Intake still to record"),
    "card_no": _l("Card number"),
    "holder_name": _l("Card holder"),
    "issued_on": _l("Issued"),
    "returned_on": _l("Returned on"),
    "plate_no": _l("Licence plate"),
    "code": _l("Space code"),
    "tenure": _l("Tenure"),
    "fees_paid_until": _l("Fees paid until"),
    "seller": _l("Seller"),
    "buyer": _l("Buyer"),
    "opened_on": _l("Parties came on"),
    "completed_on": _l("Completed on"),
    "cancel_reason": _l("Reason for cancelling"),
    "items": _l("Checklist"),
    "kind": _l("Item"),
    "position": _l("Order"),
    "resident_card": _l("Resident card"),
    "vehicle_card": _l("Vehicle card"),
    "done_at": _l("Done at"),
    "done_by": _l("Done by"),
    "note": _l("Receipt no. or note"),
    # dotted paths, for search placeholders and sorting
    "owner.name": _l("Owner"),
    "tenant.name": _l("Tenant"),
    "tenant.mobile": _l("Tenant's mobile"),
    "unit.building": _l("Building"),
    "unit.room": _l("Room"),
    "seller.name": _l("Seller"),
    "buyer.name": _l("Buyer"),
}

# Province character, issuing-office letter, 4-6 letters or digits (new-energy plates
# have 6), and an optional trailing character such as 学, 警 or 挂.
PLATE_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}[\u4e00-\u9fff]?$")


class NotBefore:
    """This date may not be earlier than the date in field ``other`` of the same form."""

    def __init__(self, other: str):
        self.other = other

    def __call__(self, form, field):
        other = form[self.other]
        if field.data is None or other.data is None:
            return
        if field.data < other.data:
            raise ValidationError(
                _("This date cannot be earlier than “%(other)s”.", other=other.label.text)
            )


class DifferentFrom:
    """This selection must not be the same record as the one in field ``other``."""

    def __init__(self, other: str):
        self.other = other

    def __call__(self, form, field):
        other = form[self.other]
        if field.data is not None and field.data == other.data:
            raise ValidationError(_("Cannot be the same as “%(other)s”.", other=other.label.text))


class LicencePlate:
    """A mainland licence plate such as 粤B12345 or 粤BD12345; stored upper-case, no spaces."""

    def __call__(self, form, field):
        if not field.data:
            return
        value = re.sub(r"[\s·.-]", "", field.data).upper()
        if not PLATE_RE.fullmatch(value):
            raise ValidationError(_("Enter a licence plate such as 粤B12345."))
        field.data = value


# Field rules (form_args) shared by the screens and by the inline rows under a unit.
NAME = {"validators": [DataRequired(), Length(max=50)]}
MOBILE = {"validators": [Optional(), MainlandMobile()]}
ID_NUMBER = {"validators": [Optional(), ResidentIdNumber()]}
NOTES = {"validators": [Optional(), Length(max=5000)]}
CARD_NO = {"validators": [DataRequired(), Length(max=30)]}
ISSUED_ON = {"validators": [DataRequired(), DateInRange(years_back=30)]}
RETURNED_ON = {"validators": [Optional(), DateInRange(years_back=30), NotBefore("issued_on")]}
MEMBER_ARGS = {
    "name": NAME,
    "id_number": ID_NUMBER,
    "mobile": MOBILE,
    "joined_on": {"validators": [Optional(), DateInRange(years_back=100)]},
    "left_on": {"validators": [Optional(), DateInRange(years_back=100), NotBefore("joined_on")]},
    **reference_form_args(relation="relation", change_reason="household_change_reason"),
}
RESIDENT_CARD_ARGS = {
    "card_no": CARD_NO,
    "holder_name": NAME,
    "issued_on": ISSUED_ON,
    "returned_on": RETURNED_ON,
}
VEHICLE_CARD_ARGS = {
    **RESIDENT_CARD_ARGS,
    "plate_no": {"validators": [DataRequired(), Length(max=12), LicencePlate()]},
}
