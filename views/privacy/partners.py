"""Partners and sharing customers' data with them (services/privacy/sharing.py).

- /admin/partner/ and /admin/partner_agreement/: the register of partners and their
  data-sharing agreements (the admin edits, supervisors read);
- /admin/partner-sharing/: picking an active agreement for chosen customers, the share and its
  result (who was shared, who was refused and why) with the file, and recording or
  withdrawing a customer's separate consent to a partner (from the customer's details page).
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectMultipleField
from wtforms.validators import DataRequired, Length, Optional

from core.clock import office_today
from extensions import db
from models.privacy.partners import PARTNER_KINDS, Partner, SharingAgreement
from services.admin.offices import office_clause
from services.privacy import sharing
from views.privacy.partner_links import MAX_CHOSEN, sharing_panel
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecureModelView, SecurePageView

KIND_CHOICES = [(code, sharing.PARTNER_KIND_LABELS[code]) for code in PARTNER_KINDS]
STATE_LABELS = {
    "active": _l("In force"),
    "expired": _l("Expired"),
    "not_yet_valid": _l("Not yet valid"),
}
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _agreements_label(view, context, model, name):
    return Markup("<br>").join(
        f"{a.reference} ({a.valid_from.isoformat()} ~ {a.valid_to.isoformat()})"
        for a in model.agreements
    )


class PartnerView(SecureModelView):
    access_key = "partner"
    action_rights: dict[str, str] = {}
    column_list = ("name", "kind", "contact_name", "contact_phone")
    column_details_list = (
        *("name", "kind", "contact_name", "contact_phone", "notes"),
        *("agreements", "created_at", "updated_at"),
    )
    column_labels = {
        "name": _l("Partner"),
        "kind": _l("Kind"),
        "contact_name": _l("Contact person"),
        "contact_phone": _l("Contact phone"),
        "notes": _l("Notes"),
        "agreements": _l("Data-sharing agreements"),
    }
    column_choices = {"kind": KIND_CHOICES}
    column_searchable_list = ("name",)
    column_sortable_list = ("name", "kind")
    column_default_sort = "name"
    form_columns = ("name", "kind", "contact_name", "contact_phone", "notes")
    form_choices = {"kind": KIND_CHOICES}
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=100)]},
        "contact_name": {"validators": [Optional(), Length(max=50)]},
        "contact_phone": {"validators": [Optional(), Length(max=30)]},
        "notes": {"validators": [Optional(), Length(max=2000)]},
    }
    column_export_list = ("name", "kind", "contact_name")
    column_formatters_detail = {"agreements": _agreements_label}


def _fields_label(view, context, model, name) -> str:
    return sharing.field_labels(getattr(model, name) or ())


def _state_label(view, context, model, name) -> str:
    return str(STATE_LABELS[sharing.agreement_state(model)])


class AgreementView(SecureModelView):
    access_key = "partner_agreement"
    action_rights: dict[str, str] = {}
    column_list = ("partner", "reference", "purpose", "valid_from", "valid_to", "state", "fields")
    column_details_list = (
        *("partner", "reference", "purpose", "fields", "masked_fields", "valid_from"),
        *("valid_to", "state", "partner_contact", "confidentiality_clause"),
        *("created_at", "updated_at"),
    )
    column_labels = {
        "partner": _l("Partner"),
        "reference": _l("Agreement no."),
        "purpose": _l("Purpose of sharing"),
        "fields": _l("Fields it may receive"),
        "masked_fields": _l("Fields given masked"),
        "valid_from": _l("Valid from"),
        "valid_to": _l("Valid to"),
        "state": _l("Agreement state"),
        "partner_contact": _l("Partner's contact"),
        "confidentiality_clause": _l("Confidentiality clause"),
    }
    column_formatters = {"fields": _fields_label, "state": _state_label}
    column_formatters_detail = {
        "fields": _fields_label,
        "masked_fields": _fields_label,
        "state": _state_label,
    }
    column_formatters_export = column_formatters
    column_export_list = ("partner", "reference", "valid_from", "valid_to", "state", "fields")
    column_searchable_list = ("reference",)
    column_sortable_list = ("reference", "valid_from", "valid_to")
    column_default_sort = ("valid_to", True)
    form_columns = (
        *("partner", "reference", "purpose", "fields", "masked_fields"),
        *("valid_from", "valid_to", "partner_contact", "confidentiality_clause"),
    )
    form_overrides = {"fields": SelectMultipleField, "masked_fields": SelectMultipleField}
    form_args = {
        "partner": {"validators": [DataRequired()]},
        "reference": {"validators": [DataRequired(), Length(max=50)]},
        "purpose": {"validators": [DataRequired(), Length(max=2000)]},
        "fields": {"choices": sharing.FIELD_CHOICES, "validators": [DataRequired()]},
        "masked_fields": {"choices": sharing.FIELD_CHOICES, "validators": [Optional()]},
        "valid_from": {"validators": [DataRequired()]},
        "valid_to": {"validators": [DataRequired()]},
        "partner_contact": {"validators": [Optional(), Length(max=100)]},
        "confidentiality_clause": {"validators": [Optional(), Length(max=100)]},
    }

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        if not valid or not hasattr(form, "valid_to"):
            return valid
        if (
            form.valid_from.data
            and form.valid_to.data
            and form.valid_to.data < form.valid_from.data
        ):
            form.valid_to.errors = [
                *form.valid_to.errors,
                _("The last day comes before the first."),
            ]
            return False
        extra = set(form.masked_fields.data or ()) - set(form.fields.data or ())
        if extra:
            form.masked_fields.errors = [
                *form.masked_fields.errors,
                _("A masked field must be one of the fields it may receive."),
            ]
            return False
        return True

    def on_model_change(self, form, model, is_created):
        model.fields = list(form.fields.data or [])
        model.masked_fields = list(form.masked_fields.data or [])
        return super().on_model_change(form, model, is_created)


# --- sharing ------------------------------------------------------------------------------------
def _ids(text: str) -> list[int]:
    ids = []
    for part in (text or "").split(","):
        part = part.strip()
        if part.isdigit():
            ids.append(int(part))
    return list(dict.fromkeys(ids))[:MAX_CHOSEN]


def _details_url(kind: str, subject_id: int) -> str:
    return url_for(f"{kind}.details_view", id=subject_id)


class PartnerSharingView(SecurePageView):
    """/admin/partner-sharing/: not in the menu; opened from a customer's page or list."""

    def is_visible(self) -> bool:
        return False

    def _user(self):
        return current_user._get_current_object()

    @expose("/")
    def index(self):
        kind = request.args.get("kind", "")
        if kind not in sharing.MODELS:
            flash(_("Choose customers on a list or a customer's page first."), "info")
            return redirect(url_for("admin.index"))
        ids = _ids(request.args.get("ids", ""))
        model = sharing.MODELS[kind]
        customers = list(
            db.session.scalars(
                select(model)
                .where(model.id.in_(ids or [0]), office_clause(model.office_id, self._user()))
                .order_by(model.id)
            )
        )
        if customers:
            # The names shown are a look at the customers.
            log_in_own_transaction("list", record_type=kind, record_ids=[c.id for c in customers])
        return self.render(
            "admin/partner_sharing/share.html",
            kind=kind,
            kind_label=sharing.SUBJECT_LABELS[kind],
            customers=customers,
            missing=len(ids) - len(customers),
            agreements=sharing.active_agreements(db.session, subject_type=kind),
            fields_of=lambda a: sharing.field_labels(sharing.fields_for(a, kind)),
            masked_of=lambda a: sharing.field_labels(sharing.masked_for(a, kind)),
            form=FlaskForm(),
        )

    @expose("/share", methods=("POST",))
    def share(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        kind = request.form.get("kind", "")
        if kind not in sharing.MODELS:
            abort(404)
        ids = _ids(request.form.get("ids", ""))
        back = url_for(".index", kind=kind, ids=",".join(map(str, ids)))
        try:
            result = sharing.share(
                db.session,
                self._user(),
                current_actor(),
                agreement_id=request.form.get("agreement_id", type=int) or 0,
                subject_type=kind,
                subject_ids=ids,
                path=request.path,
            )
            db.session.commit()
        except sharing.SharingError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(back)
        decision = result.decision
        return self.render(
            "admin/partner_sharing/result.html",
            kind=kind,
            decision=decision,
            batch=result.batch,
            agreement=decision.agreement,
            fields=sharing.field_labels(decision.fields),
            masked=sharing.field_labels(decision.masked),
            details_url=_details_url,
            back=back,
        )

    @expose("/download")
    def download(self):
        batch = request.args.get("batch", "")
        kind = request.args.get("format", "xlsx")
        if kind not in FORMATS or not batch.isalnum():
            abort(404)
        try:
            decision = sharing.download(
                db.session, self._user(), current_actor(), batch, path=request.path
            )
        except sharing.SharingError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("admin.index"))
        if decision is None:
            db.session.rollback()
            abort(404)
        content = sharing.write_file(decision, kind)
        db.session.commit()
        name = f"share-{decision.agreement.partner_id}-{office_today().isoformat()}.{kind}"
        return Response(
            content,
            mimetype=FORMATS[kind],
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    @expose("/consent", methods=("POST",))
    def consent(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        kind = request.form.get("kind", "")
        subject_id = request.form.get("id", type=int) or 0
        if kind not in sharing.MODELS:
            abort(404)
        try:
            sharing.record_consent(
                db.session,
                self._user(),
                current_actor(),
                subject_type=kind,
                subject_id=subject_id,
                partner_id=request.form.get("partner_id", type=int) or 0,
                purpose=request.form.get("purpose", ""),
                notice_version=current_app.config["PRIVACY_POLICY_VERSION"],
            )
            db.session.commit()
        except sharing.NoSuchCustomer:
            db.session.rollback()
            abort(404)
        except sharing.SharingError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("The customer's consent to the partner is recorded."), "info")
        return redirect(_details_url(kind, subject_id) + "#partner-sharing")

    @expose("/withdraw", methods=("POST",))
    def withdraw(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        consent_id = request.form.get("consent_id", type=int) or 0
        try:
            consent = sharing.withdraw_consent(
                db.session, self._user(), current_actor(), consent_id, request.form.get("note", "")
            )
            kind, subject_id = consent.subject_type, consent.subject_id
            db.session.commit()
        except sharing.NoSuchCustomer:
            db.session.rollback()
            abort(404)
        except sharing.SharingError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            return redirect(request.referrer or url_for("admin.index"))
        flash(_("The withdrawal is recorded: nothing more is shared with this partner."), "info")
        return redirect(_details_url(kind, subject_id) + "#partner-sharing")


def register(admin, db) -> None:
    category = _l("Partners")
    admin.add_view(PartnerView(Partner, db, name=_l("Partners"), category=category))
    admin.add_view(
        AgreementView(SharingAgreement, db, name=_l("Data-sharing agreements"), category=category)
    )
    admin.add_view(
        PartnerSharingView(
            name=_l("Share with a partner"),
            endpoint="partner_sharing",
            url="/admin/partner-sharing",
        )
    )
    admin.app.jinja_env.globals.update(
        partner_sharing_panel=sharing_panel,
        partner_kind_label=lambda code: str(sharing.PARTNER_KIND_LABELS.get(code, code)),
    )
