"""Print views of the paper forms the office still keeps (clean A4, no navigation):
the welcome card (front: basic data; back: follow-ups), the lookup register for a period
and a transfer's checklist for both parties to sign.

A print view is a read of customer data like the page it comes from: the same roles, one
access-log event (fail closed), phones and ID numbers masked as in the lists.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.masking import mask_id_number, mask_phone
from extensions import db
from models.property.transfers import Transfer
from models.sales.prospects import Prospect
from services.admin.offices import visible_office_ids
from services.archive import archive_register
from services.privacy import consent as consents
from services.property.transfers import item_label
from services.sales.followups import office_today
from services.sales.ownership import card_for
from views.archive.archive_register import REGISTER_COLUMNS, _period, register_row
from views.sales.prospects import PROGRESS_CHOICES
from views.shared.audit_context import log_in_own_transaction
from views.shared.base import SecurePageView

CARD_FRONT = (
    (_l("Source channel"), "source"),
    (_l("Intended project"), "project"),
    (_l("Budget (10,000 yuan)"), "budget_wan"),
    (_l("Purpose"), "purpose"),
    (_l("Purchase timeframe"), "timeframe"),
    (_l("Unit nature"), "unit_nature"),
    (_l("Age band"), "age_band"),
    (_l("Current housing"), "housing"),
    (_l("Awareness channel"), "awareness"),
    (_l("Intended area"), "area_band"),
    (_l("Accepted price"), "price_band"),
    (_l("Household monthly income"), "income_band"),
    (_l("Customer type"), "customer_type"),
    (_l("Need"), "need"),
    (_l("Intended district"), "district"),
    (_l("Grade"), "grade"),
    (_l("Consultant"), "consultant"),
    (_l("First visit"), "first_visit_on"),
)
#: Empty lines on the back of the card for follow-ups written by hand.
BLANK_FOLLOWUP_ROWS = 4


def _in_my_offices(record) -> bool:
    offices = visible_office_ids(current_user._get_current_object())
    return offices is None or record.office_id in offices


def _value(prospect: Prospect, attribute: str) -> str:
    value = getattr(prospect, attribute)
    if value is None:
        return ""
    if attribute == "consultant":
        return value.full_name
    return str(value)


class PrintView(SecurePageView):
    """/admin/print/...: not in the menu; linked from the pages each print comes from."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        # Flask-Admin wants a default page; prints are opened from their pages.
        return redirect(url_for("admin.index"))

    def _render(self, template: str, **context):
        return self.render(template, printed_on=office_today(), **context)

    @expose("/card/<int:prospect_id>/")
    def card(self, prospect_id: int):
        # Another office's card, or another consultant's, is not found (services/sales/ownership.py).
        prospect = card_for(
            db.session,
            current_user._get_current_object(),
            prospect_id,
            options=[selectinload(Prospect.visits)],
        )
        if prospect is None:
            abort(404)
        if consents.is_withdrawn(db.session, Prospect, "prospect", prospect.id):
            # A customer who withdrew their consent is not printed (services/privacy/consent.py).
            flash(_("The customer withdrew their consent: the card is not printed."), "error")
            return redirect(url_for("prospect.details_view", id=prospect.id))
        front = [(label, _value(prospect, attr)) for label, attr in CARD_FRONT]
        page = self._render(
            "print/card.html",
            prospect=prospect,
            front=front,
            progress=str(dict(PROGRESS_CHOICES).get(prospect.progress, prospect.progress)),
            mobile=mask_phone(prospect.mobile),
            landline=mask_phone(prospect.landline),
            blank_rows=range(BLANK_FOLLOWUP_ROWS),
        )
        log_in_own_transaction(
            "print", fail_closed=True, record_type="prospect", record_id=prospect.id
        )
        return page

    @expose("/register/")
    def register(self):
        start, end = _period()
        lookups = archive_register.register_rows(
            db.session, user=current_user, start=start, end=end
        )
        page = self._render(
            "print/register.html",
            columns=REGISTER_COLUMNS,
            rows=[register_row(r) for r in lookups],
            start=start,
            end=end,
        )
        log_in_own_transaction(
            "print",
            fail_closed=True,
            record_type="lookup_request",
            record_ids=[r.id for r in lookups],
        )
        return page

    @expose("/transfer/<int:transfer_id>/")
    def transfer(self, transfer_id: int):
        transfer = db.session.get(Transfer, transfer_id)
        if transfer is None or not _in_my_offices(transfer):
            abort(404)  # another office's transfer is not found, like a missing one
        parties = [
            (_l("Seller"), transfer.seller),
            (_l("Buyer"), transfer.buyer),
        ]
        page = self._render(
            "print/transfer.html",
            transfer=transfer,
            items=[(item_label(i), i) for i in transfer.items],
            parties=[
                (role, owner.name, mask_phone(owner.mobile), mask_id_number(owner.id_number))
                for role, owner in parties
            ],
        )
        log_in_own_transaction(
            "print", fail_closed=True, record_type="transfer", record_id=transfer.id
        )
        return page


def register(admin, db) -> None:
    admin.add_view(PrintView(name=_l("Print"), endpoint="print_view", url="/admin/print"))
