"""The periodic compliance review (合规审查, PIPL Art. 54): figures of one period, each with the
list behind it, and the access log's chain verified.

A review is a list of sections (``SECTIONS``); each section is two small functions over the
period: ``figures`` (label, value, the key of the list behind it) and ``rows`` (that list).
Adding a section is adding one entry. Every section reads models directly, across every
office: the review is opened by the admin and the outside auditor only (core/access.py PAGES),
both of whom see every office. Nothing here shows personal data: accounts, codes, ids,
dates and counts.

Periods are office dates, both ends included; the log keeps naive UTC, so a period runs from
the office's midnight starting ``start`` to the one after ``end``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.access import role_label
from core.clock import in_office_zone, office_midnight_utc
from models.admin.incidents import Incident
from models.admin.offices import Office, user_offices
from models.admin.people import User
from models.admin.staff import TrainingRecord
from models.privacy.audit import AccessEvent
from models.privacy.partners import Partner, PartnerConsent, PartnerShare, SharingAgreement
from models.privacy.privacy import ConsentRecord, RetentionBatch, SubjectRequest
from models.sales.daily import AccessAlert, SpotCheck, SpotCheckItem
from services.admin import incidents as incidents_service
from services.admin import staff_clearance
from services.privacy import audit

#: Events that look at customer data (what "accesses" counts).
READ_ACTIONS = audit.READ_ACTIONS
#: At most this many rows on a list behind a figure (the page says when there are more).
MAX_ROWS = 500
#: The longest period one review covers.
MAX_DAYS = 366


class PeriodError(ValueError):
    """The period typed is not a period; the message is for the user."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def since(self) -> datetime:
        return office_midnight_utc(self.start)

    @property
    def until(self) -> datetime:
        return office_midnight_utc(self.end + timedelta(days=1))


def period(start: date | None, end: date | None) -> Period:
    """A checked period (office dates, both included)."""
    if start is None or end is None:
        raise PeriodError(_l("Give the first and the last day of the period."))
    if end < start:
        raise PeriodError(_l("The period ends before it starts."))
    if (end - start).days >= MAX_DAYS:
        raise PeriodError(_l("A review covers at most one year."))
    return Period(start, end)


@dataclass
class Figure:
    label: str
    value: int | float | str | None
    #: The key of the list behind the figure (``rows(..., key)``); None: no list.
    key: str | None = None
    #: A rate (0..1) shown as a percentage.
    percent: bool = False


@dataclass
class Table:
    #: (key, label) of each column; the page formats a value by its key.
    columns: list[tuple[str, str]]
    rows: list[dict]
    total: int = 0


@dataclass
class Section:
    code: str
    title: str
    figures: Callable[[Session, Period], list[Figure]]
    rows: Callable[[Session, Period, str], Table] | None = None
    notes: list[str] = field(default_factory=list)


def _office_date(moment: datetime | None) -> date | None:
    return in_office_zone(moment).date() if moment is not None else None


def _in_period(column, p: Period):
    return (column >= p.since) & (column < p.until)


# --- accesses by role and by office --------------------------------------------------------
def _reads(p: Period):
    return (
        _in_period(AccessEvent.at, p),
        AccessEvent.user_id.is_not(None),
        AccessEvent.action.in_(READ_ACTIONS),
        ~_panels_of_a_details_look(p),
    )


def _panels_of_a_details_look(p: Period):
    """A ``details_panels`` event after the same account's ``details`` event of the same
    record in the period: the page's script (or its link) fetching the panels of that look.
    Since the panels load after the page, each look writes both events; counting both would
    double every period's looks against the ones before. Panels fetched with no details
    look before them in the period still count."""
    page = aliased(AccessEvent)
    return (AccessEvent.action == "details_panels") & (
        select(page.id)
        .where(
            page.action == "details",
            page.user_id == AccessEvent.user_id,
            page.record_type == AccessEvent.record_type,
            page.record_id == AccessEvent.record_id,
            page.at <= AccessEvent.at,
            page.at >= p.since,
        )
        .exists()
    )


def _office_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Office.id, Office.name).order_by(Office.id)).all())


