"""Customer ownership pages of a sales office: the public pool (公共客户池) with its claims,
the supervisor's handover (客户交接), the office's customer directory (本处客户), and the
ownership panel of a welcome card's details page.

Thin views: each parses the request, calls services/sales/customer_pool.py, handover.py or
office_directory.py, commits once and renders. Every list of customers is logged as a look
before it is shown.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from extensions import db
from models.admin.people import User
from models.sales.prospects import Prospect
from services.admin.offices import office_clause
from services.privacy import audit
from services.sales import customer_pool, handover, office_directory
from services.sales.ownership import events_of
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

CATEGORY = _l("Sales")
PER_PAGE = 50

#: The card history's words for models/sales/ownership.py EVENT_KINDS.
EVENT_LABELS = {
    "received": _l("Received"),
    "released": _l("Released to the public pool"),
    "claimed": _l("Claimed from the public pool"),
    "reassigned": _l("Reassigned (collision ruling)"),
    "shared": _l("Shared (collision ruling)"),
    "kept": _l("Kept by the owner (collision ruling)"),
    "handed_over": _l("Handed over"),
}


def _user() -> User:
    return current_user._get_current_object()


def _page() -> int:
    return max(request.args.get("page", 0, type=int) or 0, 0)


def _log_look(ids: list[int], term: str | None = None) -> None:
    # Names and numbers of customers are customer data: their look is logged, or not shown.
    if term:
        log_in_own_transaction(
            "search", fail_closed=True, record_type="prospect", record_ids=ids, term=term
        )
    else:
        log_in_own_transaction("list", fail_closed=True, record_type="prospect", record_ids=ids)


def _prospect_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        abort(400)
    if not 0 < number < 2**31:
        abort(400)
    return number


# --- the public pool ------------------------------------------------------------------------
class ClaimForm(FlaskForm):
    prospect = HiddenField(validators=[DataRequired()])


class CustomerPoolView(SecurePageView):
    @expose("/")
    def index(self):
        user = _user()
        result = customer_pool.pool_page(db.session, user, _page(), PER_PAGE)
        _log_look([card.id for card in result.cards])
        claiming = customer_pool.may_claim(user)
        return self.render(
            "admin/sales/pool.html",
            result=result,
            claiming=claiming,
            claims_left=customer_pool.claims_left(db.session, user) if claiming else None,
        )

    @expose("/claim", methods=("POST",))
    def claim(self):
        form = ClaimForm()
        if not form.validate_on_submit():
            abort(400)
        prospect = db.session.scalar(
            select(Prospect).where(
                Prospect.id == _prospect_id(form.prospect.data),
                office_clause(Prospect.office_id, _user()),
            )
        )
        if prospect is None:
            abort(404)  # another office's card is not found either (and the look is logged)
        try:
            customer_pool.claim(db.session, _user(), prospect)
        except customer_pool.PoolError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        audit.record(
            db.session,
            current_actor(),
            "update",
            record_type="prospect",
            record_id=prospect.id,
            path=request.path,
        )
        db.session.commit()
        flash(_("%(name)s is now your customer.", name=prospect.name), "success")
        return redirect(url_for("prospect.details_view", id=prospect.id))


# --- handover -------------------------------------------------------------------------------
SCOPES = [("all", _l("All their customers")), ("chosen", _l("Only the ticked customers"))]


class HandoverForm(FlaskForm):
    from_user = SelectField(_l("From consultant"), coerce=int, validate_choice=False)
    to_user = SelectField(_l("To consultant"), coerce=int, validate_choice=False)
    scope = RadioField(_l("Which customers"), choices=SCOPES, default="all")
    prospects = SelectMultipleField(coerce=int, validate_choice=False)
    note = TextAreaField(
        _l("Handover note"),
        validators=[DataRequired(), Length(max=handover.NOTE_MAX)],
        description=_l("Why, and what the new owner should know; kept on every card's history."),
    )


class HandoverView(SecurePageView):
    @expose("/")
    def index(self):
        supervisor = _user()
        owners = handover.owners(db.session, supervisor)
        owner_id = request.args.get("owner", type=int)
        owner = next((u for u in owners if u.id == owner_id), None)
        cards = handover.cards_of(db.session, supervisor, owner.id) if owner else []
        if cards:
            _log_look([card[0] for card in cards])
        form = HandoverForm(formdata=None, from_user=owner.id if owner else None)
        _fill_choices(form, owners, handover.receivers(db.session, supervisor))
        return self.render(
            "admin/sales/handover.html",
            form=form,
            owner=owner,
            cards=cards,
            card_limit=handover.TICK_LIMIT,
        )

    @expose("/submit", methods=("POST",))
    def submit(self):
        supervisor = _user()
        form = HandoverForm()
        owners = handover.owners(db.session, supervisor)
        receivers = handover.receivers(db.session, supervisor)
        _fill_choices(form, owners, receivers)
        back = url_for(".index", owner=request.form.get("from_user", type=int))
        if not form.validate_on_submit():
            if form.note.errors:
                flash(
                    _("Write a note for the handover: why, and what the new owner should know."),
                    "error",
                )
                return redirect(back)
            abort(400)
        from_user = next((u for u in owners if u.id == form.from_user.data), None)
        to_user = next((u for u in receivers if u.id == form.to_user.data), None)
        if from_user is None or to_user is None:
            flash(_("Choose both consultants from the lists."), "error")
            return redirect(back)
        chosen = form.prospects.data if form.scope.data == "chosen" else None
        try:
            moved = handover.hand_over(
                db.session, supervisor, from_user, to_user, chosen, form.note.data
            )
        except handover.HandoverError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(back)
        audit.record(
            db.session,
            current_actor(),
            "update",
            # The chosen cards, or the consultant whose whole book moved.
            record_type="prospect" if chosen else "user",
            record_id=None if chosen else from_user.id,
            record_ids=chosen or (),
            path=request.path,
        )
        db.session.commit()
        flash(
            _(
                "%(count)s customers handed over from %(from)s to %(to)s.",
                count=moved,
                **{"from": from_user.full_name, "to": to_user.full_name},
            ),
            "success",
        )
        return redirect(url_for(".index"))


def _fill_choices(form: HandoverForm, owners: list[User], receivers: list[User]) -> None:
    form.from_user.choices = [(u.id, _person(u)) for u in owners]
    form.to_user.choices = [(u.id, _person(u)) for u in receivers]


def _person(user: User) -> str:
    return user.full_name if user.active else _("%(name)s (inactive)", name=user.full_name)


# --- the office's customer directory --------------------------------------------------------
class OfficeCustomersView(SecurePageView):
    @expose("/")
    def index(self):
        user = _user()
        term = (request.args.get("q") or "").strip()[:50]
        result = office_directory.directory_page(db.session, user, term, _page(), PER_PAGE)
        _log_look([entry.id for entry in result.entries], term or None)
        return self.render(
            "admin/sales/office_customers.html",
            result=result,
            term=term,
        )


# --- the welcome card's ownership panel -----------------------------------------------------
def ownership_history(prospect_id: int) -> list[dict]:
    """The card's ownership events as its details page shows them (template global)."""
    return [
        {
            "at": event.at,
            "what": str(EVENT_LABELS.get(event.kind, event.kind)),
            "from": _name_or(event.from_user, ""),
            "to": _name_or(event.to_user, _("Public pool") if event.kind == "released" else ""),
            "by": _name_or(event.by_user, _("Daily job") if event.by_user_id is None else ""),
            "note": event.note or "",
        }
        for event in events_of(db.session, prospect_id)
    ]


def _name_or(user: User | None, otherwise: str) -> str:
    return user.full_name if user is not None else otherwise


PAGES = (
    (CustomerPoolView, "customer_pool", "/admin/sales/pool", _l("Public customer pool")),
    (
        OfficeCustomersView,
        "office_customers",
        "/admin/sales/office-customers",
        _l("Office customers"),
    ),
    (HandoverView, "handover", "/admin/sales/handover", _l("Customer handover")),
)


def register(admin, db) -> None:
    for view_class, endpoint, url, name in PAGES:
        admin.add_view(view_class(name=name, endpoint=endpoint, url=url, category=CATEGORY))
