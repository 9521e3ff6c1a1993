"""Incidents with customer data: the register, the 4-hour report clock, the PIPL art. 57
notice, and the customers affected, computed from the access log.

- ``open_incident`` / ``update_incident``: the admin or a supervisor (a supervisor only their
  own); ``missing_notice_items`` lists the art. 57 items still empty, and ``issue_notice``
  refuses while any is.
- ``report_clock``: the CAC rules ask for a report within 4 hours; the clock runs from the
  moment the incident is opened until it is marked as reported.
- ``affected_by_account`` (every customer account X listed, opened, exported or printed
  between two moments) and ``affected_by_event`` (every customer in one export or print): the
  access log's events (models/privacy/audit.py) name records by view key and id; a child record
  (a visit, a lease) counts for its customer. ``save_affected`` keeps the result with the
  incident; ``mark_sent`` records the sending of the notice to one customer.
- ``incidents_in_period``: the incidents opened in a period (the compliance review counts them).

Rules never commit; the views do, one transaction per action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import office_midnight_utc
from models.admin.incidents import Incident, IncidentCustomer
from models.admin.people import User
from models.base import utcnow
from models.privacy.audit import AccessEvent
from models.privacy.partners import PartnerShare
from models.property.property import HouseholdMember, Lease, Owner, Tenant
from models.sales.prospects import Prospect, Visit
from services.privacy import audit
from services.privacy.sharing import (
    DOWNLOAD_ACTION,
    DOWNLOAD_WINDOW,
    PARTNER_RECORD,
    SHARE_ACTION,
)

INCIDENT_RECORD = "incident"
#: The report to the authority is due this long after the incident is opened.
REPORT_WITHIN = timedelta(hours=4)
TEXT_MAX = 4000
TITLE_MAX = 200
CONTACT_MAX = 200

#: The customer records an incident can concern, by the access log's view key.
CUSTOMER_KINDS = {
    "prospect": Prospect,
    "owner": Owner,
    "tenant": Tenant,
    "household_member": HouseholdMember,
}
KIND_LABELS = {
    "prospect": _l("Prospect"),
    "owner": _l("Owner"),
    "tenant": _l("Tenant"),
    "household_member": _l("Household member"),
}
#: Child records whose look is a look at their customer: view key -> (model, column, kind).
CHILD_KINDS = {
    "visit": (Visit, "prospect_id", "prospect"),
    "lease": (Lease, "tenant_id", "tenant"),
}
#: The access-log actions that show customer data to the account.
LOOK_ACTIONS = {
    "list": _l("listed"),
    "search": _l("searched"),
    "details": _l("opened"),
    "details_panels": _l("opened its history and panels"),
    "reveal": _l("revealed"),
    "export": _l("exported"),
    "print": _l("printed"),
    # a share with a partner, and a download of its file (services/privacy/sharing.py)
    "share": _l("shared with a partner"),
}
#: The ways a notice reaches a customer.
SENT_HOW = {
    "letter": _l("Letter"),
    "sms": _l("Text message"),
    "phone": _l("Phone call"),
    "email": _l("Email"),
    "in_person": _l("In person"),
}
STATUS_LABELS = {
    "open": _l("Open"),
    "notice_issued": _l("Notice issued"),
    "closed": _l("Closed"),
}
#: The PIPL art. 57 items a notice must carry (field, label).
NOTICE_ITEMS = (
    ("data_categories", _l("Personal data concerned")),
    ("cause", _l("Cause and possible harm")),
    ("measures", _l("Measures taken")),
    ("customer_actions", _l("What you can do")),
    ("contact", _l("Contact")),
)
EDITABLE = ("title", "what_happened", *(field for field, _label in NOTICE_ITEMS))


class IncidentError(ValueError):
    """Not allowed now or by this person; the message is for the user."""


# --- the register ---------------------------------------------------------------------------


def may_see(user: User, incident: Incident) -> bool:
    return user.role_code == "admin" or (
        user.role_code == "supervisor" and incident.opened_by_id == user.id
    )


def visible(session: Session, user: User) -> list[Incident]:
    """The register as ``user`` sees it: everything for the admin, a supervisor's own."""
    query = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
    if user.role_code != "admin":
        query = query.where(Incident.opened_by_id == user.id)
    return list(session.scalars(query))