def accesses_figures(session: Session, p: Period) -> list[Figure]:
    by_role = dict(
        session.execute(
            select(AccessEvent.role, func.count()).where(*_reads(p)).group_by(AccessEvent.role)
        ).all()
    )
    figures = [Figure(_l("Looks at customer data, all accounts"), sum(by_role.values()), "all")]
    figures += [
        Figure(_l("by role: %(role)s", role=_role(role)), n, f"role:{role}")
        for role, n in sorted(by_role.items(), key=lambda item: str(item[0]))
    ]
    # An account's events count for each office it belongs to now; group-level accounts
    # (admin, auditor, region managers) belong to none.
    by_office = dict(
        session.execute(
            select(user_offices.c.office_id, func.count())
            .select_from(AccessEvent)
            .join(user_offices, user_offices.c.user_id == AccessEvent.user_id)
            .where(*_reads(p))
            .group_by(user_offices.c.office_id)
        ).all()
    )
    names = _office_names(session)
    figures += [
        Figure(_l("by office: %(office)s", office=names.get(oid, oid)), n, f"office:{oid}")
        for oid, n in sorted(by_office.items())
    ]
    return figures


def _role(code) -> str:
    return role_label(code) if code else "—"


def _event_rows(session: Session, p: Period, where: tuple) -> Table:
    query = select(AccessEvent).where(_in_period(AccessEvent.at, p), *where)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    events = session.scalars(query.order_by(AccessEvent.seq).limit(MAX_ROWS))
    return Table(
        [
            ("seq", _l("No.")),
            ("at", _l("When")),
            ("username", _l("Account")),
            ("role", _l("Role")),
            ("action", _l("Action")),
            ("record_type", _l("Record type")),
            ("record_id", _l("Record")),
            ("count", _l("Records")),
            ("outcome", _l("Outcome")),
        ],
        [
            {
                "seq": e.seq,
                "at": e.at,
                "username": e.username,
                "role": e.role,
                "action": e.action,
                "record_type": e.record_type,
                "record_id": e.record_id,
                "count": _id_count(e.record_ids),
                "outcome": e.outcome,
            }
            for e in events
        ],
        total,
    )


def _id_count(record_ids: str | None) -> int:
    return len(record_ids.split(",")) if record_ids else 0


def accesses_rows(session: Session, p: Period, key: str) -> Table:
    kind, _sep, value = key.partition(":")
    where = _reads(p)[1:]
    if kind == "role":
        where += (AccessEvent.role == value,)
    elif kind == "office":
        members = select(user_offices.c.user_id).where(user_offices.c.office_id == int(value))
        where += (AccessEvent.user_id.in_(members),)
    return _event_rows(session, p, where)


# --- exports and reveals, and by whom -------------------------------------------------------
def outputs_figures(session: Session, p: Period) -> list[Figure]:
    rows = session.execute(
        select(AccessEvent.action, AccessEvent.username, AccessEvent.record_ids).where(
            _in_period(AccessEvent.at, p),
            AccessEvent.action.in_(("export", "reveal")),
            AccessEvent.outcome == "ok",
        )
    ).all()
    exports = [r for r in rows if r.action == "export"]
    reveals = [r for r in rows if r.action == "reveal"]
    figures = [
        Figure(_l("Exports"), len(exports), "action:export"),
        Figure(_l("Rows exported"), sum(_id_count(r.record_ids) for r in exports), "action:export"),
        Figure(_l("Full numbers revealed"), len(reveals), "action:reveal"),
    ]
    for who, n in sorted(Counter(r.username or "—" for r in exports).items()):
        figures.append(Figure(_l("exports by %(who)s", who=who), n, f"export:{who}"))
    for who, n in sorted(Counter(r.username or "—" for r in reveals).items()):
        figures.append(Figure(_l("reveals by %(who)s", who=who), n, f"reveal:{who}"))
    return figures


def outputs_rows(session: Session, p: Period, key: str) -> Table:
    action, _sep, who = key.partition(":")
    if action not in ("action", "export", "reveal"):
        return _event_rows(session, p, (AccessEvent.id.is_(None),))
    if action == "action":
        action, who = who, ""
    where = (AccessEvent.action == action, AccessEvent.outcome == "ok")
    if who:
        where += (AccessEvent.username == who,)
    return _event_rows(session, p, where)


