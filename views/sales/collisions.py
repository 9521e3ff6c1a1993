"""The supervisor's rulings on collisions (撞单): the office's pending collisions, each with
both consultants, the card's receptions and what the claimant registered, and one form per
collision (keep / reassign / share, with a note). The rule is services/sales/collisions.py.

The admin reads the page across offices but does not rule: a ruling is the sales office's
decision (core/access.PAGES)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from core import access
from core.masking import mask_phone
from extensions import db
from services.privacy import audit
from services.sales import collisions
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

RULING_LABELS = {
    "keep": _l("Keep the owner"),
    "reassign": _l("Reassign to the consultant who registered"),
    "share": _l("Share between both"),
}


def done_message(ruling: str, owner: str, claimant: str) -> str:
    if ruling == "reassign":
        return _("Ruled: the card now belongs to %(claimant)s.", claimant=claimant)
    if ruling == "share":
        return _(
            "Ruled: %(owner)s and %(claimant)s share the card.", owner=owner, claimant=claimant
        )
    return _("Ruled: the card stays with %(owner)s.", owner=owner)


class RulingForm(FlaskForm):
    ruling = RadioField(
        _l("Ruling"), choices=list(RULING_LABELS.items()), validators=[InputRequired()]
    )
    note = TextAreaField(
        _l("Why (required)"), validators=[DataRequired(), Length(max=collisions.NOTE_MAX)]
    )
    version = HiddenField()


def _form_for(collision) -> RulingForm:
    return RulingForm(formdata=None, prefix=f"c{collision.id}", version=collision.version)


def _user():
    return current_user._get_current_object()


def may_rule_here() -> bool:
    return current_user.role_code in access.PAGES["collisions.rule"]


class CollisionsView(SecurePageView):
    @expose("/")
    def index(self):
        pending = collisions.pending(db.session, _user())
        if pending:
            # Both customers' data (the card's and what the claimant typed) are shown.
            log_in_own_transaction(
                "list",
                fail_closed=True,
                record_type="prospect",
                record_ids=sorted({c.prospect_id for c in pending}),
            )
        return self.render(
            "admin/sales/collisions.html",
            pending=pending,
            forms={c.id: _form_for(c) for c in pending},
            may_rule=may_rule_here(),
            mask_phone=mask_phone,
        )

    @expose("/<int:collision_id>/rule", methods=("POST",))
    def rule(self, collision_id: int):
        form = RulingForm(prefix=f"c{collision_id}")
        if not form.validate_on_submit():
            if "csrf_token" in form.errors:
                abort(400)
            error = collisions.NoteRequired if form.note.errors else collisions.BadRuling
            flash(str(error.message), "error")
            return redirect(url_for(".index"))
        try:
            version = int(form.version.data)
        except (TypeError, ValueError):
            version = None
        try:
            collision = collisions.rule(
                db.session,
                _user(),
                collision_id,
                form.ruling.data,
                form.note.data,
                version=version,
            )
            audit.record(
                db.session,
                current_actor(),
                "collision_ruled",
                record_type="prospect",
                record_id=collision.prospect_id,
                path=request.path,
            )
            owner = collision.owner.full_name if collision.owner else ""
            claimant = collision.claimant.full_name
            db.session.commit()
        except LookupError:
            db.session.rollback()
            abort(404)
        except collisions.CollisionError as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
            return redirect(url_for(".index"))
        except StaleDataError:
            db.session.rollback()
            flash(str(collisions.NotPending.message), "warning")
            return redirect(url_for(".index"))
        flash(done_message(form.ruling.data, owner, claimant), "success")
        return redirect(url_for(".index"))


def pending_badge_roles() -> frozenset[str]:
    """The roles whose navbar shows the collisions badge: those who rule."""
    return access.PAGES["collisions.rule"]


def pending_count_query(user):
    """The count of collisions waiting for the supervisor's ruling, for the navbar badge;
    None for roles that do not rule."""
    if not user.is_authenticated or user.role_code not in pending_badge_roles():
        return None
    return collisions.pending_count_query(user)


def pending_count_for(user) -> int | None:
    """Collisions waiting for the supervisor's ruling, for the navbar badge."""
    query = pending_count_query(user)
    return None if query is None else db.session.scalar(query)


def register(admin, db) -> None:
    admin.add_view(
        CollisionsView(
            name=_l("Collisions"),
            endpoint="collisions",
            url="/admin/sales/collisions",
            category=_l("Sales"),
        )
    )