def get_for(session: Session, user: User, incident_id: int) -> Incident | None:
    incident = session.get(Incident, incident_id)
    if incident is None or not may_see(user, incident):
        return None
    return incident


def incidents_in_period(session: Session, start: date, end: date) -> list[Incident]:
    """The incidents opened from ``start`` to ``end`` (office dates, both included)."""
    return list(
        session.scalars(
            select(Incident)
            .where(
                Incident.opened_at >= office_midnight_utc(start),
                Incident.opened_at < office_midnight_utc(end + timedelta(days=1)),
            )
            .order_by(Incident.opened_at, Incident.id)
        )
    )


def _clean(values: dict) -> dict:
    cleaned = {}
    for field in EDITABLE:
        if field not in values:
            continue
        value = (values.get(field) or "").strip()
        limit = {"title": TITLE_MAX, "contact": CONTACT_MAX}.get(field, TEXT_MAX)
        if len(value) > limit:
            raise IncidentError(_("At most %(max)d characters.", max=limit))
        cleaned[field] = value
    return cleaned


def open_incident(
    session: Session, user: User, actor: audit.Actor, *, found_at: datetime, **values
) -> Incident:
    if user.role_code not in ("admin", "supervisor"):
        raise IncidentError(_("Only the administrator or a supervisor opens an incident."))
    cleaned = _clean(values)
    if not cleaned.get("title"):
        raise IncidentError(_("Give the incident a short title."))
    now = utcnow()
    if found_at > now + timedelta(minutes=5):
        raise IncidentError(_("The moment it was found cannot be in the future."))
    incident = Incident(found_at=found_at, opened_at=now, opened_by_id=user.id, **cleaned)
    session.add(incident)
    session.flush()
    audit.record(session, actor, "create", record_type=INCIDENT_RECORD, record_id=incident.id)
    return incident


def update_incident(
    session: Session, user: User, actor: audit.Actor, incident: Incident, **values
) -> None:
    if not may_see(user, incident):
        raise IncidentError(_("This incident is not yours to change."))
    cleaned = _clean(values)
    if "title" in cleaned and not cleaned["title"]:
        raise IncidentError(_("Give the incident a short title."))
    if incident.status != "open":
        for field, _label in NOTICE_ITEMS:
            if field in cleaned and cleaned[field] != getattr(incident, field):
                raise IncidentError(
                    _("The notice is issued: its items no longer change. Open a new incident.")
                )
    for field, value in cleaned.items():
        setattr(incident, field, value)
    audit.record(session, actor, "update", record_type=INCIDENT_RECORD, record_id=incident.id)


def missing_notice_items(incident: Incident) -> list[str]:
    """The labels of the art. 57 items still empty."""
    return [str(label) for field, label in NOTICE_ITEMS if not (getattr(incident, field) or "")]


def issue_notice(session: Session, user: User, actor: audit.Actor, incident: Incident) -> None:
    if user.role_code != "admin":
        raise IncidentError(_("Only the administrator issues the notice."))
    if incident.status != "open":
        raise IncidentError(_("The notice is already issued."))
    missing = missing_notice_items(incident)
    if missing:
        raise IncidentError(
            _(
                "The notice needs every item the law asks for; missing: %(items)s.",
                items=", ".join(missing),
            )
        )
    incident.status = "notice_issued"
    incident.notice_issued_at = utcnow()
    incident.notice_issued_by_id = user.id
    audit.record(
        session, actor, "notice_issued", record_type=INCIDENT_RECORD, record_id=incident.id
    )


def mark_reported(session: Session, user: User, actor: audit.Actor, incident: Incident) -> None:
    if user.role_code != "admin":
        raise IncidentError(_("Only the administrator records the report."))
    if incident.reported_at is not None:
        raise IncidentError(_("The report is already recorded."))
    incident.reported_at = utcnow()
    incident.reported_by_id = user.id
    audit.record(session, actor, "update", record_type=INCIDENT_RECORD, record_id=incident.id)


def close(session: Session, user: User, actor: audit.Actor, incident: Incident) -> None:
    if user.role_code != "admin":
        raise IncidentError(_("Only the administrator closes an incident."))
    if incident.status != "notice_issued":
        raise IncidentError(_("Issue the notice before closing the incident."))
    incident.status = "closed"
    incident.closed_at = utcnow()
    audit.record(session, actor, "update", record_type=INCIDENT_RECORD, record_id=incident.id)