# --- unusual-access alerts and how they were handled ---------------------------------------
def alerts_figures(session: Session, p: Period) -> list[Figure]:
    alerts = session.scalars(select(AccessAlert).where(_in_period(AccessAlert.raised_at, p))).all()
    handled = [a for a in alerts if a.acknowledged_at is not None]
    figures = [
        Figure(_l("Alerts raised"), len(alerts), "all"),
        Figure(_l("Handled with a note"), len(handled), "handled"),
        Figure(_l("Still open"), len(alerts) - len(handled), "open"),
    ]
    by_rule = Counter(a.rule_code for a in alerts)
    figures += [
        Figure(_l("by rule: %(rule)s", rule=_rule(code)), n, f"rule:{code}")
        for code, n in sorted(by_rule.items())
    ]
    return figures


def _rule(code: str) -> str:
    labels = {
        "records_per_hour": _l("records opened in an hour"),
        "export_rows_per_day": _l("rows exported in a day"),
        "off_hours": _l("sign-in outside office hours"),
    }
    return str(labels.get(code, code))


def alerts_rows(session: Session, p: Period, key: str) -> Table:
    query = select(AccessAlert).where(_in_period(AccessAlert.raised_at, p))
    if key == "handled":
        query = query.where(AccessAlert.acknowledged_at.is_not(None))
    elif key == "open":
        query = query.where(AccessAlert.acknowledged_at.is_(None))
    elif key.startswith("rule:"):
        query = query.where(AccessAlert.rule_code == key[5:])
    alerts = session.scalars(query.order_by(AccessAlert.raised_at, AccessAlert.id)).all()
    return Table(
        [
            ("raised_at", _l("Raised")),
            ("rule", _l("Rule")),
            ("username", _l("Account")),
            ("value", _l("Counted")),
            ("handled_by", _l("Handled by")),
            ("handled_at", _l("Handled")),
            ("note", _l("Note")),
        ],
        [
            {
                "raised_at": a.raised_at,
                "rule": _rule(a.rule_code),
                "username": a.username,
                "value": a.value,
                "handled_by": a.acknowledged_by.full_name if a.acknowledged_by else "",
                "handled_at": a.acknowledged_at,
                "note": a.ack_note or "",
            }
            for a in alerts[:MAX_ROWS]
        ],
        len(alerts),
    )


# --- customers' requests, answered within 15 working days ----------------------------------
def _answered_on(request: SubjectRequest) -> date | None:
    return _office_date(request.answered_at) if request.status == "answered" else None


def _in_time(request: SubjectRequest) -> bool:
    answered = _answered_on(request)
    return answered is not None and answered <= request.due_on


def _requests(session: Session, p: Period) -> list[SubjectRequest]:
    return list(
        session.scalars(
            select(SubjectRequest)
            .where(SubjectRequest.received_on >= p.start, SubjectRequest.received_on <= p.end)
            .order_by(SubjectRequest.received_on, SubjectRequest.id)
        )
    )


def requests_figures(session: Session, p: Period) -> list[Figure]:
    requests = _requests(session, p)
    answered = [r for r in requests if r.status == "answered"]
    in_time = [r for r in answered if _in_time(r)]
    figures = [
        Figure(_l("Requests received"), len(requests), "all"),
        Figure(_l("Answered"), len(answered), "answered"),
        Figure(_l("Answered within 15 working days"), len(in_time), "in_time"),
        Figure(_l("Answered late"), len(answered) - len(in_time), "late"),
        Figure(_l("Refused"), sum(r.status == "refused" for r in requests), "refused"),
        Figure(
            _l("Not answered yet"),
            sum(r.status in ("open", "awaiting_approval") for r in requests),
            "open",
        ),
    ]
    if answered:
        figures.append(
            Figure(_l("Share answered in time"), len(in_time) / len(answered), None, True)
        )
    return figures


