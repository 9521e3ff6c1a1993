"""The approvals queue (/admin/approvals/) and "my requests" (/admin/my-requests/)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, inspect, select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import TextAreaField
from wtforms.validators import Length

from core import access
from extensions import db
from models.admin.people import User
from models.base import utcnow
from models.shared.approvals import ChangeRequest
from services.sales import scouts
from services.shared import approvals
from services.shared.approval_policy import POLICIES
from views.shared.audit_context import current_actor, log_in_own_transaction
from views.shared.base import SecurePageView
from views.shared.errors_util import deny
from views.shared.labels import COMMON_LABELS


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment (required to reject)"), validators=[Length(max=1000)])


RECORD_TYPE_LABELS = {
    "prospect": _l("Welcome card"),
    "owner": _l("Owner"),
    "household_member": _l("Household member"),
    "tenant": _l("Tenant"),
    "dealer": _l("Dealer"),
    "dealer_data_card": _l("Dealer data card"),
    # Records of the access log's own events that no model view names (issue 25: no raw code).
    "access_alert": _l("Access alerts"),
    "access_event": _l("Access log"),
    "alert_rule": _l("Alert rule"),
    "backup": _l("Backup"),
    "collision": _l("Collisions"),
    "lookup_request": _l("File lookup request"),
    "move_in": _l("Move-ins"),
    "office_setting": _l("Office settings"),
    "retention_period": _l("Retention periods"),
    "spot_check": _l("Spot checks"),
    # staff agreements and training (services/admin/staff.py)
    "staff_agreement": _l("Confidentiality agreement"),
    "agreement_version": _l("Agreement versions"),
    "training_course": _l("Training courses"),
    "training_record": _l("Training records"),
    # incidents and the lockdown (services/admin/incidents.py, services/admin/lockdown.py)
    "incident": _l("Incident"),
    "lockdown": _l("Lockdown"),
}


def record_type_label(code: str) -> str:
    """A record type (an access key such as ``household_member``) as its menu names it."""
    if code in RECORD_TYPE_LABELS:
        return str(RECORD_TYPE_LABELS[code])
    view = _view_of(code)
    return str(view.name) if view is not None and view.name else code


def _value_label(column: str, value):
    """A flag's value as words; nothing shows True/False."""
    if not isinstance(value, bool):
        return value
    if column == scouts.FIELD:
        return str(scouts.SCOUT_LABEL if value else scouts.NOT_SCOUT_LABEL)
    return _("Yes") if value else _("No")


def change_value_label(column: str, text):
    """A value as written in a change (old_label/new_label): flags stored as "True"/"False"
    before they were labelled read 是/否 (or the scout labels) like the rest."""
    if text in ("True", "False"):
        return _value_label(column, text == "True")
    return text


def _view_of(record_type: str):
    for admin in current_app.extensions.get("admin", []):
        for view in admin._views:
            if getattr(view, "endpoint", None) == record_type:
                return view
    return None


def field_label(record_type: str, column: str) -> str:
    """A changed column as its view labels it (``is_scout`` reads 同行踩盘), not its code.

    A reference column (``change_reason_id``) reads as its relation's label; a column the
    view does not label reads as its form field's label, then the shared labels, and at
    worst as a neutral word: a code is never shown.
    """
    view = _view_of(record_type)
    labels = (getattr(view, "column_labels", None) or {}) if view is not None else {}
    names = [column]
    if column.endswith("_id"):
        names.append(column[: -len("_id")])
    for name in names:
        label = labels.get(name) or _form_label(view, name) or COMMON_LABELS.get(name)
        if label:
            return str(label)
    return _("Other field")


def _form_label(view, name: str):
    form_class = getattr(view, "_edit_form_class", None) or getattr(
        view, "_create_form_class", None
    )
    unbound = getattr(form_class, name, None)
    if unbound is None:
        return None
    label = unbound.kwargs.get("label") if hasattr(unbound, "kwargs") else None
    return label or (unbound.args[0] if getattr(unbound, "args", None) else None)


def _related(record, relation: str | None, value):
    """A reference column's value as the record it points to (its label), not its id."""
    if record is None or not relation or relation not in inspect(type(record)).relationships:
        return value
    return getattr(record, relation)


