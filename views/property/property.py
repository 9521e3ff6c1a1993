"""Owners, units and what hangs off a unit: ownerships, household members, tenants,
leases, resident and vehicle cards, parking spaces.

Selects of owners, units and tenants search as you type (``form_ajax_refs``): there are
hundreds of thousands of them, too many for a plain select.
"""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEmpty, FilterEqual
from flask_admin.model.form import InlineFormAdmin
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from forms.admin.reference import reference_filter, reference_form_args
from forms.property.property import (
    CARD_STATUS_CHOICES,
    ID_NUMBER,
    MEMBER_ARGS,
    MOBILE,
    NAME,
    NOTES,
    RESIDENT_CARD_ARGS,
    TENURE_CHOICES,
    VEHICLE_CARD_ARGS,
    NotBefore,
)
from forms.property.property import LEASE_STATUS_CHOICES as LEASE_CHOICES
from forms.shared.validators import DateInRange, Landline
from models.archive.archives import ArchiveFile
from models.property.property import (
    HouseholdMember,
    Lease,
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Tenant,
    Unit,
    VehicleCard,
)
from views.archive.archives import paper_file_links
from views.privacy.partner_links import PartnerShareActionMixin
from views.privacy.request_links import register_request_link
from views.property.base import OWNER_REF, TENANT_REF, UNIT_REF, L, PropertyView
from views.property.leases import LeaseView
from views.shared.formatters import child_table
from views.shared.labels import COMMON_LABELS

MEMBER_COLUMNS = (
    "name",
    "relation",
    "id_number",
    "mobile",
    "joined_on",
    "left_on",
    "change_reason",
)
CARD_COLUMNS = ("card_no", "holder_name", "issued_on", "returned_on", "status")
VEHICLE_COLUMNS = ("card_no", "plate_no", "holder_name", "issued_on", "returned_on", "status")


def _rows(*names: str) -> list[tuple[str, object]]:
    """(attribute, label) pairs for a details child table."""
    labels = {**COMMON_LABELS, **L}
    return [(name, labels[name]) for name in names]


def _current_units(view, context, model, name) -> str:
    return ", ".join(str(o.unit) for o in model.ownerships if o.ended_on is None)


class OwnerView(PartnerShareActionMixin, PropertyView):
    access_key = "owner"
    consent_bases = ("contract", "consent")
    # History, consents, partner sharing and who looked: read after the page
    # (views/shared/mixins/links.py details_panels_view).
    details_panels_deferred = True

    def related_links(self, model):
        return [
            *paper_file_links(ArchiveFile.owner_id, model.id),
            register_request_link("owner", model.id),
        ]

    eager = (selectinload(Owner.ownerships).joinedload(Ownership.unit).joinedload(Unit.project),)
    column_list = ("name", "mobile", "landline", "current_units", "created_at")
    column_details_list = (
        *("name", "mobile", "landline", "id_number", "address", "notes"),
        *("current_units", "ownerships", "created_at", "updated_at"),
    )
    column_export_list = ("id", "name", "current_units", "created_at")
    column_searchable_list = ("name", "mobile", "id_number")
    column_filters = (DateBetweenFilter(Owner.created_at, _l("Created at")),)
    column_sortable_list = ("name", "created_at")
    column_formatters = {"current_units": _current_units}
    column_formatters_export = {"current_units": _current_units}
    column_formatters_detail = {
        "current_units": _current_units,
        "ownerships": child_table("ownerships", _rows("unit", "started_on", "ended_on")),
    }
    form_columns = ("name", "mobile", "landline", "id_number", "address", "notes")
    form_args = {
        "name": NAME,
        "mobile": MOBILE,
        "landline": {"validators": [Optional(), Landline()]},
        "id_number": ID_NUMBER,
        "address": {"validators": [Optional(), Length(max=200)]},
        "notes": NOTES,
    }


