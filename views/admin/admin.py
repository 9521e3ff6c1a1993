"""Administration: personal accounts and the reference lists behind every select.

Passwords are typed into a field of their own and hashed through services.admin.accounts; the
hash is never listed, shown or put in a form. Reference items are retired (``active``
false), never deleted, so the records that point to them keep their value.
"""

from __future__ import annotations

import re

from flask import url_for
from flask_admin.contrib.sqla.filters import BooleanEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import PasswordField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from extensions import db
from forms.admin.reference import LiveOptionsFilter, active_items_query, reference_filter
from models.admin.people import Role, User
from models.admin.reference import ReferenceItem, ReferenceList
from services.admin import accounts
from services.admin import offices as offices_service
from views.admin.offices import keep_choices
from views.archive.archives import relabel_unique, strip_text
from views.dealers.dealers import KeptRowsInline
from views.shared.base import SecureModelView
from views.shared.formatters import child_table

CODE_RE = re.compile(r"^[a-z0-9_]+$")


# --- accounts -------------------------------------------------------------------------------
class PasswordInput(PasswordField):
    """A password typed by the admin. Never copied onto the model: the view hands it to
    services.admin.accounts, which stores only its hash."""

    def populate_obj(self, obj, name) -> None:
        return None


def _password_rules(form, field) -> None:
    if not field.data:
        return
    username = form.username.data if "username" in form else None
    try:
        accounts.check_password_rules(field.data, username=username)
    except accounts.AccountError as exc:
        # The service's message is a lazy string in the reader's language.
        raise ValidationError(str(exc)) from exc


def _region_for_role(form, field) -> None:
    # On the role field: a blank optional region never reaches its own validators.
    role = field.data
    if role is not None and accounts.needs_region(role.code) and form.region.data is None:
        raise ValidationError(_("A region manager's account must name the region."))


def _not_own_deactivation(form, field) -> None:
    user = getattr(form, "_obj", None)
    if user is not None and not field.data and not accounts.may_deactivate(current_user, user):
        raise ValidationError(_("You cannot deactivate your own account."))


def _no_owned_customers(form, field) -> None:
    # A leaving consultant's customers are handed over first: a card whose owner cannot sign
    # in is nobody's to follow up, and out of the public pool too.
    user = getattr(form, "_obj", None)
    if user is None or field.data or not user.active:
        return
    count = accounts.owned_customers(db.session, user.id)
    if count:
        raise ValidationError(
            _(
                "%(name)s still owns %(count)s customers: a sales supervisor hands them over "
                "on the Customer handover page (%(url)s) before the account is deactivated.",
                name=user.full_name,
                count=count,
                url=url_for("handover.index", owner=user.id),
            )
        )


def _valid_until_for_role(form, field) -> None:
    # On the role field, like the region: a blank optional date never reaches its own
    # validators. An outside auditor's account always ends on a date (its engagement).
    role = field.data
    if role is not None and accounts.needs_valid_until(role.code) and not form.valid_until.data:
        raise ValidationError(_("An outside auditor's account must say until when it is valid."))


def _not_own_superior(form, field) -> None:
    user = getattr(form, "_obj", None)
    if user is not None and field.data is user:
        raise ValidationError(_("An account cannot be its own superior."))


class OfficesForRole(Optional):
    """Staff see only their offices' records, so an account of a staff role needs an office
    (services/admin/offices.needs_office); an admin or a region manager needs none.

    An Optional() only in name, and never stopping the chain: Flask-Admin appends an
    Optional() to a relation field that has no requirement of its own, and that one would wipe
    this message when nothing is chosen. No asterisk and no ``required`` attribute go to the
    page: whether an office is needed depends on the role."""

    field_flags = {}

    def __call__(self, form, field) -> None:
        role = form.role.data if "role" in form else None
        try:
            offices_service.check_account_offices(getattr(role, "code", None), field.data)
        except offices_service.OfficeError as exc:
            raise ValidationError(str(exc)) from exc


def office_choices() -> list:
    return offices_service.office_choices(db.session)


def _office_names(view, context, model, name) -> str:
    return "、".join(office.name for office in model.offices)


def role_choices() -> list[Role]:
    return list(db.session.scalars(select(Role).order_by(Role.id)))


def superior_choices() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.active.is_(True)).order_by(User.full_name, User.id)
        )
    )


def role_filter_options():
    return [(role.id, role) for role in role_choices()]


PASSWORD_VALIDATORS = [_password_rules]


