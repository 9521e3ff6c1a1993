"""Masking and reveal: phone and ID numbers are masked on the list, the details page and
in exports (core/masking.py); a deliberate, logged click reveals them for one response.

Owns ``reveal_right``, ``can_reveal``, ``revealing``, ``has_masked_details``, the masked
``get_list_value`` (ConsentMixin marks its result), ``get_detail_value``,
``get_export_value`` and ``reveal_view``.

Relies on: ``self.rights`` and ``self.access_key`` (RightsMixin), ``self.get_one``
(ScopingMixin).
"""

from __future__ import annotations

from flask import abort, g, has_request_context, request
from flask_admin import expose
from flask_wtf import FlaskForm
from jinja2 import pass_context

from core import access, masking
from views.shared.audit_context import log_in_own_transaction


class MaskingMixin:
    #: Its ``get_list_value`` only masks, which ListingMixin's row cells do themselves (the
    #: mixins do not import each other: a flag instead of a class check).
    list_value_reproduced = True
    #: Roles with this right on the view may reveal full numbers on its details page.
    reveal_right = access.EDIT

    @property
    def can_reveal(self) -> bool:
        return has_request_context() and self.reveal_right in self.rights

    @property
    def revealing(self) -> bool:
        """True while rendering the details page a reveal asked for (one response only)."""
        return has_request_context() and g.get("reveal", False)

    @property
    def has_masked_details(self) -> bool:
        """Whether the details page hides a number (its own columns or a child table's)."""
        formatters = self.column_formatters_detail or {}
        return any(
            masking.kind_of(column) or getattr(formatters.get(column), "masked", False)
            for column, _label in self._details_columns
        )

    @pass_context
    def get_list_value(self, context, model, name):
        return masking.mask(name, super().get_list_value(context, model, name))

    @pass_context
    def get_detail_value(self, context, model, name):
        value = super().get_detail_value(context, model, name)
        return value if self.revealing else masking.mask(name, value)

    def get_export_value(self, model, name):
        """The one function every export cell goes through: masked and formula-safe."""
        return masking.export_cell(name, super().get_export_value(model, name))

    @expose("/reveal/", methods=("POST",))
    def reveal_view(self):
        """The details page once more, with full numbers, after a deliberate click; logged."""
        if not self.can_reveal:
            abort(403)
        if not FlaskForm().validate_on_submit():
            abort(400)
        model = self.get_one(request.args.get("id"))
        log_in_own_transaction(
            "reveal", fail_closed=True, record_type=self.access_key, record_id=model.id
        )
        g.reveal = True
        return self.details_view()