class MemberInline(InlineFormAdmin):
    form_columns = ("id", *MEMBER_COLUMNS)
    form_label = _l("Household member")
    # An inline form is not a SecureModelView: the shared labels (name, mobile...) are added here.
    column_labels = {**COMMON_LABELS, **L}
    form_args = MEMBER_ARGS


class ResidentCardInline(InlineFormAdmin):
    form_columns = ("id", *CARD_COLUMNS)
    form_label = _l("Resident smart card")
    column_labels = {**COMMON_LABELS, **L}
    form_args = RESIDENT_CARD_ARGS
    form_choices = {"status": CARD_STATUS_CHOICES}


class VehicleCardInline(InlineFormAdmin):
    form_columns = ("id", *VEHICLE_COLUMNS)
    form_label = _l("Vehicle IC card")
    column_labels = {**COMMON_LABELS, **L}
    form_args = VEHICLE_CARD_ARGS
    form_choices = {"status": CARD_STATUS_CHOICES}


class UnitView(PropertyView):
    access_key = "unit"

    def related_links(self, model):
        return [
            (_l("Unit timeline"), "unit_timeline.unit", {"unit_id": model.id}),
            (
                _l("Open a transfer at the desk"),
                "transfer_desk.open_transfer",
                {"unit_id": model.id},
            ),
            (_l("Household changes"), "transfer_desk.household", {"unit_id": model.id}),
            *paper_file_links(ArchiveFile.unit_id, model.id),
        ]

    eager = (selectinload(Unit.ownerships).joinedload(Ownership.owner),)
    column_list = ("project", "building", "room", "floor", "area_m2", "current_owner")
    column_details_list = (
        *("project", "building", "room", "floor", "area_m2", "current_owner", "notes"),
        *("ownerships", "household_members", "resident_cards", "vehicle_cards", "leases"),
        *("created_at", "updated_at"),
    )
    column_export_list = ("id", "project", "building", "room", "floor", "area_m2", "current_owner")
    column_searchable_list = ("room", "building")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        DateBetweenFilter(Unit.created_at, _l("Created at")),
    )
    column_sortable_list = (
        ("project", "project.sort_order"),
        *("building", "room", "floor", "area_m2"),
    )
    column_formatters_detail = {
        "ownerships": child_table("ownerships", _rows("owner", "started_on", "ended_on")),
        "household_members": child_table(
            "household_members", _rows("name", "relation", "joined_on", "left_on")
        ),
        "resident_cards": child_table(
            "resident_cards", _rows("card_no", "holder_name", "issued_on", "returned_on")
        ),
        "vehicle_cards": child_table(
            "vehicle_cards", _rows("card_no", "plate_no", "holder_name", "returned_on")
        ),
        "leases": child_table(
            "leases",
            _rows("tenant", "starts_on", "ends_on", "status", "moved_out_on"),
            {"status": LEASE_CHOICES},
        ),
    }
    form_columns = ("project", "building", "room", "floor", "area_m2", "notes")
    form_args = {
        **reference_form_args(project="project"),
        "building": {"validators": [DataRequired(), Length(max=20)]},
        "room": {"validators": [DataRequired(), Length(max=20)]},
        "floor": {"validators": [Optional(), NumberRange(min=-10, max=200)]},
        "area_m2": {"validators": [Optional(), NumberRange(min=1, max=100000)]},
        "notes": NOTES,
    }
    inline_models = (
        MemberInline(HouseholdMember),
        ResidentCardInline(ResidentCard),
        VehicleCardInline(VehicleCard),
    )


