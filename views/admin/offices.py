"""Administration: the group's offices (售楼部, 管理处) and the projects/estates each holds.

An office is never deleted: its records and accounts point to it. A closed office is made
inactive; it keeps its records and no account joins it. Which projects an office may hold is
a rule of services/admin/offices.check_projects (one sales office and one management office
a project), checked on the form so the page comes back with what was typed.
"""

from __future__ import annotations

from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from core.clock import office_time
from extensions import db
from forms.admin.reference import active_items_query
from models.admin.offices import OFFICE_KINDS, Office
from services.admin import offices as offices_service
from views.archive.archives import relabel_unique, strip_text
from views.shared.base import SecureModelView

#: What a kind of office is called on screen; the stored codes are never shown.
KIND_LABELS = {
    "sales": _l("Sales office"),
    "management": _l("Management office"),
    "combined": _l("Combined office"),
}
KIND_CHOICES = [(kind, KIND_LABELS[kind]) for kind in OFFICE_KINDS]


def kind_label(code: str | None) -> str:
    return str(KIND_LABELS.get(code, code or ""))


def _names(items) -> str:
    return "、".join(str(getattr(item, "label", item)) for item in items)


def _projects_shown(view, context, model, name) -> str:
    return _names(model.projects)


def _members_shown(view, context, model, name) -> str:
    return _names(sorted(model.members, key=lambda user: (user.full_name, user.id)))


def _created_shown(view, context, model, name) -> str:
    return office_time(model.created_at)  # Beijing time, to the minute


def _projects_free(form, field) -> None:
    kind = form.kind.data if "kind" in form else None
    if kind not in OFFICE_KINDS:
        return  # the kind's own validator says what is wrong
    with db.session.no_autoflush:
        try:
            offices_service.check_projects(
                db.session, getattr(form, "_obj", None), kind, field.data or ()
            )
        except offices_service.OfficeError as exc:
            raise ValidationError(str(exc)) from exc


def keep_choices(field, factory, kept) -> None:
    """Offer in ``field`` what ``factory`` offers plus ``kept`` (the record's own values, a
    retired project or a closed office), so saving the form never drops them unasked."""
    kept = list(kept)

    def choices():
        offered = list(factory())
        have = {item.id for item in offered}
        return offered + [item for item in kept if item.id not in have]

    field.query_factory = choices
    field._object_list = None  # computed from the old factory if anything asked already


class OfficeView(SecureModelView):
    access_key = "office"

    column_list = ("name", "kind", "active", "projects")
    column_details_list = ("name", "kind", "active", "projects", "members", "created_at")
    column_labels = {
        "name": _l("Office name"),
        "kind": _l("Kind of office"),
        "active": _l("Active"),
        "projects": _l("Projects / estates"),
        "members": _l("Accounts"),
    }
    column_choices = {"kind": KIND_CHOICES}
    column_formatters = {"projects": _projects_shown}
    column_formatters_detail = {
        "projects": _projects_shown,
        "members": _members_shown,
        "created_at": _created_shown,
    }
    column_searchable_list = ("name",)
    column_filters = (BooleanEqualFilter(Office.active, _l("Active")),)
    column_sortable_list = ("name", "kind", "active")
    column_default_sort = [("active", True), ("name", False)]

    form_columns = ("name", "kind", "active", "projects")
    form_choices = {"kind": KIND_CHOICES}
    form_args = {
        "name": {"validators": [DataRequired(), Length(max=50)], "filters": [strip_text]},
        "kind": {"validators": [InputRequired()], "default": "sales"},
        "active": {
            "default": True,
            "description": _l(
                "A closed office keeps its records; its accounts keep seeing them, and no new "
                "account joins it."
            ),
        },
        "projects": {
            "query_factory": active_items_query("project"),
            "validators": [_projects_free],
            "description": _l(
                "A sales office's projects decide where new welcome cards go; a management "
                "office's estates, where units, owners and tenants go. A project has one "
                "office of each."
            ),
        },
    }

    def scaffold_form(self):
        return relabel_unique(
            super().scaffold_form(), {"name": _l("Another office has this name.")}
        )

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None:
            keep_choices(form.projects, active_items_query("project"), obj.projects)
        return form


def register(admin, db) -> None:
    admin.add_view(OfficeView(Office, db, name=_l("Offices"), category=_l("Administration")))
