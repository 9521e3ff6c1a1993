"""Changes: edits that keep the record's version, and the approval gate
(views/shared/gating.py, services/shared/approval_policy.py).

Owns ``is_gated``, the edit form (the version snapshot, the reason of a gated change),
``update_model`` (a stale form writes nothing; a gated record's change becomes a request),
``_on_model_change`` (gated children changed inline are refused; the change is logged; a
new record's consent and direct change are recorded), ``delete_model`` (refused when the
page was stale or the deletion needs approval), the deletion request page and the
editable-list ajax trap.

Relies on: ``self._log_change`` (AccessLogMixin), ``self.consent_bases`` and
``self._record_consent`` (ConsentMixin), ``self.get_one`` (ScopingMixin) and
``self.access_key`` (RightsMixin).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from services.shared import approvals
from services.shared.approval_policy import deletion_is_gated, policy_for
from views.shared import concurrency, gating
from views.shared.mixins.rights import current_role


class ChangesMixin:
    @property
    def is_gated(self) -> bool:
        return policy_for(self.access_key) is not None

    def get_edit_form(self):
        form_class = concurrency.add_snapshot_fields(super().get_edit_form())
        return gating.add_reason_field(form_class) if self.is_gated else form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and request.method == "GET" and concurrency.has_snapshot(form):
            concurrency.stamp(form, obj)
        return form

    def _edit_is_current(self, form, model) -> bool:
        """False, with the page made ready to re-apply, when the record moved since the
        form was loaded (views/shared/concurrency.py); nothing is written then."""
        if not concurrency.has_snapshot(form):
            return True
        with db.session.no_autoflush:
            fresh = self._edit_form_class(formdata=None, obj=model)
            conflict = concurrency.find_conflict(form, fresh, db.session, self.access_key, model.id)
            if conflict is None:
                return True
            concurrency.merge(form, fresh, model, conflict)
        g.edit_conflict = conflict
        if conflict.unreadable:
            flash(
                _(
                    "This page is out of date. It now shows the record as it is; check it and save again."
                ),
                "error",
            )
        else:
            flash(
                _(
                    "Someone changed this record after you opened it. Nothing of yours was "
                    "saved yet: compare below, then save again to apply your changes."
                ),
                "error",
            )
        return False

    def update_model(self, form, model):
        if not self._edit_is_current(form, model):
            return False
        if self.is_gated:
            return gating.gated_update(self, form, model)
        # No autoflush while the form is copied in, so every inline change is still pending
        # when _on_model_change looks for gated children changed inline.
        with db.session.no_autoflush:
            return super().update_model(form, model)

    def _on_model_change(self, form, model, is_created):
        super()._on_model_change(form, model, is_created)
        if not is_created:
            gating.refuse_gated_inline_changes(db.session, current_role(), model)
        db.session.flush()
        self._log_change("create" if is_created else "update", model)
        if is_created and self.consent_bases:
            self._record_consent(form, model)
        if is_created and self.is_gated:
            approvals.record_direct_change(
                db.session,
                user=current_user._get_current_object(),
                record_type=self.access_key,
                record_id=model.id,
                event="created",
            )

    def delete_model(self, model):
        if deletion_is_gated(self.access_key):
            flash(_('Deleting customer data needs approval: use "Request deletion".'), "error")
            return False
        changed = concurrency.changed_since_shown(model, request.form)
        if changed is None and (hasattr(model, "version") or hasattr(model, "updated_at")):
            changed = True  # a page that cannot say what it showed: look again
        if changed:
            flash(
                _(
                    "%(record)s changed after the page was shown, so it was not deleted. "
                    "Look at it again and delete it if you still mean to.",
                    record=str(model),
                ),
                "error",
            )
            return False
        return super().delete_model(model)

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """Flask-Admin's list editing sends one value without the version the row was shown
        at, so it could overwrite a change made since: the panel edits on the edit page."""
        return _("Edit this record on its own page."), 409

    @expose("/request-delete/", methods=("GET", "POST"))
    def request_delete_view(self):
        if not deletion_is_gated(self.access_key):
            abort(404)
        model = self.get_one(request.args.get("id"))
        details_url = self.get_url(".details_view", id=model.id)
        form = gating.DeletionForm()
        shown = str(getattr(model, "version", ""))
        if form.is_submitted() and form.record_version.data != shown:
            # The record changed after the page was shown: the person looks at it again.
            flash(
                _(
                    "This record changed after the page was shown. Look at it again and ask "
                    "for the deletion if you still mean to."
                ),
                "error",
            )
            form.record_version.data = shown
            return self.render(
                "admin/model/request_delete.html", model=model, form=form, return_url=details_url
            )
        if not form.is_submitted():
            form.record_version.data = shown
        if form.validate_on_submit():
            try:
                filed = gating.request_deletion(self, model, form.reason.data)
            except approvals.DuplicatePending as exc:
                db.session.rollback()
                flash(
                    _(
                        "A deletion of this record is already waiting (request #%(id)s).",
                        id=exc.request_id,
                    ),
                    "error",
                )
                return redirect(details_url)
            flash(_("Deletion submitted for approval (request #%(id)s).", id=filed.id), "info")
            return redirect(details_url)
        return self.render(
            "admin/model/request_delete.html", model=model, form=form, return_url=details_url
        )