def requests_rows(session: Session, p: Period, key: str) -> Table:
    keep = {
        "all": lambda r: True,
        "answered": lambda r: r.status == "answered",
        "in_time": _in_time,
        "late": lambda r: r.status == "answered" and not _in_time(r),
        "refused": lambda r: r.status == "refused",
        "open": lambda r: r.status in ("open", "awaiting_approval"),
    }.get(key, lambda r: False)
    chosen = [r for r in _requests(session, p) if keep(r)]
    return Table(
        [
            ("id", _l("Request")),
            ("kind", _l("Kind")),
            ("record_type", _l("Record type")),
            ("record_id", _l("Record")),
            ("received_on", _l("Received on")),
            ("due_on", _l("Answer due on")),
            ("status", _l("Status")),
            ("answered_on", _l("Answered on")),
            ("in_time", _l("In time")),
        ],
        [
            {
                "id": r.id,
                "kind": r.kind,
                "record_type": r.subject_type,
                "record_id": r.subject_id,
                "received_on": r.received_on,
                "due_on": r.due_on,
                "status": r.status,
                "answered_on": _answered_on(r),
                "in_time": _in_time(r) if r.status == "answered" else None,
            }
            for r in chosen[:MAX_ROWS]
        ],
        len(chosen),
    )


# --- consents withdrawn ----------------------------------------------------------------------
def _withdrawn(p: Period):
    return select(ConsentRecord).where(_in_period(ConsentRecord.withdrawn_at, p))


def consents_figures(session: Session, p: Period) -> list[Figure]:
    counts = dict(
        session.execute(
            select(ConsentRecord.subject_type, func.count())
            .where(_in_period(ConsentRecord.withdrawn_at, p))
            .group_by(ConsentRecord.subject_type)
        ).all()
    )
    figures = [Figure(_l("Consents withdrawn"), sum(counts.values()), "all")]
    figures += [
        Figure(_l("of: %(kind)s", kind=_record_type(kind)), n, f"type:{kind}")
        for kind, n in sorted(counts.items())
    ]
    return figures


def _record_type(code: str) -> str:
    labels = {
        "prospect": _l("Welcome cards"),
        "owner": _l("Owners"),
        "tenant": _l("Tenants"),
        "dealer": _l("Dealers"),
        "visit": _l("Visits"),
        "access_log": _l("Access log"),
    }
    return str(labels.get(code, code))


def consents_rows(session: Session, p: Period, key: str) -> Table:
    query = _withdrawn(p)
    if key.startswith("type:"):
        query = query.where(ConsentRecord.subject_type == key[5:])
    records = session.scalars(query.order_by(ConsentRecord.withdrawn_at, ConsentRecord.id)).all()
    return Table(
        [
            ("record_type", _l("Record type")),
            ("record_id", _l("Record")),
            ("given_at", _l("Given")),
            ("withdrawn_at", _l("Withdrawn")),
            ("withdrawn_by", _l("Recorded by")),
        ],
        [
            {
                "record_type": c.subject_type,
                "record_id": c.subject_id,
                "given_at": c.given_at,
                "withdrawn_at": c.withdrawn_at,
                "withdrawn_by": c.withdrawn_by.full_name if c.withdrawn_by else "",
            }
            for c in records[:MAX_ROWS]
        ],
        len(records),
    )


# --- records anonymised by the retention review --------------------------------------------
def _batches(p: Period):
    return select(RetentionBatch).where(
        RetentionBatch.status == "done", _in_period(RetentionBatch.decided_at, p)
    )


def retention_figures(session: Session, p: Period) -> list[Figure]:
    batches = session.scalars(_batches(p)).all()
    figures = [
        Figure(_l("Retention batches carried out"), len(batches), "all"),
        Figure(_l("Records anonymised or deleted"), sum(b.anonymised or 0 for b in batches), "all"),
    ]
    by_kind = Counter()
    for b in batches:
        by_kind[b.record_type] += b.anonymised or 0
    figures += [
        Figure(_l("of: %(kind)s", kind=_record_type(kind)), n, f"type:{kind}")
        for kind, n in sorted(by_kind.items())
    ]
    return figures


