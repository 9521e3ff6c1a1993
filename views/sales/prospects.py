"""Welcome cards (prospects) with their receptions and follow-ups inline."""

from __future__ import annotations

from types import SimpleNamespace

from flask import flash, g, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual
from flask_admin.model.form import InlineFormAdmin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.clock import office_today
from extensions import db
from forms.admin.reference import consultant_filter, reference_filter, reference_form_args
from forms.sales.consultants import ConsultantField, consultant_form_args
from forms.shared.validators import DateInRange, Landline, MainlandMobile
from models.sales.prospects import Prospect, Visit
from services.privacy import audit
from services.sales import collisions
from services.sales.consultants import NoConsultant, assign_reception_consultants
from services.sales.ownership import card_clause, sees_own_cards_only
from services.sales.prospects import (
    RECEPTION_SHOWN,
    NoFirstReception,
    assign_default_consultant,
    number_visits,
    reception_rows,
    require_first_reception,
)
from views.privacy.partner_links import PartnerShareActionMixin
from views.privacy.request_links import register_request_link
from views.sales.card_buttons import CardButtonsMixin
from views.sales.scouts import ScoutFlagMixin, scout_detail
from views.shared.audit_context import current_actor
from views.shared.base import SecureModelView
from views.shared.details_layout import details_fragment
from views.shared.details_table import render_details_table
from views.shared.exports import value_formatter
from views.shared.formatters import child_table

GRADE_CHOICES = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]
PROGRESS_CHOICES = [
    ("follow_up", _l("To follow up")),
    ("viewed", _l("Viewed")),
    ("signed", _l("Signed")),
]

VISIT_LABELS = {
    "seq": _l("No."),
    "visited_on": _l("Date"),
    "channel": _l("Channel"),
    "consultant": _l("Received by"),
    "summary": _l("What was learned"),
    "appearance": _l("Appearance"),
    "character": _l("First read of character"),
    "job_finances": _l("Job and finances"),
    "housing_owned": _l("Current housing and property owned"),
    "reasons_needs": _l("Reason and needs"),
    "concerns": _l("Concerns"),
    "presented": _l("What was presented"),
    "interests": _l("Interests"),
    "open_problems": _l("Open problems and how to solve them"),
    "next_appointment_on": _l("Next appointment"),
    "next_appointment_pretext": _l("Pretext of next appointment"),
    "next_time_todo": _l("To solve next time"),
    "reflection": _l("Consultant's reflection"),
}

VISIT_FORM_COLUMNS = (
    "id",
    "visited_on",
    "channel",
    "consultant",
    "summary",
    "appearance",
    "character",
    "job_finances",
    "housing_owned",
    "reasons_needs",
    "concerns",
    "presented",
    "interests",
    "open_problems",
    "next_appointment_on",
    "next_appointment_pretext",
    "next_time_todo",
    "reflection",
)

VISIT_FORM_ARGS = {
    "visited_on": {"validators": [DataRequired(), DateInRange(years_back=10)]},
    "summary": {"validators": [DataRequired(), Length(max=5000)]},
    "next_appointment_on": {"validators": [Optional(), DateInRange(years_back=1, days_ahead=366)]},
    "consultant": consultant_form_args(default_to_signed_in=True),
    **reference_form_args(channel="contact_channel"),
}


#: A card's receptions on its details panels (ProspectView.receptions_table).
RECEPTIONS_TABLE = child_table("visits", [(key, VISIT_LABELS[key]) for key in RECEPTION_SHOWN])


class VisitInline(InlineFormAdmin):
    form_columns = VISIT_FORM_COLUMNS
    form_label = _l("Reception / follow-up")
    column_labels = VISIT_LABELS
    form_args = VISIT_FORM_ARGS
    form_overrides = {"consultant": ConsultantField}


