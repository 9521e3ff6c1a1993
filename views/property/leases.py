"""Leases and sublets (转租): registered at the desk over one or more sittings; the status
follows the intake recorded (services/property/leases.py), and a lease is ended at the move-out desk."""

from __future__ import annotations

from flask import flash
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms.validators import DataRequired, Optional

from extensions import db
from forms.admin.reference import reference_filter
from forms.property.property import LEASE_STATUS_CHOICES as LEASE_CHOICES
from forms.property.property import PAYER_CHOICES, NotBefore
from forms.shared.validators import DateInRange
from models.property.property import Lease, Unit
from services.property import leases
from views.property.base import TENANT_REF, UNIT_REF, L, PropertyView

PAYERS = ("management_payer", "water_payer", "electricity_payer", "gas_payer")
LEASE_CHECKS = ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid")
INTAKE_FIELDS = ("both_parties_came_on", "original_seen_by", *LEASE_CHECKS)


def intake_staff_choices():
    return db.session.scalars(leases.intake_staff_query(current_user)).all()


def _intake_missing(view, context, model, name) -> Markup:
    if model.status == "ended":
        return Markup("")
    missing = leases.intake_missing(model)
    if not missing:
        return Markup('<span id="intake-missing" class="text-success">{}</span>').format(
            _l("Intake complete")
        )
    return Markup('<span id="intake-missing" class="text-warning">{}</span>').format(
        "、".join(missing)
    )


class LeaseView(PropertyView):
    access_key = "lease"

    def related_links(self, model):
        links = [(_l("Unit timeline"), "unit_timeline.unit", {"unit_id": model.unit_id})]
        if model.status == "active":
            links.append((_l("End this lease"), "transfer_desk.end_lease", {"lease_id": model.id}))
        return links

    eager = (joinedload(Lease.unit).joinedload(Unit.project),)
    column_list = ("unit", "tenant", "starts_on", "ends_on", "status", "moved_out_on")
    column_details_list = (
        *("unit", "tenant", "starts_on", "ends_on", "status", "intake_missing"),
        *(*INTAKE_FIELDS, *PAYERS),
        *("moved_out_on", "created_at", "updated_at"),
    )
    column_export_list = ("id", "unit", "tenant", "starts_on", "ends_on", *PAYERS, "status")
    column_searchable_list = ("tenant.name", "tenant.mobile", "unit.room")
    column_filters = (
        reference_filter(Unit.project_id, "project", _l("Project")),
        FilterEqual(Lease.status, _l("Status"), options=LEASE_CHOICES),
        DateBetweenFilter(Lease.starts_on, L["starts_on"]),
        DateBetweenFilter(Lease.ends_on, L["ends_on"]),
    )
    column_sortable_list = (("tenant", "tenant.name"), "starts_on", "ends_on", "status")
    column_choices = {"status": LEASE_CHOICES, **dict.fromkeys(PAYERS, PAYER_CHOICES)}
    column_formatters_detail = {"intake_missing": _intake_missing}
    # Status and move-out belong to the lease workflow (services), not to this form.
    form_columns = ("unit", "tenant", "starts_on", "ends_on", *INTAKE_FIELDS, *PAYERS)
    form_choices = dict.fromkeys(PAYERS, PAYER_CHOICES)
    form_ajax_refs = {"unit": UNIT_REF, "tenant": TENANT_REF}
    form_args = {
        "starts_on": {"validators": [DataRequired(), DateInRange(years_back=30, days_ahead=366)]},
        "ends_on": {
            "validators": [
                Optional(),
                DateInRange(years_back=30, days_ahead=366 * 21),
                NotBefore("starts_on"),
            ]
        },
        "both_parties_came_on": {"validators": [Optional(), DateInRange(years_back=30)]},
        "original_seen_by": {
            "query_factory": intake_staff_choices,
            "description": _l("Left empty when ticking “original seen”: you saw it."),
        },
    }

    def on_model_change(self, form, model, is_created):
        leases.record_intake(db.session, current_user._get_current_object(), model)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, leases.LeaseError):
            flash(str(exc.message), "error")
            return True
        return super().handle_view_exception(exc)
