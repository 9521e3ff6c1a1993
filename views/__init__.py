"""Builds the Admin and registers every view through one function."""

from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import access, clock, masking
from extensions import db
from services.admin.offices import visible_office_ids
from services.privacy import consent as consents
from views.admin import admin as admin_area
from views.admin import incidents as incidents_area
from views.admin import lockdown as lockdown_area
from views.admin import office_settings
from views.admin import offices as offices_area
from views.admin import staff as staff_area
from views.archive import archive_desk, archive_recheck, archive_register, archives
from views.care import complaints
from views.dealers import dealers
from views.home.home import HomeView
from views.privacy import (
    audit,
    compliance_review,
    corrections,
    partners,
    retention,
    subject_requests,
)
from views.property import moves, property, transfers
from views.sales import analysis, collisions, daily, pool, prospects, sales
from views.shared import (
    admin_i18n,
    approvals,
    concurrency,
    fixed_urls,
    form_i18n,
    gating,
    imports,
    menu_cache,
    printing,
)

# Each area module exposes register(admin, db); the order is the menu order.
AREAS = (
    prospects,
    sales,
    pool,
    collisions,
    analysis,
    imports,
    property,
    transfers,
    moves,
    dealers,
    archives,
    archive_desk,
    archive_register,
    archive_recheck,
    approvals,
    subject_requests,
    retention,
    complaints,
    partners,
    admin_area,
    offices_area,
    office_settings,
    incidents_area,
    lockdown_area,
    staff_area,
    audit,
    compliance_review,
    daily,
    printing,
)


def init_admin(app: Flask) -> Admin:
    admin_i18n.install()  # Flask-Admin's strings come from our catalogue where its own falls short
    form_i18n.install()  # WTForms' catalogue read once per language, not on every request
    admin = Admin(
        app,
        name=_l("Customer records"),
        url="/admin",
        index_view=HomeView(name=_l("Home"), url="/admin", endpoint="admin"),
        theme=Bootstrap4Theme(base_template="admin/panel_base.html", fluid=True),
        translations_path=None,
    )
    for area in AREAS:
        area.register(admin, db)
    # the lockdown's guard before every panel request and its banner (views/admin/lockdown.py)
    lockdown_area.install(app)

    app.jinja_env.globals.update(
        mask_value=masking.mask,
        page_opened_at=concurrency.page_opened_at,
        consent_withdrawn_label=consents.WITHDRAWN_LABEL,
        consent_withdrawn_explained=consents.WITHDRAWN_EXPLAINED,
        consent_basis_label=lambda code: str(consents.BASIS_LABELS.get(code, code)),
        history_event_label=gating.history_event_label,
        correction_request=corrections.correcting,
        request_status_label=approvals.request_status_label,
        field_label=approvals.field_label,
        change_value_label=approvals.change_value_label,
        role_label=access.role_label,
        action_label=audit.action_label,
        office_window=clock.office_window,
        ownership_history=pool.ownership_history,
        cached_menu=menu_cache.cached_menu,
        fixed_url=fixed_urls.fixed_url,
    )
    # Every moment a person sees: Beijing time, to the minute (core/clock.office_time).
    app.jinja_env.filters["office_time"] = clock.office_time

    @app.context_processor
    def navbar_badges():
        if g.get("fragment"):
            return {}  # a piece of a page (a details page's panels): no navbar to badge
        # The account itself, not the proxy: the counts read its id, role and offices
        # a dozen times.
        return navbar_counts(current_user._get_current_object())

    return admin


#: Navbar badge -> (the roles that have it, the function giving its count's statement for an
#: account, None when the account has no such badge).
NAVBAR_COUNTS = {
    "pending_approvals": (approvals.pending_badge_roles, approvals.pending_count_query),
    "overdue_files": (archive_desk.overdue_badge_roles, archive_desk.overdue_count_query),
    "pending_collisions": (collisions.pending_badge_roles, collisions.pending_count_query),
}
#: The navbar's statement per (account, role, offices, office day, badges the role has): what
#: the counts' statements are built from. Built once and sent again: building the statement
#: and its cache key cost twice what running it does. Bounded; forgotten whole when full.
_NAVBAR_STATEMENTS: dict[tuple, tuple] = {}
_NAVBAR_STATEMENTS_KEPT = 1024


def navbar_counts(user) -> dict[str, int | None]:
    """Every badge the account's role has, counted in one SELECT of scalar subqueries (every
    page draws the navbar: one statement instead of one a badge); None where there is none."""
    counts: dict[str, int | None] = dict.fromkeys(NAVBAR_COUNTS)
    if not user.is_authenticated:
        return counts
    role = user.role_code
    key = (
        user.id,
        role,
        visible_office_ids(user),
        clock.office_today(),
        tuple(role in roles() for roles, _build in NAVBAR_COUNTS.values()),
    )
    built = _NAVBAR_STATEMENTS.get(key)
    if built is None:
        queries = {name: build(user) for name, (_roles, build) in NAVBAR_COUNTS.items()}
        shown = {name: query for name, query in queries.items() if query is not None}
        statement = None
        if shown:
            statement = select(
                *(query.scalar_subquery().label(name) for name, query in shown.items())
            )
        if len(_NAVBAR_STATEMENTS) >= _NAVBAR_STATEMENTS_KEPT:
            _NAVBAR_STATEMENTS.clear()
        built = _NAVBAR_STATEMENTS[key] = (statement,)
    (statement,) = built
    if statement is not None:
        # Through the session (not its bare connection): its autoflush puts a change made
        # earlier in the request into the counts.
        counts.update(db.session.execute(statement).one()._asdict())
    return counts