def retention_rows(session: Session, p: Period, key: str) -> Table:
    query = _batches(p)
    if key.startswith("type:"):
        query = query.where(RetentionBatch.record_type == key[5:])
    batches = session.scalars(query.order_by(RetentionBatch.decided_at, RetentionBatch.id)).all()
    return Table(
        [
            ("id", _l("Batch")),
            ("kind_label", _l("Records")),
            ("cutoff_on", _l("Cut-off")),
            ("requested_by", _l("Asked by")),
            ("decided_by", _l("Approved by")),
            ("decided_at", _l("Carried out")),
            ("count", _l("Records")),
        ],
        [
            {
                "id": b.id,
                "kind_label": _record_type(b.record_type),
                "cutoff_on": b.cutoff_on,
                "requested_by": b.requested_by.full_name if b.requested_by else "",
                "decided_by": b.decided_by.full_name if b.decided_by else "",
                "decided_at": b.decided_at,
                "count": b.anonymised or 0,
            }
            for b in batches[:MAX_ROWS]
        ],
        len(batches),
    )


# --- spot checks: how often the cards match the paper ---------------------------------------
def _spot_rows(session: Session, p: Period, office_id: int | None = None) -> list[dict]:
    checked = func.count(SpotCheckItem.result)
    matches = func.count(SpotCheckItem.id).filter(SpotCheckItem.result == "match")
    query = (
        select(SpotCheck.id, SpotCheck.office_id, SpotCheck.week_start, SpotCheck.sample_size)
        .add_columns(checked, matches)
        .outerjoin(SpotCheckItem, SpotCheckItem.spot_check_id == SpotCheck.id)
        .where(SpotCheck.week_start >= p.start, SpotCheck.week_start <= p.end)
        .group_by(SpotCheck.id, SpotCheck.office_id, SpotCheck.week_start, SpotCheck.sample_size)
        .order_by(SpotCheck.week_start, SpotCheck.office_id)
    )
    if office_id is not None:
        query = query.where(SpotCheck.office_id == office_id)
    names = _office_names(session)
    return [
        {
            "office": names.get(r.office_id, ""),
            "office_id": r.office_id,
            "week_start": r.week_start,
            "sample_size": r.sample_size,
            "checked": r[4],
            "matches": r[5],
            "rate": (r[5] / r[4]) if r[4] else None,
        }
        for r in session.execute(query)
    ]


def spot_checks_figures(session: Session, p: Period) -> list[Figure]:
    rows = _spot_rows(session, p)
    checked = sum(r["checked"] for r in rows)
    matches = sum(r["matches"] for r in rows)
    figures = [
        Figure(_l("Spot checks drawn"), len(rows), "all"),
        Figure(_l("Cards compared with the paper"), checked, "all"),
        Figure(_l("Cards that match"), matches, "all"),
        Figure(_l("Match rate"), (matches / checked) if checked else None, "all", True),
    ]
    by_office: dict[int, list[int]] = {}
    names = {}
    for r in rows:
        total = by_office.setdefault(r["office_id"], [0, 0])
        total[0] += r["checked"]
        total[1] += r["matches"]
        names[r["office_id"]] = r["office"]
    figures += [
        Figure(
            _l("Match rate: %(office)s", office=names[oid]),
            (m / c) if c else None,
            f"office:{oid}",
            True,
        )
        for oid, (c, m) in sorted(by_office.items())
    ]
    return figures


def spot_checks_rows(session: Session, p: Period, key: str) -> Table:
    office_id = int(key[7:]) if key.startswith("office:") and key[7:].isdigit() else None
    rows = _spot_rows(session, p, office_id)
    return Table(
        [
            ("office", _l("Office")),
            ("week_start", _l("Week from")),
            ("sample_size", _l("Drawn")),
            ("checked", _l("Checked")),
            ("matches", _l("Matches")),
            ("rate", _l("Match rate")),
        ],
        rows[:MAX_ROWS],
        len(rows),
    )