class UserView(SecureModelView):
    access_key = "user"

    column_list = (
        "username",
        "full_name",
        "role",
        "offices",
        "region",
        "superior",
        "active",
        "valid_until",
        "last_login_at",
    )
    column_details_list = (*column_list, "created_at", "updated_at")
    column_export_list = ("username", "full_name", "role", "region", "superior", "active")
    column_labels = {
        "username": _l("Username"),
        "full_name": _l("Full name"),
        "role": _l("Role"),
        "superior": _l("Superior"),
        "active": _l("Active"),
        "last_login_at": _l("Last sign-in"),
        "offices": _l("Offices"),
        "valid_until": _l("Valid until"),
    }
    column_formatters = {"offices": _office_names}
    column_formatters_detail = {"offices": _office_names}
    column_searchable_list = ("username", "full_name")
    column_filters = (
        LiveOptionsFilter(User.role_id, _l("Role"), options=role_filter_options),
        reference_filter(User.region_id, "region", _l("Region")),
        BooleanEqualFilter(User.active, _l("Active")),
    )
    column_sortable_list = ("username", "full_name", "active", "last_login_at")
    column_default_sort = ("username", False)

    form_columns = (
        "username",
        "full_name",
        "role",
        "offices",
        "region",
        "superior",
        "active",
        "valid_until",
    )
    form_create_rules = (
        "username",
        "password",
        "full_name",
        "role",
        "offices",
        "region",
        "superior",
        "active",
        "valid_until",
    )
    form_edit_rules = (
        "username",
        "new_password",
        "full_name",
        "role",
        "offices",
        "region",
        "superior",
        "active",
        "valid_until",
    )
    form_args = {
        "username": {"validators": [DataRequired(), Length(max=50)], "filters": [strip_text]},
        "full_name": {"validators": [DataRequired(), Length(max=50)], "filters": [strip_text]},
        "role": {
            "query_factory": role_choices,
            "validators": [InputRequired(), _region_for_role, _valid_until_for_role],
        },
        "valid_until": {
            "validators": [Optional()],
            "description": _l(
                "The last day the account may sign in (Beijing time); after it sign-in is "
                "refused and open sessions end. Required for an outside auditor."
            ),
        },
        "region": {"query_factory": active_items_query("region")},
        "superior": {"query_factory": superior_choices, "validators": [_not_own_superior]},
        "offices": {
            "query_factory": office_choices,
            "validators": [OfficesForRole()],
            "description": _l(
                "The account sees the records of these offices only. Not needed for an "
                "administrator or a region manager."
            ),
        },
        "active": {"default": True, "validators": [_not_own_deactivation, _no_owned_customers]},
    }

    def scaffold_form(self):
        return relabel_unique(
            super().scaffold_form(),
            {"username": _l("This username is taken; choose another.")},
        )

    def get_create_form(self):
        form_class = super().get_create_form()
        form_class.password = PasswordInput(
            _l("Password"), validators=[InputRequired(), *PASSWORD_VALIDATORS]
        )
        return form_class

    def get_edit_form(self):
        form_class = super().get_edit_form()
        form_class.new_password = PasswordInput(
            _l("New password"),
            validators=[Optional(), *PASSWORD_VALIDATORS],
            description=_l("Leave empty to keep the current password."),
        )
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if obj is not None and "offices" in form:
            # An account in a closed office stays in it until the admin takes it out.
            keep_choices(form.offices, office_choices, obj.offices)
        return form

    def on_model_change(self, form, model, is_created):
        if is_created:
            accounts.set_password(model, form.password.data)
            model.created_by_id = current_user.id
        elif form.new_password.data:
            accounts.set_password(model, form.new_password.data)


# --- reference lists ------------------------------------------------------------------------
ITEM_LABELS = {
    "reference_list": _l("List"),
    "code": _l("Code"),
    "label": _l("Label"),
    "label_en": _l("English label"),
    "sort_order": _l("Order"),
    "active": _l("Active"),
}


def _code_format(form, field) -> None:
    if field.data and not CODE_RE.fullmatch(field.data):
        raise ValidationError(_("Use lower-case letters, digits and underscores only."))


def _code_kept(form, field) -> None:
    """An existing item keeps its code (rules may refer to it); a new code is a new item."""
    item_id = form.id.data if "id" in form else None
    if not item_id:
        return
    item = db.session.get(ReferenceItem, int(item_id))
    if item is not None and item.code != field.data:
        raise ValidationError(
            _("The code of an existing item cannot change: retire it and add a new one.")
        )