class ProspectView(CardButtonsMixin, ScoutFlagMixin, PartnerShareActionMixin, SecureModelView):
    access_key = "prospect"
    consent_bases = ("consent",)
    details_template = "admin/model/prospect_details.html"
    # The receptions, history, consents, partner sharing, who looked and the ownership
    # record are read after the page (views/shared/mixins/links.py details_panels_view).
    details_panels_deferred = True
    details_panels_template = "admin/model/prospect_details_panels.html"
    details_panels_link = _l("Show the receptions, history and who looked")

    def receptions_table(self, model):
        """The card's receptions and follow-ups as a table (its details panels)."""
        rows = SimpleNamespace(visits=reception_rows(db.session, model.id))
        return RECEPTIONS_TABLE(self, None, rows, "visits")

    @pass_context
    def details_table(self, context, model):
        """The details page's table of the card's fields (templates/admin/model/
        panel_details.html): Flask-Admin's, with its labels kept per language."""
        return render_details_table(self, context, model)

    @pass_context
    def details_fragment(self, context, name, caller):
        """A block of the details page's layout, kept (views/shared/details_layout.py)."""
        return details_fragment(self, context, name, caller)

    def related_links(self, model):
        return [
            (_l("Identity checks"), "identity_checks.index", {"prospect": model.id}),
            *self.paper_file_links(model),
            register_request_link("prospect", model.id),
        ]

    column_list = (
        "name",
        "mobile",
        "source",
        "project",
        "grade",
        "progress",
        "consultant",
        "first_visit_on",
        "last_contact_on",
    )
    #: What a list row reads (views/shared/mixins/listing.py): the columns shown, the scout
    #: badge's flag and the version the delete button carries; the relations' keys are added.
    #: The landline and notes (decrypted on every load) and the other references are not.
    list_loaded_columns = (
        "id",
        "name",
        "mobile",
        "grade",
        "progress",
        "first_visit_on",
        "last_contact_on",
        "is_scout",
        "version",
    )
    #: Deep pages count after their rows (one row per card; the count's scope is the page's).
    list_count_after_page = True
    column_details_list = (
        "name",
        "mobile",
        "landline",
        "source",
        "project",
        "budget_wan",
        "purpose",
        "timeframe",
        "unit_nature",
        "age_band",
        "housing",
        "awareness",
        "area_band",
        "price_band",
        "income_band",
        "customer_type",
        "need",
        "district",
        "grade",
        "progress",
        "is_scout",
        "consultant",
        "first_visit_on",
        "last_contact_on",
        "notes",
        # "visits": in the card's details panels, read after the page (receptions_table).
        "created_at",
        "updated_at",
    )
    column_export_list = (
        "id",
        "name",
        "source",
        "project",
        "grade",
        "progress",
        "consultant",
        "first_visit_on",
        "last_contact_on",
    )
    column_labels = {
        "source": _l("Source"),
        "project": _l("Intended project"),
        "budget_wan": _l("Budget (10k yuan)"),
        "purpose": _l("Purpose"),
        "timeframe": _l("Purchase timeframe"),
        "unit_nature": _l("Employer type"),
        "age_band": _l("Age band"),
        "housing": _l("Current housing"),
        "awareness": _l("Awareness channel"),
        "area_band": _l("Intended area"),
        "price_band": _l("Accepted price"),
        "income_band": _l("Household monthly income"),
        "customer_type": _l("Customer type"),
        "need": _l("Need"),
        "district": _l("Intended district"),
        "grade": _l("Grade"),
        "progress": _l("Progress"),
        "is_scout": _l("Competitor's scout"),
        "first_visit_on": _l("First visit"),
        "last_contact_on": _l("Last contact"),
        "visits": _l("Receptions and follow-ups"),
    }
    column_searchable_list = ("name", "mobile")
    column_filters = (
        FilterEqual(Prospect.grade, _l("Grade"), options=GRADE_CHOICES),
        FilterEqual(Prospect.progress, _l("Progress"), options=PROGRESS_CHOICES),
        reference_filter(Prospect.source_id, "source_channel", _l("Source")),
        reference_filter(Prospect.project_id, "project", _l("Intended project")),
        # The policy's classifications: by customer type, by need, by intended district.
        reference_filter(Prospect.customer_type_id, "customer_type", _l("Customer type")),
        reference_filter(Prospect.need_id, "need", _l("Need")),
        reference_filter(Prospect.district_id, "district", _l("Intended district")),
        reference_filter(Prospect.income_band_id, "income_band", _l("Household income")),
        DateBetweenFilter(Prospect.first_visit_on, _l("First visit")),
        DateBetweenFilter(Prospect.created_at, _l("Created at")),
        consultant_filter(Prospect.consultant_id, _l("Consultant")),
    )
    column_sortable_list = (
        "name",
        "grade",
        "progress",
        "first_visit_on",
        "last_contact_on",
        ("consultant", "consultant.full_name"),
    )
    column_default_sort = ("id", True)
    column_choices = {"grade": GRADE_CHOICES, "progress": PROGRESS_CHOICES}
    column_formatters_detail = {
        "is_scout": scout_detail,
        "visits": RECEPTIONS_TABLE,
    }

    form_columns = (
        "name",
        "mobile",
        "landline",
        "source",
        "project",
        "budget_wan",
        "purpose",
        "timeframe",
        "unit_nature",
        "age_band",
        "housing",
        "awareness",
        "area_band",
        "price_band",
        "income_band",
        "customer_type",
        "need",
        "district",
        "grade",
        "progress",
        "consultant",
        "notes",
    )
    form_choices = {"grade": GRADE_CHOICES, "progress": PROGRESS_CHOICES}
    form_overrides = {"consultant": ConsultantField}
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=50)]},
        "mobile": {"validators": [InputRequired(), MainlandMobile()]},
        "landline": {"validators": [Optional(), Landline()]},
        "budget_wan": {"validators": [Optional(), NumberRange(min=0, max=100000)]},
        "notes": {"validators": [Optional(), Length(max=5000)]},
        "consultant": consultant_form_args(default_to_signed_in=True),
        **reference_form_args(
            source="source_channel",
            project="project",
            purpose="purpose",
            timeframe="timeframe",
            unit_nature="unit_nature",
            age_band="age_band",
            housing="housing",
            awareness="awareness",
            area_band="area_band",
            price_band="price_band",
            income_band="income_band",
            customer_type="customer_type",
            need="need",
            district="district",
        ),
    }
    inline_models = (VisitInline(Visit),)

    # A value formatter: the export reads grade as a plain column (views/shared/exports.py).
    column_formatters = {"grade": value_formatter(lambda grade: grade or "")}

    def scope_query(self, query):
        # A consultant opens their own cards, shared ones and the pool's; another's card is
        # not found, like another office's (services/sales/ownership.py).
        return query.filter(card_clause(current_user._get_current_object()))

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        response = super().create_view()
        outcome = g.pop("registration_outcome", None)
        if outcome is None:
            return response
        # The card already existed: what became of the registration, and where it is now.
        flash(registration_message(outcome, request.form.get("name", "")), outcome_level(outcome))
        if outcome.kind in ("claimed", "taken_over"):
            return redirect(self.get_url(".edit_view", id=outcome.prospect.id))
        return redirect(self.get_url(".index_view"))

    def create_model(self, form):
        # A consultant registering a customer whose mobile another card of the office holds
        # makes no second card (撞单, services/sales/collisions.py): the registration is
        # filed for the supervisor, or the card is claimed, in one transaction of its own.
        try:
            outcome = self._register_again(form)
        except Exception as exc:
            db.session.rollback()
            if not self.handle_view_exception(exc):
                raise
            return False
        if outcome is None:
            return super().create_model(form)
        g.registration_outcome = outcome
        return False

    def _register_again(self, form):
        user = current_user._get_current_object()
        if not sees_own_cards_only(user):
            return None
        card = self.build_new_instance()
        with db.session.no_autoflush:
            form.populate_obj(card)
        if not any(visit.visited_on for visit in card.visits):
            return None  # the usual save asks for the first reception
        outcome = collisions.register_again(db.session, user, card, today=office_today())
        if outcome is None:
            return None
        audit.record(
            db.session,
            current_actor(),
            "collision_filed" if outcome.collision is not None else "update",
            record_type="prospect",
            record_id=outcome.prospect.id,
            path=request.path,
        )
        db.session.commit()
        return outcome

    def on_model_change(self, form, model, is_created):
        user = current_user._get_current_object()
        if is_created:
            require_first_reception(model)
            assign_default_consultant(model, user)
        assign_reception_consultants(model, user)
        number_visits(model)

    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, NoFirstReception):
            flash(
                _(
                    "A new card needs its first reception: add it below with its date and "
                    "what was learned. Nothing was saved."
                ),
                "error",
            )
            return True
        if isinstance(exc, NoConsultant):
            flash(
                _(
                    "Name the consultant who received the customer, on the card or on the "
                    "reception. Nothing was saved."
                ),
                "error",
            )
            return True
        return super().handle_view_exception(exc)


