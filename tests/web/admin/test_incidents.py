"""Incidents (services/admin/incidents.py, views/admin/incidents.py): the affected customers
computed from a seeded access log, the art. 57 items required before the notice, letters and
"mark as sent", the 4-hour clock, who sees which incident, the incidents of a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from models.admin.incidents import Incident, IncidentCustomer
from models.privacy.audit import AccessEvent
from models.property.property import Owner, Tenant
from services.admin import incidents
from services.privacy import audit
from tests.factories import make_prospect, make_user, make_visit

#: The query's window, in UTC (Beijing 16:30 to 19:00 on 2026-11-24).
START = datetime(2026, 11, 24, 8, 30)
END = datetime(2026, 11, 24, 11, 0)

ITEMS = {
    "data_categories": "Names and mobile numbers",
    "cause": "A printed list was lost; it may be misused for calls",
    "measures": "Accounts locked, the list looked for",
    "customer_actions": "Beware of calls claiming to be the office",
    "contact": "Office manager, 021-5555 0000",
}


def _at(moment: datetime, actor, action, record_type, record_id=None, record_ids=(), **kw):
    with time_machine.travel(moment.replace(tzinfo=UTC), tick=False):
        audit.record(
            db.session,
            actor,
            action,
            record_type=record_type,
            record_id=record_id,
            record_ids=record_ids,
            **kw,
        )


@pytest.fixture
def seeded(app):
    """A clerk X whose looks, inside and outside the window, are in the access log."""
    with app.app_context():
        x = make_user(db.session, "clerk", username="clerk_x")
        y = make_user(db.session, "clerk", username="clerk_y")
        p = [make_prospect(db.session) for _ in range(6)]
        visit = make_visit(db.session, p[3])
        owner = Owner(name="业主甲", mobile="13900000001")
        tenant = Tenant(name="租客乙", mobile="13900000002")
        db.session.add_all([owner, tenant])
        db.session.flush()
        ax = audit.Actor(x.id, x.username, "clerk")
        ay = audit.Actor(y.id, y.username, "clerk")
        day = datetime(2026, 11, 24)
        # inside the window, looks: listed, opened, exported, a visit (its prospect)
        _at(day.replace(hour=9), ax, "list", "prospect", record_ids=[p[0].id, p[1].id])
        _at(day.replace(hour=9, minute=30), ax, "details", "owner", record_id=owner.id)
        _at(day.replace(hour=10), ax, "export", "prospect", record_ids=[p[2].id])
        _at(day.replace(hour=10, minute=15), ax, "details", "visit", record_id=visit.id)
        # inside, but not customers, not a look, refused, or a record that no longer exists
        _at(day.replace(hour=10, minute=20), ax, "list", "unit", record_ids=[1, 2])
        _at(day.replace(hour=10, minute=30), ax, "update", "prospect", record_id=p[4].id)
        _at(
            day.replace(hour=9, minute=55),
            ax,
            "details",
            "prospect",
            record_id=p[4].id,
            outcome="denied",
        )
        _at(day.replace(hour=9, minute=50), ax, "details", "prospect", record_id=999_999)
        # outside the window, and another account inside it
        _at(day.replace(hour=8), ax, "details", "prospect", record_id=p[5].id)
        _at(day.replace(hour=12), ax, "details", "tenant", record_id=tenant.id)
        _at(day.replace(hour=9, minute=45), ay, "details", "prospect", record_id=p[5].id)
        db.session.commit()
        export_seq = db.session.scalar(
            select(AccessEvent.seq).where(AccessEvent.action == "export")
        )
        return {
            "x": x.id,
            "y": y.id,
            "p": [i.id for i in p],
            "owner": owner.id,
            "tenant": tenant.id,
            "export_seq": export_seq,
        }


def test_affected_by_account_is_exactly_what_it_looked_at(app, seeded):
    p = seeded["p"]
    with app.app_context():
        found = incidents.affected_by_account(db.session, seeded["x"], START, END)
        assert found == sorted(
            [
                ("owner", seeded["owner"]),
                ("prospect", p[0]),
                ("prospect", p[1]),
                ("prospect", p[2]),
                ("prospect", p[3]),
            ]
        )
        assert incidents.affected_by_account(db.session, seeded["x"], START, END, ["export"]) == [
            ("prospect", p[2])
        ]
        wider = incidents.affected_by_account(
            db.session, seeded["x"], START - timedelta(hours=1), END + timedelta(hours=2)
        )
        assert ("prospect", p[5]) in wider and ("tenant", seeded["tenant"]) in wider
        assert incidents.affected_by_account(db.session, seeded["y"], START, END) == [
            ("prospect", p[5])
        ]
        assert incidents.affected_by_event(db.session, seeded["export_seq"]) == [("prospect", p[2])]
        with pytest.raises(incidents.IncidentError):
            incidents.affected_by_account(db.session, seeded["x"], END, START)


def _open(client, **extra):
    data = {"title": "Lost printed list", "found_at": "2026-11-24 19:30", **extra}
    response = client.post("/admin/incidents/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.instant("2026-11-24T12:00:00+00:00")
def test_the_incident_journey_on_the_server(app, client, login_as, seeded):
    admin_id = login_as("admin")
    incident_id = _open(client)
    page = client.get(f"/admin/incidents/{incident_id}/").get_data(as_text=True)
    # the clock: opened 20:00 Beijing time, due at 24:00, 4 h left
    assert "2026-11-25 00:00" in page
    # the query on the access log (Beijing time), saved with the incident
    form = {
        "way": "account",
        "account": str(seeded["x"]),
        "start": "2026-11-24 16:30",
        "end": "2026-11-24 19:00",
        "actions": list(incidents.LOOK_ACTIONS),
    }
    assert client.post(f"/admin/incidents/{incident_id}/affected/", data=form).status_code == 302
    assert client.post(f"/admin/incidents/{incident_id}/affected/", data=form).status_code == 302
    by_event = {"way": "event", "event_seq": str(seeded["export_seq"])}
    assert (
        client.post(f"/admin/incidents/{incident_id}/affected/", data=by_event).status_code == 302
    )
    with app.app_context():
        rows = db.session.scalars(
            select(IncidentCustomer).where(IncidentCustomer.incident_id == incident_id)
        ).all()
        saved = sorted((r.customer_kind, r.customer_id) for r in rows)
        p = seeded["p"]
        assert saved == sorted(
            [("owner", seeded["owner"])] + [("prospect", p[i]) for i in range(4)]
        )
        assert all("clerk_x" in r.found_by for r in rows)
        assert all(r.added_by_id == admin_id for r in rows)
        row_ids = [r.id for r in rows]
    # no letters before the notice; no notice before the art. 57 items
    assert client.get(f"/admin/incidents/{incident_id}/letter/{row_ids[0]}/").status_code == 302
    client.post(f"/admin/incidents/{incident_id}/issue/", data={})
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        assert incident.status == "open" and incident.notice_issued_at is None
    page = client.get(f"/admin/incidents/{incident_id}/").get_data(as_text=True)
    assert 'id="missing-items"' in page
    edit = {"title": "Lost printed list", **ITEMS}
    assert client.post(f"/admin/incidents/{incident_id}/edit/", data=edit).status_code == 302
    client.post(f"/admin/incidents/{incident_id}/issue/", data={})
    with app.app_context():
        assert db.session.get(Incident, incident_id).status == "notice_issued"
    # a letter per customer carries the items
    letter = client.get(f"/admin/incidents/{incident_id}/letter/{row_ids[0]}/")
    assert letter.status_code == 200
    text = letter.get_data(as_text=True)
    for value in ITEMS.values():
        assert value in text
    # mark as sent: when, how, by whom
    sent = client.post(f"/admin/incidents/{incident_id}/sent/{row_ids[0]}/", data={"how": "letter"})
    assert sent.status_code == 302
    with app.app_context():
        row = db.session.get(IncidentCustomer, row_ids[0])
        assert row.sent_how == "letter" and row.sent_by_id == admin_id and row.sent_at
        printed = db.session.scalars(select(AccessEvent).where(AccessEvent.action == "print")).all()
        assert [(e.record_type, e.record_id) for e in printed] == [
            (row.customer_kind, row.customer_id)
        ]


def test_the_art_57_items_are_required_before_issuing(app):
    with app.app_context():
        admin = make_user(db.session, "admin")
        actor = audit.Actor(admin.id, admin.username, "admin")
        incident = incidents.open_incident(
            db.session, admin, actor, found_at=datetime(2026, 1, 1), title="t"
        )
        for field in ITEMS:
            with pytest.raises(incidents.IncidentError):
                incidents.issue_notice(db.session, admin, actor, incident)
            setattr(incident, field, ITEMS[field])
        assert incidents.missing_notice_items(incident) == []
        incidents.issue_notice(db.session, admin, actor, incident)
        assert incident.status == "notice_issued"
        # once issued the items no longer change
        with pytest.raises(incidents.IncidentError):
            incidents.update_incident(db.session, admin, actor, incident, cause="other")


def test_the_report_clock(app):
    with app.app_context():
        opened = datetime(2026, 11, 24, 2, 0)
        incident = Incident(title="t", found_at=opened, opened_at=opened)
        clock = incidents.report_clock(incident, opened + timedelta(hours=1, minutes=15))
        assert not clock.overdue and clock.minutes == 165
        clock = incidents.report_clock(incident, opened + timedelta(hours=5))
        assert clock.overdue and clock.minutes == 60
        incident.reported_at = opened + timedelta(hours=3)
        assert not incidents.report_clock(incident).overdue


def test_a_supervisor_opens_one_and_sees_only_their_own(app, client, login_as):
    with app.app_context():
        admin = make_user(db.session, "admin")
        actor = audit.Actor(admin.id, admin.username, "admin")
        other = incidents.open_incident(
            db.session, admin, actor, found_at=datetime(2026, 1, 1), title="Admin's own"
        ).id
        db.session.commit()
    login_as("supervisor")
    own = _open(client, title="Supervisor's lost phone")
    register = client.get("/admin/incidents/").get_data(as_text=True)
    assert "Supervisor&#39;s lost phone" in register and "Admin&#39;s own" not in register
    assert client.get(f"/admin/incidents/{own}/").status_code == 200
    assert client.get(f"/admin/incidents/{other}/").status_code == 404
    assert client.post(f"/admin/incidents/{own}/affected/", data={}).status_code == 403
    assert client.post(f"/admin/incidents/{own}/issue/", data={}).status_code == 403


def test_clerks_have_no_incident_pages(client, login_as):
    login_as("clerk")
    assert client.get("/admin/incidents/").status_code == 403


def test_incidents_in_a_period(app):
    with app.app_context():
        admin = make_user(db.session, "admin")
        for day, hour in (
            (date(2026, 11, 1), 16),
            (date(2026, 11, 30), 15),
            (date(2026, 12, 1), 1),
        ):
            db.session.add(
                Incident(
                    title=f"{day} {hour}",
                    found_at=datetime(2026, 1, 1),
                    # UTC 16:00 on Oct 31 is Nov 1 00:00 in Beijing
                    opened_at=datetime.combine(day, datetime.min.time()).replace(hour=hour)
                    - timedelta(days=1 if hour == 16 else 0),
                    opened_by_id=admin.id,
                )
            )
        db.session.commit()
        found = incidents.incidents_in_period(db.session, date(2026, 11, 1), date(2026, 11, 30))
        assert [i.title for i in found] == ["2026-11-01 16", "2026-11-30 15"]


def test_customers_shared_with_a_partner_are_affected(app):
    """A share's event names the partner, not the customers' kind: the account's shares in
    the window (and the share event by its number) still bring the customers it gave away."""
    from models.privacy.partners import Partner, SharingAgreement
    from services.privacy import sharing

    moment = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Beijing 17:00, inside the window
    with app.test_request_context(), time_machine.travel(moment, tick=False):
        sup = make_user(db.session, "supervisor", username="sharing_sup")
        actor = audit.Actor(sup.id, sup.username, "supervisor")
        bank = Partner(name="建设银行城东支行", kind="bank", contact_name="赵经理")
        db.session.add(bank)
        db.session.flush()
        agreement = SharingAgreement(
            partner=bank,
            reference="2026-按揭-001",
            purpose="按揭贷款审批",
            fields=["name", "mobile"],
            masked_fields=[],
            valid_from=date(2026, 11, 1),
            valid_to=date(2027, 10, 31),
        )
        owners = [Owner(name=f"业主{i}", mobile=f"1390000001{i}") for i in range(3)]
        db.session.add_all([agreement, *owners])
        db.session.flush()
        for owner in owners[:2]:
            sharing.record_consent(
                db.session,
                sup,
                actor,
                subject_type="owner",
                subject_id=owner.id,
                partner_id=bank.id,
                purpose="按揭贷款审批",
                notice_version="2026-01",
            )
        result = sharing.share(
            db.session,
            sup,
            actor,
            agreement_id=agreement.id,
            subject_type="owner",
            subject_ids=[o.id for o in owners],  # the third has no consent: refused
        )
        db.session.commit()
        shared = sorted(("owner", o.id) for o in owners[:2])
        assert sorted(("owner", o.id) for o in result.decision.allowed) == shared
        share_seq = db.session.scalar(
            select(AccessEvent.seq).where(
                AccessEvent.action == "share", AccessEvent.outcome == "ok"
            )
        )
        sup_id = sup.id
    with app.app_context():
        assert incidents.affected_by_account(db.session, sup_id, START, END) == shared
        assert incidents.affected_by_account(db.session, sup_id, START, END, ["share"]) == shared
        assert incidents.affected_by_account(db.session, sup_id, START, END, ["export"]) == []
        assert incidents.affected_by_event(db.session, share_seq) == shared