class OwnershipView(PropertyView):
    access_key = "ownership"
    eager = (joinedload(Ownership.unit).joinedload(Unit.project),)
    column_list = ("unit", "owner", "started_on", "ended_on")
    column_details_list = ("unit", "owner", "started_on", "ended_on", "created_at")
    column_export_list = ("id", "unit", "owner", "started_on", "ended_on")
    column_searchable_list = ("owner.name", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        FilterEmpty(Ownership.ended_on, L["ended_on"]),
        DateBetweenFilter(Ownership.started_on, L["started_on"]),
        DateBetweenFilter(Ownership.ended_on, L["ended_on"]),
    )
    column_sortable_list = (("owner", "owner.name"), "started_on", "ended_on")
    form_columns = ("unit", "owner", "started_on", "ended_on")
    form_ajax_refs = {"unit": UNIT_REF, "owner": OWNER_REF}
    form_args = {
        "started_on": {"validators": [DataRequired(), DateInRange(years_back=70, days_ahead=31)]},
        "ended_on": {
            "validators": [Optional(), DateInRange(years_back=70), NotBefore("started_on")]
        },
    }


class HouseholdMemberView(PropertyView):
    access_key = "household_member"
    eager = (
        joinedload(HouseholdMember.unit).joinedload(Unit.project),
        joinedload(HouseholdMember.change_reason),
    )
    column_list = ("name", "unit", "relation", "mobile", "joined_on", "left_on")
    column_details_list = ("unit", *MEMBER_COLUMNS, "created_at", "updated_at")
    column_export_list = ("id", "unit", "name", "relation", "joined_on", "left_on", "change_reason")
    column_searchable_list = ("name", "mobile", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        reference_filter(HouseholdMember.relation_id, "relation", L["relation"]),
        reference_filter(
            HouseholdMember.change_reason_id, "household_change_reason", L["change_reason"]
        ),
        FilterEmpty(HouseholdMember.left_on, L["left_on"]),
        DateBetweenFilter(HouseholdMember.joined_on, L["joined_on"]),
        DateBetweenFilter(HouseholdMember.left_on, L["left_on"]),
    )
    column_sortable_list = ("name", ("unit", "unit.room"), "joined_on", "left_on")
    form_columns = ("unit", *MEMBER_COLUMNS)
    form_ajax_refs = {"unit": UNIT_REF}
    form_args = MEMBER_ARGS


class TenantView(PartnerShareActionMixin, PropertyView):
    access_key = "tenant"
    # A tenant's data is kept on the lease contract, or on the tenant's own consent (PIPL).
    consent_bases = ("contract", "consent")
    # History, consents, partner sharing and who looked: read after the page
    # (views/shared/mixins/links.py details_panels_view).
    details_panels_deferred = True

    def related_links(self, model):
        return [register_request_link("tenant", model.id)]

    eager = (selectinload(Tenant.leases).joinedload(Lease.unit).joinedload(Unit.project),)
    column_list = ("name", "mobile", "created_at")
    column_details_list = ("name", "mobile", "id_number", "notes", "leases", "created_at")
    column_export_list = ("id", "name", "created_at")
    column_searchable_list = ("name", "mobile", "id_number")
    column_filters = (DateBetweenFilter(Tenant.created_at, _l("Created at")),)
    column_sortable_list = ("name", "created_at")
    column_formatters_detail = {
        "leases": child_table(
            "leases",
            _rows("unit", "starts_on", "ends_on", "status", "moved_out_on"),
            {"status": LEASE_CHOICES},
        )
    }
    form_columns = ("name", "mobile", "id_number", "notes")
    form_args = {"name": NAME, "mobile": MOBILE, "id_number": ID_NUMBER, "notes": NOTES}


