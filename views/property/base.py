"""What every view of the property area shares: its labels, the ajax selects of owners,
units and tenants, and the base view that loads each list's relations with its rows."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.property.property import PROPERTY_LABELS
from models.property.property import Owner, Tenant, Unit
from views.shared.base import SecureModelView

L = PROPERTY_LABELS
# Ajax selects: what a clerk types to find the record.
PERSON_HINT = _l("Type part of the name, or the full mobile")
OWNER_REF = {"fields": ("name", "mobile"), "order_by": Owner.name, "placeholder": PERSON_HINT}
UNIT_REF = {
    "fields": ("room", "building"),
    "order_by": Unit.room,
    "placeholder": _l("Type the room or the building"),
}
TENANT_REF = {"fields": ("name", "mobile"), "order_by": Tenant.name, "placeholder": PERSON_HINT}


class PropertyView(SecureModelView):
    """Base of this area's views: shared labels, and the relations every page of the view
    loads with its rows (``eager``), so no list lazy-loads a relation per row."""

    column_labels = L
    eager: tuple = ()
    column_default_sort = ("id", True)

    def get_query(self):
        return super().get_query().options(*self.eager)
