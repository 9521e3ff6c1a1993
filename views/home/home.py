"""The home page at /admin/, behind sign-in: the day's numbers of the signed-in role, each
linking to the page behind it (services/home/home_stats.py counts, views/home/home_charts.py draws)."""

from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_login import current_user

from core import access
from extensions import db
from models.base import utcnow
from services.admin import backup_rotation, staff_clearance
from services.archive import archive_recheck
from services.dealers import dealer_deadlines
from services.home import home_stats
from services.privacy import access_alerts
from services.sales import weekly_count
from services.sales.followups import office_today
from views.care.complaints import list_url as complaint_list_url
from views.home.home_charts import day_cards_svg
from views.sales.daily import AckForm, rule_label
from views.sales.sales_chart import trend_svg
from views.shared.audit_context import log_in_own_transaction


def _clerk(user, today) -> dict:
    return {
        "clerk": home_stats.clerk_home(db.session, user, today),
        # complaints this clerk handles, linked to the list filtered to them
        "my_complaints": home_stats.complaint_counts(db.session, today, handler=user, user=user),
        "my_complaints_url": complaint_list_url(handler=user.id, status="open"),
    }


def _supervisor(user, today) -> dict:
    days = home_stats.day_cards_by_consultant(db.session, today, user)
    points = weekly_count.trend(db.session, user)
    labels = {"entered": _("Entered"), "reported": _("Reported")}
    return {
        "requests_waiting": home_stats.requests_waiting(db.session, user),
        "copies_waiting": home_stats.copies_waiting(db.session, user),
        "day_rows": days,
        "day_chart": day_cards_svg(days, title=_("Day's cards per consultant"), labels=labels)
        if days
        else None,
        "points": points,
        "trend_chart": trend_svg(points, title=_("Weekly B/C count"), labels={"b": "B", "c": "C"})
        if points
        else None,
        "deadlines": home_stats.deadline_counts(db.session, user, today),
        "complaints": home_stats.complaint_counts(db.session, today, user=user),
        "complaint_urls": {
            "open": complaint_list_url(status="open"),
            "overdue": complaint_list_url(overdue="1"),
        },
    }


def _custodian(user, today) -> dict:
    desk = home_stats.desk_counts(db.session, today, user)
    desk["recheck_due"] = archive_recheck.due_count(
        db.session, today, archive_recheck.interval(db.session), user
    )
    return {"desk": desk}


def _region_manager(user, today) -> dict:
    rows = dealer_deadlines.missing_cards(db.session, user, today)
    if rows:
        # dealer names are the region's customer data: their look is logged, or not shown
        log_in_own_transaction(
            "list", fail_closed=True, record_type="dealer", record_ids=[r.dealer_id for r in rows]
        )
    files = dealer_deadlines.missing_files(db.session, user, today)
    return {
        "dealer_rows": rows[:20],
        "deadlines": {
            "due": sum(r.status != "late" for r in rows),  # still in time (today or later)
            "late": sum(r.status == "late" for r in rows),
            # counts only: the names are on the deadlines page
            "files_due": len(files),
            "files_late": sum(r.status == "late" for r in files),
            "directory_gaps": len(dealer_deadlines.directory_gaps(db.session, user)),
        },
    }


def _admin(user, today) -> dict:
    return {
        "admin": home_stats.admin_counts(db.session),
        "backups": home_stats.backup_health(
            db.session,
            backup_rotation.folder(current_app.config, current_app.instance_path),
            utcnow(),
        ),
        "open_alerts": access_alerts.latest(db.session, open_only=True, limit=10),
        "ack_form": AckForm(),
        "rule_label": rule_label,
        # staff due for training within 30 days, and blocked now (services/admin/staff_clearance.py)
        "staff_due_blocked": staff_clearance.due_and_blocked(db.session, today),
    }


SECTIONS = {
    "clerk": _clerk,
    "supervisor": _supervisor,
    "custodian": _custodian,
    "region_manager": _region_manager,
    "admin": _admin,
}


class HomeView(AdminIndexView):
    def is_accessible(self) -> bool:
        return (
            current_user.is_authenticated and current_user.role_code in access.PAGES["admin.index"]
        )

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        today = office_today()
        section = SECTIONS.get(user.role_code)
        return self.render(
            "admin/home.html",
            role_label=access.role_label(current_user.role_code),
            role=user.role_code,
            today=today,
            **(section(user, today) if section else {}),
        )