def _code_free_in_list(form, field) -> None:
    ref_list = form.reference_list.data
    if ref_list is None or not field.data:
        return
    taken = db.session.scalar(
        select(ReferenceItem.id).where(
            ReferenceItem.list_id == ref_list.id, ReferenceItem.code == field.data
        )
    )
    if taken is not None:
        raise ValidationError(_("This list already has an item with this code."))


ITEM_FORM_ARGS = {
    "code": {
        "validators": [DataRequired(), Length(max=50), _code_format],
        "filters": [strip_text],
    },
    "label": {"validators": [DataRequired(), Length(max=100)], "filters": [strip_text]},
    "label_en": {"validators": [Optional(), Length(max=100)]},
    "sort_order": {"default": 0, "validators": [InputRequired(), NumberRange(min=0, max=99999)]},
    "active": {"default": True},
}


class ReferenceItemInline(KeptRowsInline):
    form_columns = ("id", "code", "label", "label_en", "sort_order", "active")
    form_label = _l("List item")
    column_labels = ITEM_LABELS
    form_args = {
        **ITEM_FORM_ARGS,
        "code": {
            **ITEM_FORM_ARGS["code"],
            "validators": [*ITEM_FORM_ARGS["code"]["validators"], _code_kept],
        },
    }


def list_choices() -> list[ReferenceList]:
    return list(db.session.scalars(select(ReferenceList).order_by(ReferenceList.name)))


def list_filter_options():
    return [(ref_list.id, ref_list) for ref_list in list_choices()]


class ReferenceListView(SecureModelView):
    access_key = "reference_list"

    column_list = ("name", "name_en")
    column_details_list = ("name", "name_en", "items", "created_at", "updated_at")
    column_export_list = ("name", "name_en")
    column_labels = {
        "code": _l("Code"),
        "name": _l("List name"),
        "name_en": _l("English name"),
        "items": _l("Items"),
    }
    column_searchable_list = ("name", "name_en")
    column_sortable_list = ("name", "name_en")
    column_default_sort = ("name", False)
    column_formatters_detail = {
        "items": child_table(
            "items",
            [(key, ITEM_LABELS[key]) for key in ("code", "label", "label_en", "sort_order")]
            + [("active", ITEM_LABELS["active"])],
        )
    }

    form_columns = ("code", "name", "name_en")
    form_args = {
        "code": {
            "validators": [DataRequired(), Length(max=50), _code_format],
            "filters": [strip_text],
        },
        "name": {"validators": [DataRequired(), Length(max=100)], "filters": [strip_text]},
        "name_en": {"validators": [Optional(), Length(max=100)]},
    }
    inline_models = (ReferenceItemInline(ReferenceItem),)

    def scaffold_form(self):
        return relabel_unique(
            super().scaffold_form(), {"code": _l("Another list already has this code.")}
        )

    def get_edit_form(self):
        # The code is what the program refers to: set once, at creation.
        form_class = super().get_edit_form()
        del form_class.code
        return form_class


class ReferenceItemView(SecureModelView):
    access_key = "reference_item"

    column_list = ("reference_list", "code", "label", "label_en", "sort_order", "active")
    column_details_list = (*column_list, "created_at", "updated_at")
    column_export_list = column_list
    column_labels = ITEM_LABELS
    column_searchable_list = ("code", "label", "label_en")
    column_filters = (
        LiveOptionsFilter(ReferenceItem.list_id, _l("List"), options=list_filter_options),
        BooleanEqualFilter(ReferenceItem.active, _l("Active")),
    )
    column_sortable_list = (
        ("reference_list", "reference_list.name"),
        "code",
        "label",
        "sort_order",
        "active",
    )
    column_default_sort = [("list_id", False), ("sort_order", False), ("id", False)]

    form_columns = ("reference_list", "code", "label", "label_en", "sort_order", "active")
    form_args = {
        **ITEM_FORM_ARGS,
        "reference_list": {"query_factory": list_choices},
        "code": {
            **ITEM_FORM_ARGS["code"],
            "validators": [*ITEM_FORM_ARGS["code"]["validators"], _code_free_in_list],
        },
    }

    def get_edit_form(self):
        # An item stays in its list under its code; retire it instead of recoding it.
        form_class = super().get_edit_form()
        del form_class.reference_list
        del form_class.code
        return form_class


def register(admin, db) -> None:
    category = _l("Administration")
    admin.add_view(UserView(User, db, name=_l("Accounts"), category=category))
    admin.add_view(
        ReferenceListView(ReferenceList, db, name=_l("Reference lists"), category=category)
    )
    admin.add_view(
        ReferenceItemView(ReferenceItem, db, name=_l("Reference items"), category=category)
    )
