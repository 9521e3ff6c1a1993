"""The home page at /admin/, behind sign-in."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user

from services import access


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
        return self.render("admin/home.html", role_label=access.role_label(current_user.role_code))