class ApprovalsView(SecurePageView):
    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        # Only the requests of the approver's offices (and dealers'): another office's
        # supervisors decide theirs.
        query = select(ChangeRequest).where(
            ChangeRequest.status == "pending", approvals.visible_clause(user)
        )
        requester = request.args.get("requester", type=int)
        record_type = request.args.get("type", "")
        min_age = request.args.get("age", type=int)
        if requester:
            query = query.where(ChangeRequest.requested_by_id == requester)
        if record_type in POLICIES:
            query = query.where(ChangeRequest.record_type == record_type)
        if min_age is not None and 0 <= min_age <= 3650:
            query = query.where(ChangeRequest.requested_at <= utcnow() - timedelta(days=min_age))
        pending = db.session.scalars(query.order_by(ChangeRequest.requested_at).limit(500)).all()
        requesters = db.session.scalars(
            select(User)
            .join(ChangeRequest, ChangeRequest.requested_by_id == User.id)
            .where(ChangeRequest.status == "pending", approvals.visible_clause(user))
            .distinct()
        ).all()
        return self.render(
            "admin/approvals/index.html",
            pending=pending,
            requesters=requesters,
            record_types=[(code, record_type_label(code)) for code in POLICIES],
            selected={"requester": requester, "type": record_type, "age": min_age},
            record_type_label=record_type_label,
            field_label=field_label,
            now=utcnow(),
        )

    @expose("/<int:request_id>/")
    def detail(self, request_id: int):
        change = approvals.visible_request(db.session, request_id, current_user) or abort(404)
        model = approvals.RECORD_MODELS[change.record_type]
        record = db.session.get(model, change.record_id)
        # The request shows the customer's old and new values: a look at their data.
        log_in_own_transaction(
            "details",
            record_type=change.record_type,
            record_id=change.record_id,
            fail_closed=True,
        )
        rows = []
        for column, values in sorted((change.changes or {}).items()):
            current = getattr(record, column, None) if record is not None else None
            current = _value_label(column, _related(record, values.get("field"), current))
            rows.append(
                (
                    column,
                    change_value_label(column, values.get("old_label")),
                    change_value_label(column, values.get("new_label")),
                    current,
                )
            )
        return self.render(
            "admin/approvals/detail.html",
            change=change,
            record=record,
            rows=rows,
            form=DecisionForm(),
            own=change.requested_by_id == current_user.id,
            record_type_label=record_type_label,
            field_label=field_label,
            record_url=url_for(f"{change.record_type}.details_view", id=change.record_id),
        )

    @expose("/<int:request_id>/approve", methods=("POST",))
    def approve(self, request_id: int):
        return self._decide(request_id, approve=True)

    @expose("/<int:request_id>/reject", methods=("POST",))
    def reject(self, request_id: int):
        return self._decide(request_id, approve=False)

    def _decide(self, request_id: int, *, approve: bool):
        if approvals.visible_request(db.session, request_id, current_user) is None:
            abort(404)
        form = DecisionForm()
        if not form.validate_on_submit():
            abort(400)
        user = current_user._get_current_object()
        back = url_for(".detail", request_id=request_id)
        try:
            if approve:
                decision = approvals.approve(
                    db.session,
                    user=user,
                    request_id=request_id,
                    comment=form.comment.data,
                    actor=current_actor(user),
                )
            else:
                decision = approvals.reject(
                    db.session,
                    user=user,
                    request_id=request_id,
                    comment=form.comment.data,
                    actor=current_actor(user),
                )
            db.session.commit()
        except approvals.SelfDecision:
            db.session.commit()  # keeps the record of the refused attempt
            deny()
        except approvals.NotAnApprover:
            db.session.rollback()
            deny()
        except approvals.NotFound:
            db.session.rollback()
            abort(404)
        except approvals.AlreadyDecided:
            db.session.rollback()
            flash(_("This request was already decided by someone else."), "warning")
            return redirect(back)
        except approvals.MissingComment:
            db.session.rollback()
            flash(_("A rejection needs a comment for the requester."), "error")
            return redirect(back)
        except StaleDataError:
            db.session.rollback()
            flash(_("The record changed while approving; nothing was applied. Try again."), "error")
            return redirect(back)
        if decision.status == "stale":
            flash(
                _(
                    "The record changed after the request was filed, so the request is stale and "
                    "nothing was applied. The requester can file it again."
                ),
                "warning",
            )
        elif decision.status == "approved":
            flash(_("Approved and applied."), "success")
        else:
            flash(_("Rejected; the record is unchanged."), "info")
        return redirect(url_for(".index"))


class MyRequestsView(SecurePageView):
    @expose("/")
    def index(self):
        mine = db.session.scalars(
            select(ChangeRequest)
            .where(
                ChangeRequest.requested_by_id == current_user.id,
                # A request of an office the account left shows that office's record.
                approvals.visible_clause(current_user),
            )
            .order_by(ChangeRequest.requested_at.desc())
            .limit(200)
        ).all()
        return self.render(
            "admin/approvals/mine.html",
            mine=mine,
            record_type_label=record_type_label,
            field_label=field_label,
        )


def pending_badge_roles() -> frozenset[str]:
    """The roles whose navbar shows the pending-requests badge."""
    return access.PAGES["approvals.index"]


def pending_count_query(user):
    """The count of pending requests others filed, for the navbar badge of approver roles;
    None for other roles. views/__init__.py sends it in one SELECT with the other badges."""
    if not user.is_authenticated or user.role_code not in pending_badge_roles():
        return None
    # The account as this request's session holds it: its offices are read for the count,
    # and the badge is drawn after the page, when the object may come from a closed session.
    account = db.session.get(User, user.id)
    return (
        select(func.count())
        .select_from(ChangeRequest)
        .where(
            ChangeRequest.status == "pending",
            ChangeRequest.requested_by_id != account.id,
            approvals.visible_clause(account),
        )
    )


def pending_count_for(user) -> int | None:
    """Pending requests others filed, for the navbar badge of approver roles."""
    query = pending_count_query(user)
    return None if query is None else db.session.scalar(query)


def register(admin, db) -> None:
    admin.add_view(
        ApprovalsView(
            name=_l("Approvals"),
            endpoint="approvals",
            url="/admin/approvals",
            category=_l("Approvals"),
        )
    )
    admin.add_view(
        MyRequestsView(
            name=_l("My requests"),
            endpoint="my_requests",
            url="/admin/my-requests",
            category=_l("Approvals"),
        )
    )


STATUS_LABELS = {
    "pending": _l("waiting"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "stale": _l("stale (record had changed)"),
}


def request_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
