"""Builds the Admin and registers every view through one function."""

from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core import access, clock, masking
from extensions import db
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
    )
    # Every moment a person sees: Beijing time, to the minute (core/clock.office_time).
    app.jinja_env.filters["office_time"] = clock.office_time

    @app.context_processor
    def navbar_badges():
        if g.get("fragment"):
            return {}  # a piece of a page (a details page's panels): no navbar to badge
        return {
            "pending_approvals": approvals.pending_count_for(current_user),
            "overdue_files": archive_desk.overdue_count_for(current_user),
            "pending_collisions": collisions.pending_count_for(current_user),
        }

    return admin