def registration_message(outcome: collisions.Outcome, name: str) -> str:
    """What the consultant is told when their new card met an existing one."""
    owner = outcome.owner.full_name if outcome.owner is not None else ""
    if outcome.kind == "collision":
        return _(
            "%(name)s is already a customer of %(owner)s. No second card was made: what you "
            "registered is kept and the supervisor was asked to rule.",
            name=name,
            owner=owner,
        )
    if outcome.kind == "collision_pending":
        return _(
            "%(name)s is already a customer of %(owner)s and a ruling is already waiting: your "
            "reception was added to it for the supervisor.",
            name=name,
            owner=owner,
        )
    if outcome.kind == "claimed":
        return _(
            "%(name)s already had a card in the office's public pool: it is now yours and your "
            "reception was added to it. No second card was made; complete the card below.",
            name=name,
        )
    return _(
        "%(name)s had a card of %(owner)s not worked for a long time: it is now yours and your "
        "reception was added to it. No second card was made; complete the card below.",
        name=name,
        owner=owner,
    )


def outcome_level(outcome: collisions.Outcome) -> str:
    return "warning" if outcome.collision is not None else "info"


def register(admin, db) -> None:
    admin.add_view(ProspectView(Prospect, db, name=_l("Welcome cards"), category=_l("Sales")))
