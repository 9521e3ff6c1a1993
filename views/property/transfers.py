"""Property-right transfers (产权转让) with their checklist rows inline.

The records only: completing or cancelling a transfer and ticking its items (who, when)
belong to the transfer workflow in services, so this form leaves status, completion and
the ticks alone.
"""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forms.admin.reference import reference_filter, reference_form_args
from forms.property.property import PROPERTY_LABELS, TRANSFER_STATUS_CHOICES, DifferentFrom
from forms.shared.validators import DateInRange
from models.property.property import Unit
from models.property.transfers import Transfer, TransferItem
from views.property.base import OWNER_REF, UNIT_REF
from views.shared.base import SecureModelView
from views.shared.formatters import child_table

L = PROPERTY_LABELS


def _zero_if_blank(value):
    return 0 if value is None else value


class TransferItemInline(InlineFormAdmin):
    form_columns = ("id", "position", "kind", "resident_card", "vehicle_card", "note")
    form_label = _l("Checklist item")
    column_labels = L
    form_args = {
        "position": {
            "validators": [Optional(), NumberRange(min=0, max=999)],
            "filters": [_zero_if_blank],
        },
        "note": {"validators": [Optional(), Length(max=200)]},
        **reference_form_args(kind="transfer_item"),
    }
    form_ajax_refs = {
        "resident_card": {"fields": ("card_no",), "placeholder": _l("Type the card number")},
        "vehicle_card": {
            "fields": ("card_no", "plate_no"),
            "placeholder": _l("Type the card number or the plate"),
        },
    }


class TransferView(SecureModelView):
    access_key = "transfer"

    column_list = ("unit", "seller", "buyer", "status", "opened_on", "completed_on")
    column_details_list = (
        *column_list,
        *("cancel_reason", "notes", "items", "created_at", "updated_at"),
    )
    column_export_list = ("id", *column_list)
    column_labels = L
    column_searchable_list = ("seller.name", "buyer.name", "unit.room")
    column_filters = (
        FilterEqual(Transfer.status, _l("Status"), options=TRANSFER_STATUS_CHOICES),
        reference_filter(Unit.project_id, "project", _l("Project")),
        DateBetweenFilter(Transfer.opened_on, L["opened_on"]),
        DateBetweenFilter(Transfer.completed_on, L["completed_on"]),
    )
    column_sortable_list = (
        ("seller", "seller.name"),
        ("buyer", "buyer.name"),
        *("status", "opened_on", "completed_on"),
    )
    column_default_sort = ("id", True)
    column_choices = {"status": TRANSFER_STATUS_CHOICES}
    column_formatters_detail = {
        "items": child_table(
            "items",
            [
                (name, L[name])
                for name in ("kind", "resident_card", "vehicle_card", "note", "done_at", "done_by")
            ],
        )
    }

    # Status, completion and cancelling belong to the transfer workflow, not to this form.
    form_columns = ("unit", "seller", "buyer", "opened_on", "notes")
    form_ajax_refs = {"unit": UNIT_REF, "seller": OWNER_REF, "buyer": OWNER_REF}
    form_args = {
        "buyer": {"validators": [DifferentFrom("seller")]},
        "opened_on": {"validators": [DataRequired(), DateInRange(years_back=30)]},
        "notes": {"validators": [Optional(), Length(max=5000)]},
    }
    inline_models = (TransferItemInline(TransferItem),)

    def get_query(self):
        # The list prints unit (with its project), seller and buyer: load them with the rows.
        return super().get_query().options(joinedload(Transfer.unit).joinedload(Unit.project))


def register(admin, db) -> None:
    admin.add_view(
        TransferView(Transfer, db, name=_l("Property-right transfers"), category=_l("Transfers"))
    )
