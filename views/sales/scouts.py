"""The welcome card's "competitor's scout" (踩盘) flag at the request boundary.

A mixin of the prospect view: the proposal endpoint (a reason, then services/sales/scouts.py files
the change request the supervisor confirms in the approvals queue), the badge beside the
name in the list and the flag's label on the details page. The rule is in services/sales/scouts.py.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2 import pass_context
from markupsafe import Markup
from wtforms import TextAreaField
from wtforms.validators import Length

from core import access
from extensions import db
from services.sales import scouts
from services.shared import approvals

BADGE = Markup('<span class="badge badge-dark scout-badge">{}</span>')


class ScoutProposalForm(FlaskForm):
    reason = TextAreaField(
        _l("Why this customer is a competitor's scout"), validators=[Length(max=1000)]
    )


def scout_badge(model) -> Markup:
    """The 踩盘 badge for a flagged card, nothing for the others."""
    return BADGE.format(scouts.SCOUT_LABEL) if model.is_scout else Markup("")


def scout_detail(view, context, model, name) -> Markup:
    """The flag on the details page: the badge, or "not a scout"; never True/False."""
    return scout_badge(model) if model.is_scout else Markup("{}").format(scouts.NOT_SCOUT_LABEL)


class ScoutFlagMixin:
    """Adds the scout proposal to a prospect view (SecureModelView subclass)."""

    extra_endpoint_rights = {"propose_scout_view": access.EDIT}

    def scout_proposal(self, model):
        """What the details page shows about the flag: the waiting request, or the form
        when the role may propose; None when nothing is to show."""
        if model.is_scout:
            return None
        # The card's waiting requests, which its details page reads anyway.
        known = self.pending_requests(model) if self.is_gated else None
        pending = scouts.pending_proposal(db.session, model.id, known)
        if pending is not None:
            return {"pending": pending, "form": None}
        if not self.can_edit:
            return None
        return {"pending": None, "form": ScoutProposalForm(formdata=None)}

    #: The list columns get_list_value marks (ListingMixin renders the others without it).
    list_value_columns = ("name",)

    @pass_context
    def get_list_value(self, context, model, name):
        value = super().get_list_value(context, model, name)
        if name == "name" and model.is_scout:
            return Markup("{} {}").format(value, scout_badge(model))
        return value

    @expose("/propose-scout/", methods=("POST",))
    def propose_scout_view(self):
        form = ScoutProposalForm()
        if not form.validate_on_submit():
            abort(400)
        model = self.get_one(request.args.get("id"))
        details_url = self.get_url(".details_view", id=model.id)
        try:
            filed = scouts.propose_scout(
                db.session, current_user._get_current_object(), model, form.reason.data
            )
            db.session.commit()
        except approvals.MissingReason:
            db.session.rollback()
            flash(
                _("Say why this customer is a competitor's scout; the supervisor reads it."),
                "error",
            )
        except scouts.AlreadyScout:
            db.session.rollback()
            flash(_("This card is already flagged as a competitor's scout."), "info")
        except approvals.DuplicatePending as exc:
            db.session.rollback()
            flash(
                _(
                    "A change of this flag is already waiting for the supervisor "
                    "(request #%(id)s).",
                    id=exc.request_id,
                ),
                "error",
            )
        else:
            flash(
                _(
                    "Proposed as a competitor's scout (request #%(id)s): the flag is set once "
                    "a supervisor confirms it.",
                    id=filed.id,
                ),
                "info",
            )
        return redirect(details_url)
