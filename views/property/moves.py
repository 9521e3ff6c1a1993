"""Property changes at the desk: the transfer checklist, opening a transfer, ending a lease,
household changes and members on a date (/admin/transfer-desk/), and the unit timeline
(/admin/unit-timeline/). Each POST calls one service, then commits once."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from models.property.moves import MoveIn
from models.property.property import HouseholdMember, Lease, Owner, Unit
from models.property.transfers import Transfer, TransferItem
from models.shared.approvals import ChangeRequest
from services.admin.offices import office_clause
from services.archive.archive_desk import office_today
from services.property import household, leases, move_ins, timeline, transfers
from services.shared import approvals
from services.shared.office_scope import get_in_offices
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView

STATUS_LABELS = {
    "open": _l("open"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "registering": _l("being registered"),
    "active": _l("active"),
    "ended": _l("ended"),
    "done": _l("done"),
}


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


class TickForm(FlaskForm):
    note = StringField(_l("Note (receipt number, amount)"), validators=[Length(max=200)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason for cancelling"), validators=[Length(max=500)])


class CompleteForm(FlaskForm):
    completed_on = DateField(_l("Completion date"), validators=[Optional()])


class OpenForm(FlaskForm):
    buyer_id = IntegerField(_l("Existing owner number (buyer)"), validators=[Optional()])
    buyer_name = StringField(_l("Or a new buyer: name"), validators=[Length(max=50)])
    buyer_mobile = StringField(_l("New buyer's mobile"), validators=[Length(max=20)])
    opened_on = DateField(_l("Date both parties came"), validators=[DataRequired()])


class LeaseEndForm(FlaskForm):
    moved_out_on = DateField(_l("Move-out date"), validators=[DataRequired()])
    fees_settled = BooleanField(_l("The tenant's fees are settled"))


class HouseholdForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=50)])
    reason_id = SelectField(_l("Reason"), coerce=int, validate_choice=False)
    effective_on = DateField(_l("Takes effect on"), validators=[DataRequired()])


def _reason_choices() -> list[tuple[int, str]]:
    items = db.session.scalars(
        select(ReferenceItem)
        .join(ReferenceList)
        .where(ReferenceList.code == "household_change_reason", ReferenceItem.active.is_(True))
        .order_by(ReferenceItem.sort_order)
    )
    return [(item.id, str(item)) for item in items]


def _refused(exc) -> None:
    db.session.rollback()
    flash(str(exc.message), "error")


class TransferDeskView(SecurePageView):
    @expose("/")
    def index(self):
        open_transfers = db.session.scalars(
            select(Transfer)
            .where(Transfer.status == "open", office_clause(Transfer.office_id, current_user))
            .order_by(Transfer.opened_on)
            .limit(500)
        ).all()
        return self.render(
            "admin/moves/index.html",
            transfers=open_transfers,
            move_ins=move_ins.open_move_ins(db.session, current_user),
        )

    # --- the new owner's move-in checklist ------------------------------------------------
    def _move_in(self, move_in_id: int) -> MoveIn:
        return get_in_offices(db.session, MoveIn, move_in_id, current_user) or abort(404)

    @expose("/move-in/<int:move_in_id>/")
    def move_in(self, move_in_id: int):
        record = self._move_in(move_in_id)
        _log_read("move_in", record.id)
        return self.render(
            "admin/moves/move_in.html",
            move_in=record,
            items=move_ins.ITEMS,
            form=FlaskForm(),
            status_label=status_label,
        )

    def _move_in_step(self, move_in_id: int, step, done_message):
        record = self._move_in(move_in_id)
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            step(current_user._get_current_object(), record)
            db.session.commit()
        except move_ins.MoveInError as exc:
            _refused(exc)
        else:
            flash(str(done_message), "success")
        return redirect(url_for(".move_in", move_in_id=move_in_id))

    @expose("/move-in/<int:move_in_id>/items/<item>", methods=("POST",))
    def move_in_item(self, move_in_id: int, item: str):
        if item not in move_ins.ITEMS:
            abort(404)
        value = request.form.get("value") == "1"
        return self._move_in_step(
            move_in_id,
            lambda user, m: move_ins.set_item(
                db.session, user, m, item, value, actor=current_actor()
            ),
            _l("Item ticked.") if value else _l("Item reopened."),
        )

    @expose("/move-in/<int:move_in_id>/finish", methods=("POST",))
    def move_in_finish(self, move_in_id: int):
        return self._move_in_step(
            move_in_id,
            lambda user, m: move_ins.finish(db.session, user, m, actor=current_actor()),
            _l("Move-in finished."),
        )

    def _transfer(self, transfer_id: int) -> Transfer:
        return db.session.scalar(
            select(Transfer)
            .options(selectinload(Transfer.items).selectinload(TransferItem.done_by))
            .where(Transfer.id == transfer_id, office_clause(Transfer.office_id, current_user))
        ) or abort(404)

    @expose("/<int:transfer_id>/")
    def detail(self, transfer_id: int):
        transfer = self._transfer(transfer_id)
        left = transfers.open_items(transfer)
        _log_read("transfer", transfer.id)
        return self.render(
            "admin/moves/transfer.html",
            transfer=transfer,
            left=[transfers.item_label(i) for i in left],
            item_label=transfers.item_label,
            tick_form=TickForm(),
            cancel_form=CancelForm(),
            complete_form=CompleteForm(data={"completed_on": office_today()}),
            status_label=status_label,
        )

    def _act(self, transfer_id: int, form: FlaskForm, action, done_message):
        transfer = self._transfer(transfer_id)
        if not form.validate_on_submit():
            abort(400)
        user = current_user._get_current_object()
        try:
            action(user, transfer)
            db.session.commit()
        except transfers.TransferError as exc:
            _refused(exc)
        else:
            flash(str(done_message), "success")
        return redirect(url_for(".detail", transfer_id=transfer_id))

    @expose("/<int:transfer_id>/items/<int:item_id>/tick", methods=("POST",))
    def tick(self, transfer_id: int, item_id: int):
        form = TickForm()
        return self._act(
            transfer_id,
            form,
            lambda user, t: transfers.tick_item(db.session, user, t, item_id, form.note.data),
            _l("Item ticked."),
        )

    @expose("/<int:transfer_id>/items/<int:item_id>/untick", methods=("POST",))
    def untick(self, transfer_id: int, item_id: int):
        return self._act(
            transfer_id,
            TickForm(),
            lambda user, t: transfers.untick_item(db.session, user, t, item_id),
            _l("Item reopened."),
        )

    @expose("/<int:transfer_id>/complete", methods=("POST",))
    def complete(self, transfer_id: int):
        form = CompleteForm()
        return self._act(
            transfer_id,
            form,
            lambda user, t: transfers.complete(
                db.session, user, t, form.completed_on.data or office_today()
            ),
            _l("Transfer completed: the buyer is now the owner and the move-in is open."),
        )

    @expose("/<int:transfer_id>/cancel", methods=("POST",))
    def cancel(self, transfer_id: int):
        form = CancelForm()
        return self._act(
            transfer_id,
            form,
            lambda user, t: transfers.cancel(db.session, user, t, form.reason.data),
            _l("Transfer cancelled; nothing else changed."),
        )

    @expose("/open/<int:unit_id>/", methods=("GET", "POST"))
    def open_transfer(self, unit_id: int):
        unit = _unit(unit_id)
        form = OpenForm()
        if request.method == "GET":
            form.opened_on.data = office_today()
        if form.validate_on_submit():
            buyer = None
            if form.buyer_id.data:
                # An owner of another office is no buyer this desk can name.
                buyer = get_in_offices(db.session, Owner, form.buyer_id.data, current_user)
            elif (form.buyer_name.data or "").strip():
                buyer = transfers.new_buyer(
                    db.session,
                    current_user._get_current_object(),
                    form.buyer_name.data,
                    form.buyer_mobile.data,
                    purpose=current_app.config["PRIVACY_PURPOSE"],
                    policy_version=current_app.config["PRIVACY_POLICY_VERSION"],
                    # The buyer is a customer of the office that runs the unit.
                    office_id=unit.office_id,
                )
            if buyer is None:
                flash(str(_l("Choose an existing owner or enter a new buyer.")), "error")
            else:
                user = current_user._get_current_object()
                try:
                    transfer = transfers.open_transfer(
                        db.session, user, unit, buyer, form.opened_on.data
                    )
                    db.session.commit()
                except transfers.TransferError as exc:
                    _refused(exc)
                else:
                    flash(str(_l("Transfer opened.")), "success")
                    return redirect(url_for(".detail", transfer_id=transfer.id))
        return self.render("admin/moves/open.html", unit=unit, form=form, seller=unit.current_owner)

    @expose("/lease/<int:lease_id>/end", methods=("GET", "POST"))
    def end_lease(self, lease_id: int):
        lease = get_in_offices(db.session, Lease, lease_id, current_user) or abort(404)
        form = LeaseEndForm()
        if request.method == "GET":
            form.moved_out_on.data = office_today()
        if form.validate_on_submit():
            user = current_user._get_current_object()
            try:
                leases.end_lease(
                    db.session,
                    user,
                    lease,
                    form.moved_out_on.data,
                    fees_settled=form.fees_settled.data,
                )
                db.session.commit()
            except leases.LeaseError as exc:
                _refused(exc)
            else:
                flash(str(_l("Lease ended and kept as history.")), "success")
                return redirect(url_for("unit_timeline.unit", unit_id=lease.unit_id))
        return self.render(
            "admin/moves/lease_end.html",
            lease=lease,
            form=form,
            cards_out=leases.cards_out(db.session, lease),
            missing=leases.intake_missing(lease) if lease.status == "registering" else [],
            status_label=status_label,
        )

    @expose("/household/<int:unit_id>/", methods=("GET", "POST"))
    def household(self, unit_id: int):
        unit = _unit(unit_id)
        form = HouseholdForm()
        form.reason_id.choices = _reason_choices()
        if request.method == "GET":
            form.effective_on.data = office_today()
        if form.validate_on_submit():
            user = current_user._get_current_object()
            member_id = request.form.get("member_id", type=int)
            done_message = _l("Household change recorded.")
            try:
                if member_id:
                    member = db.session.get(HouseholdMember, member_id)
                    if member is None or member.unit_id != unit.id:
                        abort(404)
                    outcome = household.remove_member(
                        db.session,
                        user,
                        member,
                        reason_id=form.reason_id.data,
                        effective_on=form.effective_on.data,
                    )
                    if isinstance(outcome, ChangeRequest):
                        done_message = _l(
                            "The removal was submitted for approval (request #%(id)s).",
                            id=outcome.id,
                        )
                else:
                    household.add_member(
                        db.session,
                        user,
                        unit,
                        name=form.name.data,
                        reason_id=form.reason_id.data,
                        effective_on=form.effective_on.data,
                    )
                db.session.commit()
            except household.HouseholdError as exc:
                _refused(exc)
            except approvals.DuplicatePending as exc:
                db.session.rollback()
                flash(
                    str(
                        _l(
                            "A change of this member is already waiting (request #%(id)s).",
                            id=exc.request_id,
                        )
                    ),
                    "error",
                )
            else:
                flash(str(done_message), "success")
                return redirect(url_for(".household", unit_id=unit.id))
        on = _date_arg("on") or office_today()
        _log_read("unit", unit.id)
        return self.render(
            "admin/moves/household.html",
            unit=unit,
            form=form,
            on=on,
            members=household.members_on(db.session, unit.id, on),
        )


def _unit(unit_id: int) -> Unit:
    """The unit when it is one of the account's offices'; 404 (logged) for any other."""
    return get_in_offices(db.session, Unit, unit_id, current_user) or abort(404)


def _log_read(record_type: str, record_id: int) -> None:
    # Customer data is shown only when its look is logged.
    log_in_own_transaction(
        "details", fail_closed=True, record_type=record_type, record_id=record_id
    )


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


class UnitTimelineView(SecurePageView):
    @expose("/")
    def index(self):
        unit_id = request.args.get("unit_id", type=int)
        if unit_id:
            return redirect(url_for(".unit", unit_id=unit_id))
        return self.render("admin/moves/timeline_pick.html")

    @expose("/<int:unit_id>/")
    def unit(self, unit_id: int):
        unit = _unit(unit_id)
        _log_read("unit", unit.id)
        return self.render(
            "admin/moves/timeline.html",
            unit=unit,
            owners=timeline.owners(db.session, unit.id),
            events=timeline.unit_timeline(db.session, unit.id),
            open_transfer=db.session.scalar(
                select(Transfer).where(Transfer.unit_id == unit.id, Transfer.status == "open")
            ),
            active_lease=db.session.scalar(
                select(Lease).where(Lease.unit_id == unit.id, Lease.status == "active")
            ),
        )


def register(admin, db) -> None:
    admin.add_view(
        TransferDeskView(
            name=_l("Transfer desk"),
            endpoint="transfer_desk",
            url="/admin/transfer-desk",
            category=_l("Transfers"),
        )
    )
    admin.add_view(
        UnitTimelineView(
            name=_l("Unit timeline"),
            endpoint="unit_timeline",
            url="/admin/unit-timeline",
            category=_l("Transfers"),
        )
    )
