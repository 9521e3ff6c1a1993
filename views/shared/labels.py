"""Column labels shared by many views, declared once (through Babel, Chinese first)."""

from flask_babel import lazy_gettext as _l

COMMON_LABELS = {
    # Exports carry the record's number: Flask-Admin would head it "Id".
    "id": _l("Record no."),
    "name": _l("Name"),
    "mobile": _l("Mobile"),
    "landline": _l("Landline"),
    "id_number": _l("ID number"),
    "address": _l("Address"),
    "notes": _l("Notes"),
    "created_at": _l("Created at"),
    "updated_at": _l("Updated at"),
    "created_by": _l("Created by"),
    "version": _l("Version"),
    "region": _l("Region"),
    "project": _l("Project"),
    "unit": _l("Unit"),
    "owner": _l("Owner"),
    "tenant": _l("Tenant"),
    "dealer": _l("Dealer"),
    "prospect": _l("Prospect"),
    "status": _l("Status"),
    "consultant": _l("Consultant"),
    "summary": _l("What was learned"),
}
