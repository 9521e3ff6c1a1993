"""Dealers (经销商) with their data cards, potential-dealer files and visits.

Region managers see and edit only the dealers of their own region: every view here scopes
its query to that region (the children through their dealer), and every select offers only
that region's rows, read at request time.
"""

from __future__ import annotations

from flask import url_for
from flask_admin.contrib.sqla.fields import InlineModelFormList, QuerySelectField
from flask_admin.contrib.sqla.filters import BooleanEqualFilter, DateBetweenFilter, FilterEqual
from flask_admin.contrib.sqla.form import InlineModelConverter
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import ColumnElement, false, select, true
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from extensions import db
from forms.admin.reference import active_items_query, reference_filter
from forms.shared.validators import DateInRange, Landline, MainlandMobile
from models.admin.people import Role, User
from models.admin.reference import ReferenceItem
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from services.admin.accounts import sees_own_region_only
from views.shared.base import SecureModelView
from views.shared.formatters import child_table

STATUS_CHOICES = [("potential", _l("Potential")), ("signed", _l("Signed"))]


# --- building blocks (generic; candidates for views/shared/base.py or forms/) ---------------------
class ScopedSelectField(QuerySelectField):
    """A select whose choices depend on the signed-in user. A posted value outside them is
    refused with ``out_of_scope_message`` instead of WTForms' bare "Not a valid choice"."""

    def __init__(self, *args, out_of_scope_message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.out_of_scope_message = out_of_scope_message or _l("Choose one of the listed values.")

    def pre_validate(self, form) -> None:
        if self.data is None:
            if self.raw_data and self.raw_data[0] not in ("", "__None"):
                raise ValidationError(str(self.out_of_scope_message))
            return  # blank: the field's required/optional validator decides
        super().pre_validate(form)


class KeptRowsFormList(InlineModelFormList):
    """Inline rows that can be added and edited from the parent's form but never deleted
    there: deleting a child needs the child view's own delete right."""

    def display_row_controls(self, field) -> bool:
        return False

    def should_delete(self, field) -> bool:
        return False


class KeptRowsConverter(InlineModelConverter):
    inline_field_list_type = KeptRowsFormList


class KeptRowsInline(InlineFormAdmin):
    inline_converter = KeptRowsConverter


# --- region scoping -------------------------------------------------------------------------
def region_clause(region_column) -> ColumnElement[bool]:
    """SQL condition keeping the rows a user may see: their own region for a region manager
    (none when the account names no region), every row for the other roles."""
    if not current_user.is_authenticated:
        return false()
    if not sees_own_region_only(current_user):
        return true()
    if current_user.region_id is None:
        return false()
    return region_column == current_user.region_id


def region_choices() -> list[ReferenceItem]:
    """Regions a dealer may be put in: the manager's own, or every active region."""
    if sees_own_region_only(current_user):
        return list(
            db.session.scalars(
                select(ReferenceItem).where(ReferenceItem.id == current_user.region_id)
            )
        )
    return active_items_query("region")()


def dealer_choices() -> list[Dealer]:
    return list(
        db.session.scalars(
            select(Dealer).where(region_clause(Dealer.region_id)).order_by(Dealer.name, Dealer.id)
        )
    )


def manager_choices() -> list[User]:
    """Active region managers, of the user's own region for a region manager."""
    query = (
        select(User)
        .join(Role, User.role_id == Role.id)
        .where(Role.code == "region_manager", User.active.is_(True))
        .where(region_clause(User.region_id))
        .order_by(User.full_name, User.id)
    )
    return list(db.session.scalars(query))


def visitor_choices() -> list[User]:
    """Active staff; a region manager picks among the staff of their own region."""
    query = (
        select(User)
        .where(User.active.is_(True), region_clause(User.region_id))
        .order_by(User.full_name, User.id)
    )
    return list(db.session.scalars(query))


OUT_OF_REGION = _l("You can only record dealers of your own region.")


DEALER_SELECT_ARGS = {
    "query_factory": dealer_choices,
    "out_of_scope_message": _l("Choose a dealer of your own region."),
}


class RegionScopedChildView(SecureModelView):
    """A dealer's child record: visible when its dealer is."""

    form_overrides = {"dealer": ScopedSelectField}

    def scope_query(self, query):
        if not sees_own_region_only(current_user):
            return query
        return query.filter(self.model.dealer.has(region_clause(Dealer.region_id)))


# --- dealers --------------------------------------------------------------------------------
DATA_CARD_LABELS = {
    "filled_on": _l("Filled on"),
    "legal_representative": _l("Legal representative"),
    "licence_no": _l("Business licence number"),
    "business_scope": _l("Business scope"),
    "annual_sales_wan": _l("Annual sales (10k yuan)"),
    "outlets": _l("Outlets"),
    "bank_account": _l("Settlement bank account"),
}
POTENTIAL_FILE_LABELS = {
    "written_on": _l("Written on"),
    "business_profile": _l("Size and business"),
    "current_suppliers": _l("Current products and suppliers"),
    "interest": _l("Interest and obstacles"),
    "next_step": _l("Next step"),
}
VISIT_LABELS = {
    "visited_on": _l("Visit date"),
    "visitor": _l("Visited by"),
    "summary": _l("What was discussed"),
}
DEALER_LABELS = {
    "contact_name": _l("Contact person"),
    "contract_signed_on": _l("Contract date"),
    "in_directory": _l("In potential-dealer directory"),
    "manager": _l("Responsible manager"),
    "data_card": _l("Customer data card"),
    "potential_files": _l("Potential-dealer files"),
    "visits": _l("Visits"),
}

POTENTIAL_FILE_ARGS = {
    "written_on": {"validators": [DataRequired(), DateInRange(years_back=10)]},
    "business_profile": {"validators": [Optional(), Length(max=5000)]},
    "current_suppliers": {"validators": [Optional(), Length(max=5000)]},
    "interest": {"validators": [Optional(), Length(max=5000)]},
    "next_step": {"validators": [Optional(), Length(max=5000)]},
}
VISIT_ARGS = {
    "visited_on": {"validators": [DataRequired(), DateInRange(years_back=10)]},
    "visitor": {"query_factory": visitor_choices},
    "summary": {"validators": [DataRequired(), Length(max=5000)]},
}


class PotentialFileInline(KeptRowsInline):
    form_columns = ("id", *POTENTIAL_FILE_LABELS)
    form_label = _l("Potential-dealer file")
    column_labels = POTENTIAL_FILE_LABELS
    form_args = POTENTIAL_FILE_ARGS


class DealerVisitInline(KeptRowsInline):
    form_columns = ("id", "visited_on", "visitor", "summary")
    form_label = _l("Visit")
    column_labels = VISIT_LABELS
    form_args = VISIT_ARGS


DEALER_FIELDS = (
    "name",
    "region",
    "status",
    "contact_name",
    "mobile",
    "landline",
    "address",
    "contract_signed_on",
    "in_directory",
    "manager",
    "notes",
)


def _data_card_link(view, context, model, name) -> Markup:
    card = model.data_card
    if card is None:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(
        url_for("dealer_data_card.details_view", id=card.id),
        _("Filled on %(date)s", date=card.filled_on.isoformat()),
    )


class DealerView(SecureModelView):
    access_key = "dealer"

    column_list = ("name", "region", "status", "contract_signed_on", "in_directory", "manager")
    column_details_list = (
        *DEALER_FIELDS,
        "data_card",
        "potential_files",
        "visits",
        "created_at",
        "updated_at",
    )
    # No contact person and no phone numbers leave the panel in a file.
    column_export_list = ("id", *column_list)
    column_labels = DEALER_LABELS
    column_searchable_list = ("name", "contact_name", "mobile")
    column_filters = (
        reference_filter(Dealer.region_id, "region", _l("Region")),
        FilterEqual(Dealer.status, _l("Status"), options=STATUS_CHOICES),
        BooleanEqualFilter(Dealer.in_directory, _l("In potential-dealer directory")),
        DateBetweenFilter(Dealer.contract_signed_on, _l("Contract date")),
    )
    column_sortable_list = (
        "name",
        "status",
        "contract_signed_on",
        "in_directory",
        ("manager", "manager.full_name"),
    )
    column_default_sort = ("id", True)
    column_choices = {"status": STATUS_CHOICES}
    column_formatters_detail = {
        "data_card": _data_card_link,
        "potential_files": child_table(
            "potential_files",
            [(key, POTENTIAL_FILE_LABELS[key]) for key in ("written_on", "interest", "next_step")],
        ),
        "visits": child_table(
            "visits", [(key, VISIT_LABELS[key]) for key in ("visited_on", "visitor", "summary")]
        ),
    }

    form_columns = DEALER_FIELDS
    form_choices = {"status": STATUS_CHOICES}
    form_overrides = {"region": ScopedSelectField}
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=100)]},
        "region": {"query_factory": region_choices, "out_of_scope_message": OUT_OF_REGION},
        "contact_name": {"validators": [Optional(), Length(max=50)]},
        "mobile": {"validators": [Optional(), MainlandMobile()]},
        "landline": {"validators": [Optional(), Landline()]},
        "address": {"validators": [Optional(), Length(max=200)]},
        "contract_signed_on": {"validators": [Optional(), DateInRange(years_back=30)]},
        "manager": {"query_factory": manager_choices},
        "notes": {"validators": [Optional(), Length(max=5000)]},
    }
    inline_models = (
        PotentialFileInline(PotentialDealerFile),
        DealerVisitInline(DealerVisit),
    )

    def scope_query(self, query):
        return query.filter(region_clause(Dealer.region_id))


