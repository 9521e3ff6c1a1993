"""The archive desk (/admin/archive-desk/) and the pages around it: a clerk's lookup request,
a supervisor's copies to approve, and the lookup register (查阅登记簿) with its XLSX export.

Views are thin: each POST calls one service of services/archive/archive_desk.py and commits once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.clock import office_time
from extensions import db
from models.admin.people import Role, User
from models.archive.archive_desk import LookupRequest
from services.admin.offices import office_clause
from services.archive import archive_desk as desk
from services.archive import archive_register
from services.shared.office_scope import colleagues_clause
from views.archive.archives import STATE_CHOICES
from views.shared.audit_context import current_actor
from views.shared.base import SecurePageView
from views.shared.errors_util import deny

MODE_LABELS = {
    "read_in_room": _l("read in the room"),
    "take_out": _l("take out"),
    "copy": _l("copy"),
    "excerpt": _l("excerpt"),
}
STATUS_LABELS = {
    "requested": _l("requested"),
    "approved_by_superior": _l("approved by the superior"),
    "approved": _l("approved, to hand out"),
    "refused": _l("refused by the desk or the superior"),
    "handed_out": _l("handed out"),
    "returned": _l("returned"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired"),
}
ERROR_MESSAGES = {
    "missing_reason": _l("A reason is required."),
    "invalid_input": _l("Check the values you entered."),
    "not_found": _l("No such file or request."),
    "invalid_transition": _l(
        "This step is not possible in the request's current state; nothing was changed."
    ),
    "file_not_available": _l(
        "The file is not in the room (lent out to someone else or destroyed); nothing was changed."
    ),
}


def mode_label(code: str) -> str:
    return str(MODE_LABELS.get(code, code))


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def file_state_label(code: str) -> str:
    return str(dict(STATE_CHOICES).get(code, code))


def fmt(value) -> str:
    # Stored moments are UTC: shown in Beijing time to the minute, like every other page.
    return office_time(value)


def filed_message(lookup: LookupRequest) -> str:
    """What filing a lookup request did: it is filed and waits for its next approver."""
    if lookup.needs_superior:
        return _(
            "Lookup request filed. It now waits for your superior's approval, "
            "then for the custodian's."
        )
    return _("Lookup request filed. It now waits for the custodian's decision.")


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class ConditionForm(FlaskForm):
    condition = TextAreaField(_l("Condition noted"), validators=[Optional(), Length(max=1000)])


def approver_choices() -> list[User]:
    """Active administrators, and the supervisors of the custodian's offices, who may
    approve a destruction."""
    return list(
        db.session.scalars(
            select(User)
            .join(Role, User.role_id == Role.id)
            .where(
                or_(
                    Role.code == "admin",
                    (Role.code == "supervisor") & colleagues_clause(current_user),
                ),
                User.active.is_(True),
            )
            .order_by(User.full_name, User.id)
        )
    )


class DestroyForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    approver = QuerySelectField(
        _l("Approved by"), query_factory=approver_choices, validators=[DataRequired()]
    )
    destroyed_on = DateField(_l("Destroyed on"), validators=[DataRequired()])


class LookupForm(FlaskForm):
    code = StringField(_l("File code"), validators=[DataRequired(), Length(max=30)])
    mode = SelectField(_l("How to consult"), choices=list(MODE_LABELS.items()))
    days = IntegerField(
        _l("Working days needed"), default=0, validators=[NumberRange(0, desk.MAX_DAYS)]
    )
    reason = TextAreaField(_l("Reason (for work)"), validators=[DataRequired(), Length(max=1000)])


class _DeskPage(SecurePageView):
    def render(self, template, **kwargs):
        kwargs.setdefault("mode_label", mode_label)
        kwargs.setdefault("status_label", status_label)
        kwargs.setdefault("fmt", fmt)
        kwargs.setdefault("file_state_label", file_state_label)
        return super().render(template, **kwargs)

    def _run(self, step, back: str, said=None):
        """Call one service step; commit and say what happened, or roll back and say why.

        ``said`` turns the step's result into the flash, so a filed request says it now waits
        for someone instead of a bare "done".
        """
        try:
            result = step(db.session, current_user._get_current_object(), actor=current_actor())
            db.session.commit()
        except desk.NotAllowed:
            db.session.rollback()
            deny()
        except desk.NoSuchRecord:
            # Another office's request or file: not found, and the look is logged.
            abort(404)
        except desk.DeskError as error:
            db.session.rollback()
            flash(str(ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["invalid_input"])), "error")
            return redirect(back)
        flash(said(result) if said else _("Done."), "success")
        return redirect(back)


class ArchiveDeskView(_DeskPage):
    @expose("/")
    def index(self):
        today = desk.office_today()
        return self.render(
            "admin/archive_desk/desk.html",
            queues=archive_register.queues(db.session, user=current_user, today=today),
            today=today,
            reason_form=ReasonForm(),
            condition_form=ConditionForm(),
        )

    @expose("/find")
    def find(self):
        code = request.args.get("code", "").strip()
        found = desk.file_by_code(db.session, current_user, code)
        if found is None:
            flash(_("No paper file has the code %(code)s.", code=code[:30]), "warning")
            return redirect(url_for(".index"))
        return redirect(url_for(".file", file_id=found))

    @expose("/file/<int:file_id>/")
    def file(self, file_id: int):
        archive_file = desk.file_in_offices(db.session, current_user, file_id) or abort(404)
        return self.render(
            "admin/archive_desk/file.html",
            archive_file=archive_file,
            history=archive_register.file_history(db.session, file_id),
            destruction=archive_register.destruction_of(db.session, file_id),
            form=DestroyForm(),
        )

    @expose("/file/<int:file_id>/destroy", methods=("POST",))
    def destroy(self, file_id: int):
        desk.file_in_offices(db.session, current_user, file_id) or abort(404)
        form = DestroyForm()
        if not form.validate_on_submit():
            flash(_("A destruction needs its reason, approver and date."), "error")
            return redirect(url_for(".file", file_id=file_id))
        return self._run(
            lambda s, u, **kw: desk.destroy(
                s,
                u,
                file_id,
                reason=form.reason.data,
                approved_by_id=form.approver.data.id,
                destroyed_on=form.destroyed_on.data,
                **kw,
            ),
            url_for(".file", file_id=file_id),
        )

    def _posted(self, form_class):
        form = form_class()
        if not form.validate_on_submit():
            abort(400)
        return form

    @expose("/<int:request_id>/approve", methods=("POST",))
    def approve(self, request_id: int):
        self._posted(ReasonForm)
        return self._run(
            lambda s, u, **kw: desk.custodian_decide(s, u, request_id, approve=True, **kw),
            url_for(".index"),
        )

    @expose("/<int:request_id>/refuse", methods=("POST",))
    def refuse(self, request_id: int):
        reason = self._posted(ReasonForm).reason.data
        return self._run(
            lambda s, u, **kw: desk.custodian_decide(
                s, u, request_id, approve=False, reason=reason, **kw
            ),
            url_for(".index"),
        )

    @expose("/<int:request_id>/hand-out", methods=("POST",))
    def hand_out(self, request_id: int):
        self._posted(ReasonForm)
        return self._run(
            lambda s, u, **kw: desk.hand_out(s, u, request_id, **kw), url_for(".index")
        )

    @expose("/<int:request_id>/take-back", methods=("POST",))
    def take_back(self, request_id: int):
        condition = self._posted(ConditionForm).condition.data
        return self._run(
            lambda s, u, **kw: desk.take_back(s, u, request_id, condition=condition, **kw),
            url_for(".index"),
        )


class LookupRequestView(_DeskPage):
    @expose("/", methods=("GET", "POST"))
    def index(self):
        form = LookupForm(code=request.args.get("code", ""))
        if form.validate_on_submit():
            file_id = desk.file_by_code(db.session, current_user, form.code.data)
            if file_id is None:
                form.code.errors.append(_("No paper file has this code."))
            else:
                return self._run(
                    lambda s, u, **kw: desk.request_lookup(
                        s,
                        u,
                        file_id=file_id,
                        reason=form.reason.data,
                        mode=form.mode.data,
                        days=form.days.data,
                        **kw,
                    ),
                    url_for(".index"),
                    said=filed_message,
                )
        mine = db.session.scalars(
            select(LookupRequest)
            .where(
                LookupRequest.requested_by_id == current_user.id,
                office_clause(LookupRequest.office_id, current_user),
            )
            .order_by(LookupRequest.requested_at.desc())
            .limit(100)
        ).all()
        return self.render("admin/archive_desk/request.html", form=form, mine=mine)


class CopyApprovalView(_DeskPage):
    @expose("/")
    def index(self):
        waiting = desk.copies_waiting(db.session, current_user._get_current_object())
        return self.render("admin/archive_desk/copies.html", waiting=waiting, form=ReasonForm())

    @expose("/<int:request_id>/approve", methods=("POST",))
    def approve(self, request_id: int):
        ReasonForm().validate_on_submit() or abort(400)
        return self._run(
            lambda s, u, **kw: desk.superior_decide(s, u, request_id, approve=True, **kw),
            url_for(".index"),
        )

    @expose("/<int:request_id>/refuse", methods=("POST",))
    def refuse(self, request_id: int):
        form = ReasonForm()
        form.validate_on_submit() or abort(400)
        return self._run(
            lambda s, u, **kw: desk.superior_decide(
                s, u, request_id, approve=False, reason=form.reason.data, **kw
            ),
            url_for(".index"),
        )


def overdue_badge_roles() -> frozenset[str]:
    """The roles whose navbar shows the overdue-files badge."""
    return desk.CUSTODIAN_ROLES


def overdue_count_query(user):
    """The count of files overdue, for a badge on the custodian's pages; None for others."""
    if not user.is_authenticated or user.role_code not in overdue_badge_roles():
        return None
    # The account as this request's session holds it (see views/shared/approvals.py).
    return archive_register.overdue_count_query(user=db.session.get(User, user.id))


def overdue_count_for(user) -> int | None:
    """Files overdue, for a badge on the custodian's pages."""
    query = overdue_count_query(user)
    return None if query is None else db.session.scalar(query)


def register(admin, db) -> None:
    category = _l("Archives")
    admin.add_view(
        ArchiveDeskView(
            name=_l("Archive desk"),
            endpoint="archive_desk",
            url="/admin/archive-desk",
            category=category,
        )
    )
    admin.add_view(
        LookupRequestView(
            name=_l("Request a lookup"),
            endpoint="archive_lookup",
            url="/admin/archive-lookup",
            category=category,
        )
    )
    admin.add_view(
        CopyApprovalView(
            name=_l("Copies to approve"),
            endpoint="archive_copies",
            url="/admin/archive-copies",
            category=category,
        )
    )
