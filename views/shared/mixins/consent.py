"""Consent (PIPL): the basis a new record is kept on, and its withdrawal.

Owns ``consent_bases``, the consent fields of the create form, ``_record_consent`` (called
by ChangesMixin._on_model_change when a record is created), ``withdraw_consent_view``,
``consent_withdrawn`` (the details page's banner) and the "consent withdrawn" mark on the
list (``get_list`` finds the page's withdrawn records, ``get_list_value`` marks their name,
over MaskingMixin's masked value).

Relies on: ``self.access_key`` (RightsMixin) and ``self.get_one`` (ScopingMixin).
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
)
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup

from extensions import db
from services.privacy import consent as consents
from views.shared import gating
from views.shared.audit_context import current_actor


class ConsentMixin:
    #: Bases a new record of this view may be kept on; empty: no consent asked.
    consent_bases: tuple[str, ...] = ()

    def get_create_form(self):
        form_class = super().get_create_form()
        if not self.consent_bases or not has_app_context():
            return form_class
        return gating.add_consent_fields(
            form_class,
            self.consent_bases,
            current_app.config["PRIVACY_PURPOSE"],
            current_app.config["PRIVACY_POLICY_VERSION"],
        )

    def create_form(self, obj=None):
        # The form class is built at start-up, outside the app: add the consent fields here,
        # where the configured purpose and notice version are known.
        if self.consent_bases and not hasattr(self._create_form_class, "consent_given"):
            self._create_form_class = self.get_create_form()
        return super().create_form(obj)

    def _record_consent(self, form, model) -> None:
        consents.record(
            db.session,
            current_user._get_current_object(),
            subject_type=self.access_key,
            subject_id=model.id,
            basis=form.consent_basis.data,
            purpose=current_app.config["PRIVACY_PURPOSE"],
            policy_version=current_app.config["PRIVACY_POLICY_VERSION"],
        )

    @expose("/withdraw-consent/", methods=("POST",))
    def withdraw_consent_view(self):
        if not self.consent_bases:
            abort(404)
        model = self.get_one(request.args.get("id"))
        details_url = self.get_url(".details_view", id=model.id)
        if not FlaskForm().validate_on_submit():
            abort(400)
        consent_id = request.form.get("consent_id", type=int)
        owned = {c.id for c in consents.for_subject(db.session, self.access_key, model.id)}
        if consent_id not in owned:
            abort(404)
        try:
            consents.withdraw(
                db.session,
                current_user._get_current_object(),
                consent_id,
                request.form.get("note", ""),
                actor=current_actor(),
            )
            db.session.commit()
        except consents.ConsentError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("The withdrawal of consent is recorded."), "info")
        return redirect(details_url)

    def consent_withdrawn(self, model) -> bool:
        """Whether the record's consent was withdrawn (shown on its details page). The page
        asks twice (the banner, the print button): one query per request."""
        if not self.consent_bases:
            return False
        known = g.setdefault("consent_withdrawn", {})
        if model.id not in known:
            known[model.id] = consents.is_withdrawn(
                db.session, self.model, self.access_key, model.id
            )
        return known[model.id]

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(
            page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size
        )
        if execute and has_request_context() and self.consent_bases:
            g.withdrawn_ids = consents.withdrawn_ids(
                db.session, self.model, self.access_key, [row.id for row in rows]
            )
        return count, rows

    #: The list columns get_list_value marks (ListingMixin renders the others without it).
    list_value_columns = ("name",)

    @pass_context
    def get_list_value(self, context, model, name):
        value = super().get_list_value(context, model, name)
        if name == "name" and model.id in g.get("withdrawn_ids", ()):
            # Marked wherever the record is listed: its consent no longer stands.
            return Markup(
                '{} <span class="badge badge-secondary consent-withdrawn">{}</span>'
            ).format(value, consents.WITHDRAWN_LABEL)
        return value
