"""Which values a customer's copy shows and how each is labelled: the screens' own labels
(the welcome card's, the property screens', the reception form's), so the copy reads like
the pages the office works on. The records come from services/privacy/customer_copy.py, which also
writes the workbook; the print page is templates/print/customer_copy.html.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.clock import office_today
from forms.property.property import (
    CARD_STATUS_CHOICES,
    LEASE_STATUS_CHOICES,
    PAYER_CHOICES,
    PROPERTY_LABELS,
    TENURE_CHOICES,
    TRANSFER_STATUS_CHOICES,
)
from models.privacy.privacy import SubjectRequest
from services.privacy import customer_copy, sharing
from services.privacy.consent import BASIS_LABELS
from services.privacy.customer_copy import Document, Section, cell, labelled
from views.archive.archives import STATE_CHOICES as FILE_STATE_CHOICES
from views.property.moves import STATUS_LABELS as MOVE_STATUS_LABELS
from views.sales.prospects import PROGRESS_CHOICES, VISIT_LABELS, ProspectView
from views.sales.sales import IDENTITY_LABELS
from views.shared.customer_picker import KINDS
from views.shared.labels import COMMON_LABELS

TITLE = _l("Copy of your personal data")
ITEM, CONTENT = _l("Item of data"), _l("Content")

CARD_LABELS = {**COMMON_LABELS, **ProspectView.column_labels}
PROPERTY = {**COMMON_LABELS, **PROPERTY_LABELS}

#: Every column of the welcome card a person reads (not its number or blind index).
CARD_FIELDS = (
    *("name", "mobile", "landline", "source", "project", "budget_wan", "purpose", "timeframe"),
    *("unit_nature", "age_band", "housing", "awareness", "area_band", "price_band"),
    *("income_band", "customer_type", "need", "district", "grade", "progress", "is_scout"),
    *("consultant", "first_visit_on", "last_contact_on", "notes", "created_at", "updated_at"),
)
OWNER_FIELDS = (
    *("name", "mobile", "landline", "id_number", "address", "notes"),
    *("created_at", "updated_at"),
)
TENANT_FIELDS = ("name", "mobile", "id_number", "notes", "created_at", "updated_at")
#: What a reception noted beyond its summary, in the order of the reception form.
VISIT_NOTES = (
    *("appearance", "character", "job_finances", "housing_owned", "reasons_needs"),
    *("concerns", "presented", "interests", "open_problems", "next_time_todo", "reflection"),
)
LEASE_INTAKE = ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid")
LEASE_PAYERS = ("management_payer", "water_payer", "electricity_payer", "gas_payer")
CHOICES = {"progress": PROGRESS_CHOICES}


class NoSuchCustomer(LookupError):
    """The request's customer record is gone."""


def build(session: Session, request: SubjectRequest) -> Document:
    """The copy for ``request``'s customer: what the office holds, labelled for them."""
    held = customer_copy.held_about(session, request.subject_type, request.subject_id)
    if held is None:
        raise NoSuchCustomer(request.subject_type)
    person = held.person
    kind = str(KINDS.get(request.subject_type, request.subject_type))
    customer = f"{kind} · {person.name}"
    sections = [_about(request, customer)]
    if request.subject_type == "prospect":
        sections += [
            _fields(_("Welcome card"), person, CARD_FIELDS, CARD_LABELS),
            _visits(held.visits),
            _identity_checks(held.identity_checks),
        ]
    elif request.subject_type == "owner":
        sections += [
            _fields(_("Owner"), person, OWNER_FIELDS, PROPERTY),
            _ownerships(held.ownerships),
            _transfers(held.transfers, person),
            _move_ins(held.move_ins),
            _parking(held.parking_spaces),
        ]
    else:
        sections += [
            _fields(_("Tenant"), person, TENANT_FIELDS, PROPERTY),
            _leases(held.leases),
            _resident_cards(held.resident_cards),
        ]
    if request.subject_type != "tenant":
        sections.append(_archive_files(held.archive_files))
    sections.append(_consents(held.consents))
    sections.append(_partner_consents(held.partner_consents))
    sections.append(_shares(held.shares))
    return Document(str(TITLE), customer, office_today(), tuple(sections))