class ResidentCardView(PropertyView):
    access_key = "resident_card"
    eager = (joinedload(ResidentCard.unit).joinedload(Unit.project),)
    column_list = ("card_no", "unit", "holder_name", "tenant", "issued_on", "status")
    column_details_list = (
        *("card_no", "unit", "holder_name", "tenant", "issued_on", "returned_on", "status"),
        "created_at",
    )
    column_export_list = ("id", *column_details_list[:-1])
    column_searchable_list = ("card_no", "holder_name", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        FilterEqual(ResidentCard.status, _l("Status"), options=CARD_STATUS_CHOICES),
        DateBetweenFilter(ResidentCard.issued_on, L["issued_on"]),
        DateBetweenFilter(ResidentCard.returned_on, L["returned_on"]),
    )
    column_sortable_list = ("card_no", "holder_name", "issued_on", "status")
    column_choices = {"status": CARD_STATUS_CHOICES}
    form_columns = ("card_no", "unit", "holder_name", "tenant", *CARD_COLUMNS[2:])
    form_choices = {"status": CARD_STATUS_CHOICES}
    form_ajax_refs = {"unit": UNIT_REF, "tenant": TENANT_REF}
    form_args = RESIDENT_CARD_ARGS


class VehicleCardView(PropertyView):
    access_key = "vehicle_card"
    eager = (joinedload(VehicleCard.unit).joinedload(Unit.project),)
    column_list = ("card_no", "plate_no", "unit", "holder_name", "issued_on", "status")
    column_details_list = ("unit", *VEHICLE_COLUMNS, "created_at")
    # The plate identifies a person's car: it stays out of exports, like phones and IDs.
    column_export_list = ("id", "unit", *(c for c in VEHICLE_COLUMNS if c != "plate_no"))
    column_searchable_list = ("card_no", "plate_no", "holder_name", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        FilterEqual(VehicleCard.status, _l("Status"), options=CARD_STATUS_CHOICES),
        DateBetweenFilter(VehicleCard.issued_on, L["issued_on"]),
        DateBetweenFilter(VehicleCard.returned_on, L["returned_on"]),
    )
    column_sortable_list = ("card_no", "plate_no", "holder_name", "issued_on", "status")
    column_choices = {"status": CARD_STATUS_CHOICES}
    form_columns = ("unit", *VEHICLE_COLUMNS)
    form_choices = {"status": CARD_STATUS_CHOICES}
    form_ajax_refs = {"unit": UNIT_REF}
    form_args = VEHICLE_CARD_ARGS


class ParkingSpaceView(PropertyView):
    access_key = "parking_space"
    eager = (joinedload(ParkingSpace.unit).joinedload(Unit.project),)
    column_list = ("code", "tenure", "unit", "owner", "fees_paid_until")
    column_details_list = (*column_list, "created_at", "updated_at")
    column_export_list = ("id", *column_list)
    column_searchable_list = ("code", "owner.name", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        FilterEqual(ParkingSpace.tenure, L["tenure"], options=TENURE_CHOICES),
        DateBetweenFilter(ParkingSpace.fees_paid_until, L["fees_paid_until"]),
    )
    column_sortable_list = ("code", "tenure", ("owner", "owner.name"), "fees_paid_until")
    column_choices = {"tenure": TENURE_CHOICES}
    form_columns = ("code", "tenure", "unit", "owner", "fees_paid_until")
    form_choices = {"tenure": TENURE_CHOICES}
    form_ajax_refs = {"unit": UNIT_REF, "owner": OWNER_REF}
    form_args = {
        "code": {"validators": [DataRequired(), Length(max=20)]},
        "fees_paid_until": {
            "validators": [Optional(), DateInRange(years_back=30, days_ahead=366 * 10)]
        },
    }


VIEWS = (
    (OwnerView, Owner, _l("Owners")),
    (UnitView, Unit, _l("Units")),
    (OwnershipView, Ownership, _l("Ownership history")),
    (HouseholdMemberView, HouseholdMember, _l("Household members")),
    (TenantView, Tenant, _l("Tenants")),
    (LeaseView, Lease, _l("Leases and sublets")),
    (ResidentCardView, ResidentCard, _l("Resident smart cards")),
    (VehicleCardView, VehicleCard, _l("Vehicle IC cards")),
    (ParkingSpaceView, ParkingSpace, _l("Parking spaces")),
)


def register(admin, db) -> None:
    for view_class, model, name in VIEWS:
        admin.add_view(view_class(model, db, name=name, category=_l("Property")))