DATA_CARD_FIELDS = ("dealer", *DATA_CARD_LABELS, "notes")


def _one_card_per_dealer(form, field) -> None:
    if field.data is None:
        return
    card = field.data.data_card
    if card is not None and card is not getattr(form, "_obj", None):
        raise ValidationError(_("This dealer already has a customer data card."))


class DealerDataCardView(RegionScopedChildView):
    access_key = "dealer_data_card"

    column_list = ("dealer", "filled_on", "licence_no", "annual_sales_wan", "outlets")
    column_details_list = (*DATA_CARD_FIELDS, "created_at", "updated_at")
    # Legal representative and bank account are personal data: not exported.
    column_export_list = ("id", "dealer", "filled_on", "licence_no", "annual_sales_wan", "outlets")
    column_labels = {**DATA_CARD_LABELS, "dealer.name": _l("Dealer")}  # the search's placeholder
    column_searchable_list = ("dealer.name", "licence_no")
    column_filters = (
        reference_filter(Dealer.region_id, "region", _l("Region")),
        DateBetweenFilter(DealerDataCard.filled_on, _l("Filled on")),
    )
    column_sortable_list = (("dealer", "dealer.name"), "filled_on", "annual_sales_wan", "outlets")
    column_default_sort = ("id", True)

    form_columns = DATA_CARD_FIELDS
    form_args = {
        "dealer": {
            **DEALER_SELECT_ARGS,
            "validators": [InputRequired(), _one_card_per_dealer],
        },
        "filled_on": {"validators": [DataRequired(), DateInRange(years_back=30)]},
        "legal_representative": {"validators": [Optional(), Length(max=50)]},
        "licence_no": {"validators": [Optional(), Length(max=50)]},
        "business_scope": {"validators": [Optional(), Length(max=5000)]},
        "annual_sales_wan": {"validators": [Optional(), NumberRange(min=0, max=10_000_000)]},
        "outlets": {"validators": [Optional(), NumberRange(min=0, max=100_000)]},
        "bank_account": {"validators": [Optional(), Length(max=100)]},
        "notes": {"validators": [Optional(), Length(max=5000)]},
    }


