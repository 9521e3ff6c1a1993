"""The consultant select of the welcome card and its receptions: accounts that receive
customers only (services/sales/consultants.py), the signed-in consultant chosen by default."""

from __future__ import annotations

from flask import has_request_context
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_login import current_user
from wtforms.validators import ValidationError

from extensions import db
from services.sales import consultants


class ConsultantField(QuerySelectField):
    """Offers the accounts that may be named consultant. A stored record keeps its current
    consultant among the choices (a clerk who has since left, say), so it can still be
    saved unchanged; naming anyone else takes an account of the list."""

    def _get_object_list(self):
        if self._object_list is None:
            objects = super()._get_object_list()
            current = self.object_data
            if current is not None and all(obj is not current for _pk, obj in objects):
                objects.append((str(self.get_pk(current)), current))
        return self._object_list

    def pre_validate(self, form) -> None:
        # Flask-Admin's field reads an id outside the list as "none chosen"; a crafted id of
        # the admin, say, must be refused, not quietly replaced by the default consultant.
        if self.data is None and self._formdata not in (None, "__None"):
            raise ValidationError(self.gettext("Not a valid choice"))
        super().pre_validate(form)


def _consultants():
    # Only the consultants of the signed-in account's offices are offered (issue 18).
    seen_by = None
    if has_request_context() and current_user.is_authenticated:
        seen_by = current_user._get_current_object()
    return consultants.consultants(db.session, seen_by=seen_by)


def _signed_in_consultant():
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return consultants.default_consultant(current_user._get_current_object())


def consultant_form_args(*, default_to_signed_in: bool = False) -> dict:
    """``form_args`` of a consultant relationship field (with ``form_overrides`` naming
    ConsultantField)."""
    args: dict = {"query_factory": _consultants}
    if default_to_signed_in:
        args["default"] = _signed_in_consultant
    return args
