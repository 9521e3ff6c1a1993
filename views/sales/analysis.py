"""Customer analysis (客户分析, /admin/analysis/customers/): the office's welcome cards of a
period broken down by awareness channel, budget, need, intended area and district, project
and grade, each as a bar chart with its table, and the tables as XLSX.

Counts only, no person: the page and the download are logged as a report view and a report
export without record ids. Thin: parses the period, asks services/sales/customer_analysis.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from flask import redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from core.clock import office_time, office_today
from core.masking import neutralise_formula
from extensions import db
from models.base import utcnow
from services.sales import customer_analysis as analysis
from views.sales.analysis_chart import bars_svg
from views.shared.audit_context import log_in_own_transaction
from views.shared.base import SecurePageView

#: What the access log calls this report (no record ids: it shows no person).
RECORD_TYPE = "customer_analysis"
#: Typed values longer than this are not dates or ids; cut before parsing or echoing.
MAX_INPUT = 20
ERRORS = {
    "date": _l("Enter the dates as YYYY-MM-DD."),
    "order": _l("The period ends before it starts: choose an end date on or after the start."),
    "too_long": _l("The period is too long: choose at most %(days)d days.", days=analysis.MAX_DAYS),
    "project": _l("Choose a project from the list."),
}


@dataclass
class Query:
    """The period and project asked for, as typed (to show them again) and as parsed."""

    typed: dict[str, str]
    start: date | None = None
    end: date | None = None
    project_id: int | None = None
    errors: list[str] = field(default_factory=list)


def _user():
    return current_user._get_current_object()


def _error(code: str) -> str:
    return str(ERRORS[code])


def read_query(projects: dict[int, str]) -> Query:
    """The request's ``start``, ``end`` and ``project``; an empty date is the current month
    up to today. Errors are collected, never raised: the form comes back as typed."""
    typed = {n: request.args.get(n, "").strip()[:MAX_INPUT] for n in ("start", "end", "project")}
    default_start, default_end = analysis.month_so_far(office_today())
    query = Query(typed)
    try:
        query.start = date.fromisoformat(typed["start"]) if typed["start"] else default_start
        query.end = date.fromisoformat(typed["end"]) if typed["end"] else default_end
    except ValueError:
        query.errors.append(_error("date"))
    typed["start"] = typed["start"] or default_start.isoformat()
    typed["end"] = typed["end"] or default_end.isoformat()
    if typed["project"]:
        try:
            query.project_id = int(typed["project"])
        except ValueError:
            query.project_id = None
        if query.project_id not in projects:
            query.project_id = None
            query.errors.append(_error("project"))
    if query.start and query.end and not query.errors:
        try:
            analysis.check_period(query.start, query.end)
        except analysis.InvalidPeriod as exc:
            query.errors.append(_error(exc.code))
    return query


class CustomerAnalysisView(SecurePageView):
    def _projects(self) -> dict[int, str]:
        return dict(analysis.project_choices(db.session, _user()))

    @expose("/")
    def index(self):
        projects = self._projects()
        query = read_query(projects)
        result = None
        if not query.errors:
            result = analysis.analyse(
                db.session, query.start, query.end, query.project_id, user=_user()
            )
        charts = {
            b.key: bars_svg(b.rows, title=str(b.title), chart_id=f"chart-{b.key}")
            for b in (result.breakdowns if result else [])
            if b.rows
        }
        page = self.render(
            "admin/analysis/customers.html",
            query=query,
            projects=projects,
            result=result,
            charts=charts,
            max_days=analysis.MAX_DAYS,
        )
        if result is not None:
            # Counts only, but a look at the customers' data all the same: logged, or not shown.
            log_in_own_transaction("report", fail_closed=True, record_type=RECORD_TYPE)
        return page

    @expose("/export.xlsx")
    def export(self):
        projects = self._projects()
        query = read_query(projects)
        if query.errors:
            # The page says what is wrong with the period, with the values as typed.
            return redirect(url_for(".index", **query.typed))
        result = analysis.analyse(
            db.session, query.start, query.end, query.project_id, user=_user()
        )
        buffer = workbook(result, projects.get(query.project_id))
        log_in_own_transaction("export", fail_closed=True, record_type=RECORD_TYPE)
        return send_file(
            buffer,
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            as_attachment=True,
            download_name=f"customer-analysis-{result.start}-{result.end}.xlsx",
        )


def workbook(result: analysis.Analysis, project_label: str | None) -> BytesIO:
    """The page's tables as XLSX: a summary sheet, then one sheet per breakdown with the
    item, the cards and the share. Labels are formula-neutralised (the admin edits them)."""
    book = Workbook()
    summary = book.active
    summary.title = _("Customer analysis")[:31]
    # utcnow() is naive UTC; people read Beijing time (core.clock.office_time).
    made_at = office_time(utcnow())
    for label, value in (
        (_("Customer analysis"), ""),
        (_("First visits from"), result.start.isoformat()),
        (_("First visits to"), result.end.isoformat()),
        (_("Intended project"), project_label or _("All projects")),
        (_("Cards counted"), result.total),
        (_("Scouts are left out."), ""),
        (_("Made at (Beijing time)"), made_at),
    ):
        summary.append([label, neutralise_formula(value)])
    summary["A1"].font = Font(bold=True)
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 24
    for item in result.breakdowns:
        sheet = book.create_sheet(str(item.title)[:31])
        sheet.append([str(item.title), _("Cards"), _("Share (%)")])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in item.rows:
            sheet.append([neutralise_formula(row.label), row.count, float(row.share)])
        sheet.append([_("Total"), item.total, 100.0 if item.total else 0.0])
        sheet.column_dimensions["A"].width = 24
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


PAGES = (
    (
        CustomerAnalysisView,
        "customer_analysis",
        "/admin/analysis/customers",
        _l("Customer analysis"),
    ),
)


def register(admin, db) -> None:
    for view_class, endpoint, url, name in PAGES:
        admin.add_view(view_class(name=name, endpoint=endpoint, url=url, category=_l("Sales")))
