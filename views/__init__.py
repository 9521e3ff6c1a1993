"""Builds the Admin and registers every view through one function."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from extensions import db
from views import admin as admin_area
from views import archives, dealers, property, prospects, transfers
from views.home import HomeView

# Each area module exposes register(admin, db); the order is the menu order.
AREAS = (prospects, property, transfers, dealers, archives, admin_area)


def init_admin(app: Flask) -> Admin:
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
    return admin