# --- the access log's chain -------------------------------------------------------------------
def chain_figures(session: Session, p: Period) -> list[Figure]:
    """The whole chain is verified (an altered event before the period taints it too)."""
    result = audit.verify(session)
    figures = [
        Figure(_l("Access-log chain intact"), result.ok),
        Figure(_l("Events verified"), result.checked),
    ]
    if not result.ok:
        figures.append(Figure(_l("First bad event"), result.first_bad_seq))
        figures.append(Figure(_l("Problem"), result.problem))
    return figures


# --- staff agreements and training (services/admin/staff_clearance.py) ----------------------
_AGREEMENT_GAPS = (staff_clearance.NO_AGREEMENT, staff_clearance.OLD_VERSION)
_TRAINING_GAPS = (staff_clearance.NO_TRAINING, staff_clearance.TRAINING_EXPIRED)


def _staff(session: Session, p: Period) -> dict[int, staff_clearance.Clearance]:
    """Every active account's standing on the period's last day."""
    return staff_clearance.statuses(session, today=p.end, whom_to_ask=False)


def _has(clearance, gaps) -> bool:
    return not any(m.code in gaps for m in clearance.missing)


def staff_figures(session: Session, p: Period) -> list[Figure]:
    found = list(_staff(session, p).values())
    covered = sum(c.status != staff_clearance.BLOCKED for c in found)
    trained_in_period = session.scalar(
        select(func.count())
        .select_from(TrainingRecord)
        .where(
            TrainingRecord.passed.is_(True),
            TrainingRecord.taken_on >= p.start,
            TrainingRecord.taken_on <= p.end,
        )
    )
    return [
        Figure(_l("Active accounts on the last day"), len(found), "all"),
        Figure(
            _l("With the current agreement signed"),
            sum(_has(c, _AGREEMENT_GAPS) for c in found),
            "agreement",
        ),
        Figure(
            _l("With training in force"), sum(_has(c, _TRAINING_GAPS) for c in found), "trained"
        ),
        Figure(_l("Coverage (both)"), (covered / len(found)) if found else None, "covered", True),
        Figure(_l("Blocked from customer data"), len(found) - covered, "blocked"),
        Figure(_l("Training sessions passed in the period"), trained_in_period, "sessions"),
    ]


def _sessions_rows(session: Session, p: Period) -> Table:
    records = session.scalars(
        select(TrainingRecord)
        .where(
            TrainingRecord.passed.is_(True),
            TrainingRecord.taken_on >= p.start,
            TrainingRecord.taken_on <= p.end,
        )
        .order_by(TrainingRecord.taken_on, TrainingRecord.id)
    ).all()
    names = dict(
        session.execute(
            select(User.id, User.username).where(User.id.in_({r.user_id for r in records}))
        ).all()
    )
    return Table(
        [
            ("taken_on", _l("Taken on")),
            ("username", _l("Account")),
            ("course", _l("Course")),
            ("trainer", _l("Trainer")),
        ],
        [
            {
                "taken_on": r.taken_on,
                "username": names.get(r.user_id, ""),
                "course": r.course.name,
                "trainer": r.trainer,
            }
            for r in records[:MAX_ROWS]
        ],
        len(records),
    )


def staff_rows(session: Session, p: Period, key: str) -> Table:
    if key == "sessions":
        return _sessions_rows(session, p)
    keep = {
        "all": lambda c: True,
        "agreement": lambda c: _has(c, _AGREEMENT_GAPS),
        "trained": lambda c: _has(c, _TRAINING_GAPS),
        "covered": lambda c: c.status != staff_clearance.BLOCKED,
        "blocked": lambda c: c.status == staff_clearance.BLOCKED,
    }[key]
    found = {i: c for i, c in _staff(session, p).items() if keep(c)}
    users = session.scalars(
        select(User).where(User.id.in_(list(found))).order_by(User.username)
    ).all()
    return Table(
        [
            ("username", _l("Account")),
            ("full_name", _l("Full name")),
            ("role", _l("Role")),
            ("agreement", _l("Current agreement signed")),
            ("training_until", _l("Training in force until")),
        ],
        [
            {
                "username": u.username,
                "full_name": u.full_name,
                "role": u.role_code,
                "agreement": _has(found[u.id], _AGREEMENT_GAPS),
                "training_until": found[u.id].training_expires_on,
            }
            for u in users[:MAX_ROWS]
        ],
        len(users),
    )


