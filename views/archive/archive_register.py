"""The lookup register (查阅登记簿, /admin/archive-register/): every lookup with requester,
file, reason, approvals, out and back times, by period; printable and exported to XLSX."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import request, send_file
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook

from extensions import db
from models.archive.archive_desk import LookupRequest
from services.archive import archive_register
from views.archive.archive_desk import _DeskPage, fmt, mode_label, status_label
from views.shared.audit_context import log_in_own_transaction


def _period() -> tuple[date | None, date | None]:
    def parse(name):
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return parse("start"), parse("end")


REGISTER_COLUMNS = (
    _l("No."),
    _l("File code"),
    _l("File title"),
    _l("Requester"),
    _l("Filed"),
    _l("How to consult"),
    _l("Reason"),
    _l("Superior approval"),
    _l("Custodian decision"),
    _l("State"),
    _l("Handed out"),
    _l("Due back"),
    _l("Returned"),
    _l("Condition noted"),
)


def register_row(r: LookupRequest) -> list[str]:
    def who_when(user, when):
        return f"{user.full_name} {fmt(when)}" if user else ""

    return [
        str(r.id),
        r.file.code,
        r.file.title,
        r.requested_by.full_name,
        fmt(r.requested_at),
        mode_label(r.mode),
        r.reason,
        who_when(r.superior, r.superior_at),
        who_when(r.decided_by, r.decided_at) + (f" {r.refusal_reason}" if r.refusal_reason else ""),
        status_label(r.status),
        who_when(r.handed_to, r.handed_out_at),
        fmt(r.due_on),
        who_when(r.returned_to, r.returned_at),
        r.return_condition or "",
    ]


class LookupRegisterView(_DeskPage):
    @expose("/")
    def index(self):
        start, end = _period()
        rows = [
            register_row(r)
            for r in archive_register.register_rows(
                db.session, user=current_user, start=start, end=end
            )
        ]
        return self.render(
            "admin/archive_desk/register.html",
            rows=rows,
            columns=REGISTER_COLUMNS,
            start=start,
            end=end,
        )

    @expose("/export.xlsx")
    def export(self):
        start, end = _period()
        lookups = archive_register.register_rows(
            db.session, user=current_user, start=start, end=end
        )
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Lookup register")[:31]
        sheet.append([str(c) for c in REGISTER_COLUMNS])
        for lookup in lookups:
            sheet.append(register_row(lookup))
        buffer = BytesIO()
        workbook.save(buffer)
        buffer.seek(0)
        log_in_own_transaction(
            "export", record_type="lookup_request", record_ids=[r.id for r in lookups]
        )
        return send_file(
            buffer,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name="lookup-register.xlsx",
        )


def register(admin, db) -> None:
    # After the desk's own pages (views/__init__.py AREAS order), last in the archives menu.
    admin.add_view(
        LookupRegisterView(
            name=_l("Lookup register"),
            endpoint="archive_register",
            url="/admin/archive-register",
            category=_l("Archives"),
        )
    )
