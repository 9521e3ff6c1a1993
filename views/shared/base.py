"""The one secure base view every model view inherits.

Flask-Admin's defaults are open; this closes them once:
- ``is_accessible``: signed in and the role holds a right on this view (core/access.py);
  anonymous users go to /login, signed-in users without the right get 403.
- ``_handle_view``: one choke point per endpoint; each endpoint needs its right (edit form
  and the editable-list ajax need E, export needs O, each batch action its declared right);
  an endpoint nobody declared is refused.
- ``get_one`` loads through ``get_query`` so row scoping holds on details/edit/delete, and a
  row outside the scope is a 404; ``get_count_query`` applies the same scope.
- export is limited to declared columns (never "every column") and to ``export_max_rows``.
- errors flash a plain message in the user's language; nothing of the SQL or its values.

Each concern lives in its own mixin under views/shared/mixins/ (its docstring says what it
owns and which other mixins' methods it calls); ``SecureModelView`` composes them over
Flask-Admin's ``ModelView`` and keeps the view's settings and its start-up checks.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import BaseForm
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from core import access
from views.shared import concurrency, formatters
from views.shared.encrypted_fields import PanelModelConverter
from views.shared.labels import COMMON_LABELS
from views.shared.mixins.access_log import READ_EVENTS, AccessLogMixin
from views.shared.mixins.changes import ChangesMixin
from views.shared.mixins.consent import ConsentMixin
from views.shared.mixins.exporting import ExportingMixin
from views.shared.mixins.failures import FailuresMixin
from views.shared.mixins.links import LinksMixin
from views.shared.mixins.listing import ListingMixin
from views.shared.mixins.masking import MaskingMixin
from views.shared.mixins.rights import ENDPOINT_RIGHTS, RightsMixin, current_role
from views.shared.mixins.scoping import ScopingMixin
from views.shared.mixins.search import SearchMixin

# Names other modules have imported from here since before the mixins.
__all__ = [
    "ENDPOINT_RIGHTS",
    "READ_EVENTS",
    "PanelForm",
    "SecureModelView",
    "SecurePageView",
    "current_role",
]


class PanelForm(BaseForm):
    """Flask-Admin's form with Flask-WTF's CSRF token, so CSRFProtect accepts its POSTs."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            # No one types a NUL, and PostgreSQL refuses it in any text (a uniqueness check's
            # query fails before validation ends): it is dropped from every posted value.
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            return MultiDict(
                (key, value.replace("\x00", "") if isinstance(value, str) else value)
                for key, value in formdata.items(multi=True)
            )


class SecureModelView(
    RightsMixin,
    # Three methods are chains through several mixins, in this order (each calls super()):
    # get_list: ConsentMixin (withdrawn marks) > AccessLogMixin (ids shown) > ListingMixin
    # (the page's queries) > ModelView; get_list_value: ConsentMixin (the withdrawn mark) >
    # MaskingMixin (the masked value) > ModelView. Every other method is defined by one mixin
    # and calls ModelView's through super(). Each mixin stands before ModelView.
    ConsentMixin,
    AccessLogMixin,
    ListingMixin,
    MaskingMixin,
    ChangesMixin,
    SearchMixin,
    ScopingMixin,
    LinksMixin,
    ExportingMixin,
    FailuresMixin,
    ModelView,
):
    """Base of every model view. Subclasses declare columns, labels, search and filters."""

    form_base_class = PanelForm
    model_form_converter = PanelModelConverter
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100)
    export_types = ["csv", "xlsx"]
    details_modal = False
    edit_modal = False
    create_modal = False
    column_display_pk = False
    # Booleans as 是/否 (a tick in lists), never True/False (views/shared/formatters.py).
    column_type_formatters = formatters.LIST_TYPE_FORMATTERS
    column_type_formatters_detail = formatters.DETAIL_TYPE_FORMATTERS
    column_type_formatters_export = formatters.EXPORT_TYPE_FORMATTERS
    details_template = "admin/model/panel_details.html"
    edit_template = "admin/model/panel_edit.html"
    extra_js = ["/static/csp-handlers.js", "/static/panel.js"]

    def __init__(self, model, db, **kwargs):
        kwargs.setdefault("endpoint", self.access_key)
        kwargs.setdefault("url", f"/admin/{self.access_key}")
        if self.access_key not in access.RIGHTS:
            raise LookupError(f"view {self.access_key!r} has no row in core/access.py")
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.form_edit_rules = concurrency.with_hidden_rules(self.form_edit_rules)
        if self.column_editable_list:
            raise TypeError(
                f"{type(self).__name__}: list editing cannot carry the record's version; "
                "edit on the edit page (views/shared/concurrency.py)"
            )
        super().__init__(model, db, **kwargs)


class SecurePageView(BaseView):
    """Base of every custom (non-model) page: open to the roles of its endpoint's entry in
    services/access.PAGES; anonymous users go to /login, others without the right get 403."""

    def is_accessible(self) -> bool:
        # The account read through the proxy once: the menu asks every view on every page.
        user = current_user._get_current_object()
        return user.is_authenticated and user.role_code in access.PAGES.get(
            f"{self.endpoint}.index", frozenset()
        )

    def _handle_view(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        allowed = access.PAGES.get(f"{self.endpoint}.{name}")
        if allowed is None or current_user.role_code not in allowed:
            abort(403)
        return None