def _label(labels, name: str) -> str:
    return str(labels.get(name, name))


def _about(request: SubjectRequest, customer: str) -> Section:
    return Section(
        _("About this copy"),
        (str(ITEM), str(CONTENT)),
        (
            (_("Customer"), customer),
            (_("Request received on"), request.received_on),
            (_("Copy made on"), office_today()),
            (
                _("Note"),
                _(
                    "This is the personal data the office holds about you, in full. Times are "
                    "Beijing time. Please keep this copy safe."
                ),
            ),
        ),
    )


def _fields(title: str, record, names, labels) -> Section:
    rows = [
        (_label(labels, name), cell(getattr(record, name), CHOICES.get(name))) for name in names
    ]
    return Section(title, (str(ITEM), str(CONTENT)), tuple(rows))


def _visits(visits) -> Section:
    columns = (
        *(VISIT_LABELS[key] for key in ("seq", "visited_on", "channel", "consultant")),
        VISIT_LABELS["summary"],
        _l("Other notes"),
        VISIT_LABELS["next_appointment_on"],
    )
    rows = [
        (
            visit.seq,
            visit.visited_on,
            cell(visit.channel),
            cell(visit.consultant),
            visit.summary or "",
            labelled((VISIT_LABELS[key], getattr(visit, key)) for key in VISIT_NOTES),
            " ".join(
                part
                for part in (
                    customer_copy.text(cell(visit.next_appointment_on)),
                    visit.next_appointment_pretext or "",
                )
                if part
            ),
        )
        for visit in visits
    ]
    return Section(
        str(CARD_LABELS["visits"]),
        tuple(map(str, columns)),
        tuple(rows),
        _("No receptions recorded."),
    )


def _identity_checks(checks) -> Section:
    rows = [
        (
            str(IDENTITY_LABELS.get(check.method, check.method)),
            cell(check.checked_at),
            cell(check.checked_by),
            check.note or "",
        )
        for check in checks
    ]
    return Section(
        _("Identity checks"),
        (_("Method"), _("Checked at"), _("Checked by"), _("Note")),
        tuple(rows),
        _("No identity checks recorded."),
    )


def _ownerships(ownerships) -> Section:
    rows = [(str(o.unit), o.started_on, cell(o.ended_on)) for o in ownerships]
    return Section(
        _label(PROPERTY, "ownerships"),
        (_("Unit"), _label(PROPERTY, "started_on"), _label(PROPERTY, "ended_on")),
        tuple(rows),
        _("No units recorded."),
    )


def _transfers(transfers, owner) -> Section:
    rows = [
        (
            str(t.unit),
            _label(PROPERTY, "seller" if t.seller_id == owner.id else "buyer"),
            t.opened_on,
            cell(t.status, TRANSFER_STATUS_CHOICES),
            cell(t.completed_on),
        )
        for t in transfers
    ]
    return Section(
        _("Transfers"),
        (
            _("Unit"),
            _("Party"),
            _label(PROPERTY, "opened_on"),
            _("Status"),
            _label(PROPERTY, "completed_on"),
        ),
        tuple(rows),
        _("No transfers recorded."),
    )


def _move_ins(move_ins) -> Section:
    rows = [
        (
            str(m.unit),
            m.moved_in_on,
            cell(m.form_done),
            cell(m.status, MOVE_STATUS_LABELS.items()),
        )
        for m in move_ins
    ]
    return Section(
        _("Move-ins"),
        (_("Unit"), _("Moved in on"), _label(PROPERTY, "move_in_form_done"), _("Status")),
        tuple(rows),
        _("No move-ins recorded."),
    )


def _parking(spaces) -> Section:
    rows = [
        (
            s.code,
            cell(s.tenure, TENURE_CHOICES),
            str(s.unit) if s.unit else "",
            cell(s.fees_paid_until),
        )
        for s in spaces
    ]
    return Section(
        _("Parking spaces"),
        tuple(_label(PROPERTY, k) for k in ("code", "tenure", "unit", "fees_paid_until")),
        tuple(rows),
        _("No parking spaces recorded."),
    )


