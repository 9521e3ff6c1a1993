"""Paper files due for their regular recheck (/admin/archive-recheck/), for the custodian:
listed by their last check date; "rechecked today" records one (services/archive/archive_recheck.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from core.clock import office_today
from extensions import db
from models.archive.archives import ArchiveFile
from services.archive import archive_recheck
from services.shared.office_scope import get_in_offices
from views.archive.archive_desk import file_state_label
from views.shared.audit_context import current_actor
from views.shared.base import SecurePageView


def _interval() -> int:
    return archive_recheck.interval(db.session)


class ArchiveRecheckView(SecurePageView):
    @expose("/")
    def index(self):
        today, interval = office_today(), _interval()
        return self.render(
            "admin/archive_desk/recheck.html",
            files=archive_recheck.due_files(db.session, today, interval, current_user),
            total=archive_recheck.due_count(db.session, today, interval, current_user),
            interval=interval,
            today=today,
            form=FlaskForm(),
            file_state_label=file_state_label,
        )

    @expose("/<int:file_id>/rechecked", methods=("POST",))
    def rechecked(self, file_id: int):
        if get_in_offices(db.session, ArchiveFile, file_id, current_user) is None:
            abort(404)
        if not FlaskForm().validate_on_submit():
            flash(_("The page had expired; nothing was changed. Try again."), "error")
            return redirect(url_for(".index"))
        try:
            archive_recheck.mark_rechecked(
                db.session,
                current_user._get_current_object(),
                file_id,
                office_today(),
                _interval(),
                actor=current_actor(),
            )
            db.session.commit()
        except archive_recheck.RecheckError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            flash(_("Recheck recorded for today."), "success")
        return redirect(url_for(".index"))


def register(admin, db) -> None:
    admin.add_view(
        ArchiveRecheckView(
            name=_l("Files due for recheck"),
            endpoint="archive_recheck",
            url="/admin/archive-recheck",
            category=_l("Archives"),
        )
    )