# --- partners' agreements and shares (services/privacy/sharing.py) ---------------------------
def _agreements(p: Period):
    return select(SharingAgreement).where(
        SharingAgreement.valid_from <= p.end, SharingAgreement.valid_to >= p.start
    )


def partners_figures(session: Session, p: Period) -> list[Figure]:
    agreements = session.scalar(select(func.count()).select_from(_agreements(p).subquery()))
    shared = dict(
        session.execute(
            select(PartnerShare.partner_id, func.count())
            .where(_in_period(PartnerShare.shared_at, p))
            .group_by(PartnerShare.partner_id)
        ).all()
    )
    withdrawn = session.scalar(
        select(func.count())
        .select_from(PartnerConsent)
        .where(_in_period(PartnerConsent.withdrawn_at, p))
    )
    names = dict(session.execute(select(Partner.id, Partner.name)).all())
    figures = [
        Figure(_l("Sharing agreements in force"), agreements, "agreements"),
        Figure(_l("Records shared with partners"), sum(shared.values()), "shares"),
    ]
    figures += [
        Figure(_l("shared with %(partner)s", partner=names.get(pid, pid)), n, f"partner:{pid}")
        for pid, n in sorted(shared.items())
    ]
    figures.append(Figure(_l("Consents to a partner withdrawn"), withdrawn, "withdrawn"))
    return figures


def partners_rows(session: Session, p: Period, key: str) -> Table:
    if key == "agreements":
        agreements = session.scalars(_agreements(p).order_by(SharingAgreement.valid_from)).all()
        return Table(
            [
                ("partner", _l("Partner")),
                ("reference", _l("Agreement")),
                ("valid_from", _l("Valid from")),
                ("valid_to", _l("Valid until")),
            ],
            [
                {
                    "partner": a.partner.name,
                    "reference": a.reference,
                    "valid_from": a.valid_from,
                    "valid_to": a.valid_to,
                }
                for a in agreements[:MAX_ROWS]
            ],
            len(agreements),
        )
    if key == "withdrawn":
        consents = session.scalars(
            select(PartnerConsent)
            .where(_in_period(PartnerConsent.withdrawn_at, p))
            .order_by(PartnerConsent.withdrawn_at)
        ).all()
        return Table(
            [
                ("partner", _l("Partner")),
                ("record_type", _l("Record type")),
                ("record_id", _l("Record")),
                ("withdrawn_at", _l("Withdrawn")),
            ],
            [
                {
                    "partner": c.partner.name,
                    "record_type": c.subject_type,
                    "record_id": c.subject_id,
                    "withdrawn_at": c.withdrawn_at,
                }
                for c in consents[:MAX_ROWS]
            ],
            len(consents),
        )
    query = select(PartnerShare).where(_in_period(PartnerShare.shared_at, p))
    if key.startswith("partner:"):
        query = query.where(PartnerShare.partner_id == int(key[8:]))
    elif key != "shares":
        raise ValueError(key)
    shares = session.scalars(query.order_by(PartnerShare.shared_at, PartnerShare.id)).all()
    return Table(
        [
            ("shared_at", _l("Shared at")),
            ("partner", _l("Partner")),
            ("reference", _l("Agreement")),
            ("record_type", _l("Record type")),
            ("record_id", _l("Record")),
            ("shared_by", _l("Shared by")),
        ],
        [
            {
                "shared_at": s.shared_at,
                "partner": s.partner.name,
                "reference": s.agreement.reference,
                "record_type": s.subject_type,
                "record_id": s.subject_id,
                "shared_by": s.shared_by.full_name if s.shared_by else "",
            }
            for s in shares[:MAX_ROWS]
        ],
        len(shares),
    )


# --- incidents (services/admin/incidents.py) ---------------------------------------------------
def _incidents(session: Session, p: Period) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident).where(_in_period(Incident.opened_at, p)).order_by(Incident.opened_at)
        )
    )


def _reported_in_time(incident: Incident) -> bool:
    return (
        incident.reported_at is not None
        and incident.reported_at - incident.opened_at <= incidents_service.REPORT_WITHIN
    )