def _leases(leases) -> Section:
    rows = [
        (
            str(lease.unit),
            lease.starts_on,
            cell(lease.ends_on),
            cell(lease.status, LEASE_STATUS_CHOICES),
            cell(lease.both_parties_came_on),
            labelled((PROPERTY[key], getattr(lease, key)) for key in LEASE_INTAKE),
            labelled(
                (PROPERTY[key], cell(getattr(lease, key), PAYER_CHOICES)) for key in LEASE_PAYERS
            ),
            cell(lease.moved_out_on),
        )
        for lease in leases
    ]
    columns = (
        _("Unit"),
        *(_label(PROPERTY, k) for k in ("starts_on", "ends_on")),
        _("Status"),
        _label(PROPERTY, "both_parties_came_on"),
        _("Move-in formalities"),
        _("Who pays the fees"),
        _label(PROPERTY, "moved_out_on"),
    )
    return Section(_label(PROPERTY, "leases"), columns, tuple(rows), _("No leases recorded."))


def _resident_cards(cards) -> Section:
    names = ("card_no", "unit", "holder_name", "issued_on", "returned_on", "status")
    rows = [
        (
            card.card_no,
            str(card.unit),
            card.holder_name,
            card.issued_on,
            cell(card.returned_on),
            cell(card.status, CARD_STATUS_CHOICES),
        )
        for card in cards
    ]
    return Section(
        _label(PROPERTY, "resident_cards"),
        tuple(_label(PROPERTY, k) for k in names),
        tuple(rows),
        _("No resident cards recorded."),
    )


def _archive_files(files) -> Section:
    rows = [(f.code, f.title, cell(f.state, FILE_STATE_CHOICES)) for f in files]
    return Section(
        _("Paper files"),
        (_("File code"), _("Title"), _("State")),
        tuple(rows),
        _("No paper files recorded."),
    )


def _consents(consents) -> Section:
    rows = [
        (
            str(BASIS_LABELS.get(c.basis, c.basis)),
            c.purpose,
            c.policy_version,
            cell(c.given_at),
            cell(c.recorded_by),
            cell(c.withdrawn_at),
            c.withdrawal_note or "",
        )
        for c in consents
    ]
    return Section(
        _("Basis for keeping the data"),
        (
            _("Basis"),
            _("Purpose told"),
            _("Privacy notice"),
            _("Given at (Beijing time)"),
            _("Recorded by"),
            _("Withdrawn at (Beijing time)"),
            _("How it was withdrawn"),
        ),
        tuple(rows),
        _("No basis recorded (entered before consent was asked)."),
    )


def _shares(shares) -> Section:
    """With whom and when the data was shared (PIPL arts. 23 and 45)."""
    rows = [
        (
            cell(s.shared_at),
            s.partner.name,
            s.agreement.purpose,
            sharing.field_labels(s.fields),
            sharing.field_labels(s.masked_fields),
        )
        for s in shares
    ]
    return Section(
        _("Shared with partners"),
        (
            _("When (Beijing time)"),
            _("Partner"),
            _("Purpose of sharing"),
            _("Fields given"),
            _("Fields given masked"),
        ),
        tuple(rows),
        _("Your data was not shared with any partner."),
    )


def _partner_consents(consents) -> Section:
    """The separate consents to share with a partner, given or withdrawn."""
    rows = [
        (
            c.partner.name,
            c.purpose,
            c.notice_version,
            cell(c.given_at),
            cell(c.withdrawn_at),
            c.withdrawal_note or "",
        )
        for c in consents
    ]
    return Section(
        _("Consents to share with partners"),
        (
            _("Partner"),
            _("Purpose told"),
            _("Privacy notice"),
            _("Given at (Beijing time)"),
            _("Withdrawn at (Beijing time)"),
            _("How it was withdrawn"),
        ),
        tuple(rows),
        _("No consent to share with a partner on file."),
    )