class PotentialDealerFileView(RegionScopedChildView):
    access_key = "potential_dealer_file"

    column_list = ("dealer", "written_on", "interest", "next_step")
    column_details_list = (
        "dealer",
        "written_on",
        "business_profile",
        "current_suppliers",
        "interest",
        "next_step",
        "created_at",
        "updated_at",
    )
    # Free text can carry names and phone numbers: it stays on screen, out of files.
    column_export_list = ("id", "dealer", "written_on")
    column_labels = {**POTENTIAL_FILE_LABELS, "dealer.name": _l("Dealer")}
    column_searchable_list = ("dealer.name",)
    column_filters = (
        reference_filter(Dealer.region_id, "region", _l("Region")),
        DateBetweenFilter(PotentialDealerFile.written_on, _l("Written on")),
    )
    column_sortable_list = (("dealer", "dealer.name"), "written_on")
    column_default_sort = ("id", True)

    form_columns = ("dealer", *POTENTIAL_FILE_LABELS)
    form_args = {
        "dealer": {**DEALER_SELECT_ARGS, "validators": [InputRequired()]},
        **POTENTIAL_FILE_ARGS,
    }


class DealerVisitView(RegionScopedChildView):
    access_key = "dealer_visit"

    column_list = ("dealer", "visited_on", "visitor", "summary")
    column_details_list = ("dealer", "visited_on", "visitor", "summary", "created_at")
    column_export_list = ("id", "dealer", "visited_on", "visitor")
    column_labels = {**VISIT_LABELS, "dealer.name": _l("Dealer")}
    column_searchable_list = ("dealer.name", "summary")
    column_filters = (
        reference_filter(Dealer.region_id, "region", _l("Region")),
        DateBetweenFilter(DealerVisit.visited_on, _l("Visit date")),
    )
    column_sortable_list = (("dealer", "dealer.name"), "visited_on")
    column_default_sort = ("visited_on", True)

    form_columns = ("dealer", "visited_on", "visitor", "summary")
    form_args = {
        "dealer": {**DEALER_SELECT_ARGS, "validators": [InputRequired()]},
        **VISIT_ARGS,
    }


def register(admin, db) -> None:
    category = _l("Dealers")
    admin.add_view(DealerView(Dealer, db, name=_l("Dealers"), category=category))
    admin.add_view(
        DealerDataCardView(DealerDataCard, db, name=_l("Customer data cards"), category=category)
    )
    admin.add_view(
        PotentialDealerFileView(
            PotentialDealerFile, db, name=_l("Potential-dealer files"), category=category
        )
    )
    admin.add_view(DealerVisitView(DealerVisit, db, name=_l("Dealer visits"), category=category))