def incidents_figures(session: Session, p: Period) -> list[Figure]:
    found = _incidents(session, p)
    customers = [c for i in found for c in i.customers]
    return [
        Figure(_l("Incidents opened"), len(found), "all"),
        Figure(_l("Reported within 4 hours"), sum(map(_reported_in_time, found)), "in_time"),
        Figure(
            _l("Reported late or not yet"),
            sum(not _reported_in_time(i) for i in found),
            "late",
        ),
        Figure(_l("Notices issued"), sum(i.notice_issued_at is not None for i in found), "notice"),
        Figure(_l("Customers affected"), len(customers), "customers"),
        Figure(_l("Customers notified"), sum(c.sent_at is not None for c in customers), "notified"),
    ]


def incidents_rows(session: Session, p: Period, key: str) -> Table:
    found = _incidents(session, p)
    if key in ("customers", "notified"):
        customers = [
            c for i in found for c in i.customers if key == "customers" or c.sent_at is not None
        ]
        return Table(
            [
                ("incident", _l("Incident")),
                ("record_type", _l("Record type")),
                ("record_id", _l("Record")),
                ("sent_at", _l("Notified at")),
            ],
            [
                {
                    "incident": c.incident.title,
                    "record_type": c.customer_kind,
                    "record_id": c.customer_id,
                    "sent_at": c.sent_at,
                }
                for c in customers[:MAX_ROWS]
            ],
            len(customers),
        )
    keep = {
        "all": lambda i: True,
        "in_time": _reported_in_time,
        "late": lambda i: not _reported_in_time(i),
        "notice": lambda i: i.notice_issued_at is not None,
    }[key]
    chosen = [i for i in found if keep(i)]
    return Table(
        [
            ("id", _l("Incident")),
            ("title", _l("Incident title")),
            ("opened_at", _l("Opened at")),
            ("reported_at", _l("Reported at")),
            ("in_time", _l("In time")),
            ("notice_issued_at", _l("Notice issued at")),
            ("closed_at", _l("Closed at")),
        ],
        [
            {
                "id": i.id,
                "title": i.title,
                "opened_at": i.opened_at,
                "reported_at": i.reported_at,
                "in_time": _reported_in_time(i),
                "notice_issued_at": i.notice_issued_at,
                "closed_at": i.closed_at,
            }
            for i in chosen[:MAX_ROWS]
        ],
        len(chosen),
    )


SECTIONS: list[Section] = [
    Section("chain", _l("The access log's chain"), chain_figures),
    Section("accesses", _l("Accesses by role and by office"), accesses_figures, accesses_rows),
    Section("outputs", _l("Exports and reveals, and by whom"), outputs_figures, outputs_rows),
    Section(
        "alerts", _l("Unusual-access alerts and how they were handled"), alerts_figures, alerts_rows
    ),
    Section("requests", _l("Customers' requests"), requests_figures, requests_rows),
    Section("consents", _l("Consents withdrawn"), consents_figures, consents_rows),
    Section(
        "retention",
        _l("Records anonymised by the retention review"),
        retention_figures,
        retention_rows,
    ),
    Section(
        "spot_checks", _l("Spot checks of the welcome cards"), spot_checks_figures, spot_checks_rows
    ),
    Section("staff", _l("Staff agreements and training"), staff_figures, staff_rows),
    Section("partners", _l("Partners' agreements and shares"), partners_figures, partners_rows),
    Section("incidents", _l("Incidents"), incidents_figures, incidents_rows),
]


def section(code: str) -> Section | None:
    return next((s for s in SECTIONS if s.code == code), None)


def review(session: Session, p: Period) -> list[tuple[Section, list[Figure]]]:
    """Every section with its figures for the period."""
    return [(s, s.figures(session, p)) for s in SECTIONS]


def rows(session: Session, p: Period, code: str, key: str) -> Table | None:
    """The list behind one figure; None for an unknown section or one without lists."""
    found = section(code)
    if found is None or found.rows is None:
        return None
    try:
        return found.rows(session, p, key)
    except ValueError:
        return None