# --- the 4-hour clock -------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    due_at: datetime
    #: Time left before the deadline (negative: overdue); None once reported.
    left: timedelta | None
    reported_at: datetime | None

    @property
    def overdue(self) -> bool:
        if self.reported_at is not None:
            return self.reported_at > self.due_at
        return self.left is not None and self.left < timedelta(0)

    @property
    def minutes(self) -> int:
        """Whole minutes left (or overdue, as a positive number)."""
        if self.left is None:
            return 0
        return int(abs(self.left).total_seconds() // 60)


def report_clock(incident: Incident, now: datetime | None = None) -> Clock:
    due = incident.opened_at + REPORT_WITHIN
    if incident.reported_at is not None:
        return Clock(due, None, incident.reported_at)
    return Clock(due, due - (now or utcnow()), None)


# --- affected customers from the access log ---------------------------------------------------


def _event_ids(event: AccessEvent) -> set[int]:
    ids = set()
    if event.record_id is not None:
        ids.add(event.record_id)
    for part in (event.record_ids or "").split(","):
        if part.strip().isdigit():
            ids.add(int(part))
    return ids


def _customers_of(session: Session, by_type: dict[str, set[int]]) -> set[tuple[str, int]]:
    """(kind, id) of the customers behind record ids by view key, existing records only."""
    wanted: dict[str, set[int]] = {kind: set() for kind in CUSTOMER_KINDS}
    for record_type, ids in by_type.items():
        if record_type in CUSTOMER_KINDS:
            wanted[record_type] |= ids
        elif record_type in CHILD_KINDS and ids:
            model, column, kind = CHILD_KINDS[record_type]
            parent = getattr(model, column)
            wanted[kind] |= {
                value
                for value in session.scalars(
                    select(parent).where(model.id.in_(ids), parent.is_not(None))
                )
            }
    found = set()
    for kind, ids in wanted.items():
        if not ids:
            continue
        model = CUSTOMER_KINDS[kind]
        found |= {(kind, i) for i in session.scalars(select(model.id).where(model.id.in_(ids)))}
    return found


def _group(events: Iterable[AccessEvent]) -> dict[str, set[int]]:
    by_type: dict[str, set[int]] = {}
    for event in events:
        if event.record_type:
            by_type.setdefault(event.record_type, set()).update(_event_ids(event))
    return by_type


def affected_by_account(
    session: Session,
    user_id: int,
    start: datetime,
    end: datetime,
    actions: Iterable[str] | None = None,
) -> list[tuple[str, int]]:
    """Every customer the account's events (listed, opened, exported, printed...) showed
    between ``start`` and ``end`` (naive UTC, end excluded), sorted by kind and id."""
    chosen = [a for a in (actions or LOOK_ACTIONS) if a in LOOK_ACTIONS]
    if not chosen:
        raise IncidentError(_("Choose at least one kind of access."))
    if end <= start:
        raise IncidentError(_("The end must come after the start."))
    kinds = [*CUSTOMER_KINDS, *CHILD_KINDS]
    events = session.scalars(
        select(AccessEvent).where(
            AccessEvent.user_id == user_id,
            AccessEvent.at >= start,
            AccessEvent.at < end,
            AccessEvent.action.in_(chosen),
            AccessEvent.record_type.in_(kinds),
            AccessEvent.outcome == "ok",
            or_(AccessEvent.record_id.is_not(None), AccessEvent.record_ids.is_not(None)),
        )
    )
    found = _customers_of(session, _group(events))
    if SHARE_ACTION in chosen:
        found |= _shared_by_account(session, user_id, start, end)
    return sorted(found)


def _shares(session: Session, *conditions) -> set[tuple[str, int]]:
    rows = session.execute(
        select(PartnerShare.subject_type, PartnerShare.subject_id).where(*conditions)
    )
    by_type: dict[str, set[int]] = {}
    for kind, subject_id in rows:
        by_type.setdefault(kind, set()).add(subject_id)
    return _customers_of(session, by_type)


def _shared_by_account(session: Session, user_id: int, start: datetime, end: datetime):
    """The customers whose data the account gave a partner between ``start`` and ``end``: a
    share's event names the partner, so the customers come from the share rows; a download
    of a share's file in the window counts its customers too."""
    found = _shares(
        session,
        PartnerShare.shared_by_id == user_id,
        PartnerShare.shared_at >= start,
        PartnerShare.shared_at < end,
    )
    downloads = session.scalars(
        select(AccessEvent).where(
            AccessEvent.user_id == user_id,
            AccessEvent.at >= start,
            AccessEvent.at < end,
            AccessEvent.action == DOWNLOAD_ACTION,
            AccessEvent.outcome == "ok",
        )
    )
    for event in downloads:
        found |= _shared_in(session, event)
    return found


#: How far a share row's time may be from its event's (both are stamped in one transaction).
_SAME_ACTION = timedelta(minutes=5)


def _shared_in(session: Session, event: AccessEvent) -> set[tuple[str, int]]:
    """The customers of a share or share-download event (record_id is the partner, the ids
    the customers): the share rows of that account, partner and customers at that time."""
    ids = {int(p) for p in (event.record_ids or "").split(",") if p.strip().isdigit()}
    if not ids or event.record_id is None:
        return set()
    earliest = event.at - _SAME_ACTION
    if event.action == DOWNLOAD_ACTION:
        earliest -= DOWNLOAD_WINDOW  # the file of a share made earlier, within its window
    return _shares(
        session,
        PartnerShare.shared_by_id == event.user_id,
        PartnerShare.partner_id == event.record_id,
        PartnerShare.subject_id.in_(ids),
        PartnerShare.shared_at >= earliest,
        PartnerShare.shared_at <= event.at + _SAME_ACTION,
    )


def affected_by_event(session: Session, seq: int) -> list[tuple[str, int]]:
    """Every customer in one event of the access log (an export, a print), by its number."""
    event = session.scalars(select(AccessEvent).where(AccessEvent.seq == seq)).first()
    if event is None:
        raise IncidentError(_("There is no access-log event with that number."))
    if event.record_type == PARTNER_RECORD and event.action in (SHARE_ACTION, DOWNLOAD_ACTION):
        return sorted(_shared_in(session, event))
    return sorted(_customers_of(session, _group([event])))


def save_affected(
    session: Session,
    user: User,
    actor: audit.Actor,
    incident: Incident,
    found: Iterable[tuple[str, int]],
    found_by: str,
) -> int:
    """Keep the customers found with the incident; those kept already stay as they are.
    Returns how many were added."""
    if user.role_code != "admin":
        raise IncidentError(_("Only the administrator lists the affected customers."))
    kept = {(row.customer_kind, row.customer_id) for row in incident.customers}
    now = utcnow()
    added = []
    for kind, customer_id in found:
        if kind not in CUSTOMER_KINDS or (kind, customer_id) in kept:
            continue
        kept.add((kind, customer_id))
        row = IncidentCustomer(
            customer_kind=kind,
            customer_id=customer_id,
            found_by=found_by[:300],
            added_at=now,
            added_by_id=user.id,
        )
        incident.customers.append(row)
        added.append(row)
    if added:
        session.flush()
        audit.record(
            session,
            actor,
            "update",
            record_type=INCIDENT_RECORD,
            record_id=incident.id,
            record_ids=[row.id for row in added],
        )
    return len(added)


def customer_record(session: Session, kind: str, customer_id: int):
    """The customer's record (None when it no longer exists)."""
    model = CUSTOMER_KINDS.get(kind)
    return session.get(model, customer_id) if model else None


def mark_sent(
    session: Session, user: User, actor: audit.Actor, row: IncidentCustomer, how: str
) -> None:
    if user.role_code != "admin":
        raise IncidentError(_("Only the administrator records the sending."))
    if row.incident.status == "open":
        raise IncidentError(_("Issue the notice before sending it."))
    if how not in SENT_HOW:
        raise IncidentError(_("Choose how the notice was sent."))
    if row.sent_at is not None:
        raise IncidentError(_("The notice to this customer is already recorded as sent."))
    row.sent_at = utcnow()
    row.sent_how = how
    row.sent_by_id = user.id
    audit.record(
        session,
        actor,
        "notice_sent",
        record_type=row.customer_kind,
        record_id=row.customer_id,
    )
