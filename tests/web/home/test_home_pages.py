"""Each role's home page shows exactly the counts of a hand-made fixture, each number
linking to the page behind it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from extensions import db
from models.admin.offices import default_office_id
from models.admin.people import User
from models.archive.archive_desk import LookupRequest
from models.archive.archives import ArchiveFile
from models.base import utcnow
from models.dealers.dealers import Dealer, DealerDataCard
from models.privacy.audit import AccessEvent
from models.property.property import Owner
from models.sales.daily import AccessAlert
from models.sales.sales import DayReport, WeeklySnapshot
from models.shared.approvals import ChangeRequest
from services.sales.followups import office_today
from tests.factories import make_prospect, make_user, make_visit, ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def counts(html: str) -> dict[str, int]:
    """Every number tile on the page: its key and value."""
    return {
        key: int(value)
        for key, value in re.findall(
            r'id="stat-([a-z-]+)"[^>]*>\s*<div class="card-body[^"]*">\s*'
            r'<div class="home-stat-value" data-count="(\d+)"',
            html,
        )
    }


def _links(html: str) -> dict[str, str]:
    return dict(re.findall(r'class="card home-stat[^"]*" id="stat-([a-z-]+)" href="([^"]+)"', html))


def _request(session, by: int, status: str = "pending") -> None:
    session.add(
        ChangeRequest(
            record_type="prospect",
            record_id=1,
            record_version=1,
            kind="update",
            changes={},
            reason="r",
            requested_by_id=by,
            status=status,
            office_id=default_office_id(session),  # filing sets the record's office
        )
    )


def _file(session, code: str) -> ArchiveFile:
    record = ArchiveFile(code=code, title="档案", room="一号档案室")
    session.add(record)
    session.flush()
    return record


def _lookup(session, file: ArchiveFile, by: int, status: str, mode="take_out", due_on=None):
    session.add(
        LookupRequest(
            file_id=file.id,
            requested_by_id=by,
            reason="工作需要",
            mode=mode,
            status=status,
            due_on=due_on,
        )
    )


def test_clerk_home_counts(app, client, login_as):
    clerk_id = login_as("clerk", username="li")
    today = office_today()
    with app.app_context():
        s = db.session
        other = make_user(s, "clerk")
        mine = {"consultant_id": clerk_id, "created_by_id": clerk_id}
        # first follow-up due today (visited 3 days ago) and overdue (7 days ago)
        due = make_prospect(s, first_visit_on=today - timedelta(days=3), **mine)
        make_visit(s, due, visited_on=due.first_visit_on, created_by_id=clerk_id)
        late = make_prospect(s, first_visit_on=today - timedelta(days=7), **mine)
        make_visit(s, late, visited_on=late.first_visit_on, created_by_id=clerk_id)
        # an appointment promised for today at the second visit: due
        appt = make_prospect(s, first_visit_on=today - timedelta(days=10), **mine)
        make_visit(s, appt, visited_on=today - timedelta(days=10), created_by_id=clerk_id)
        make_visit(
            s,
            appt,
            visited_on=today - timedelta(days=2),
            next_appointment_on=today,
            created_by_id=clerk_id,
        )
        # someone else's card is not mine; a card I entered two days ago is not today's
        make_prospect(s, first_visit_on=today - timedelta(days=3), consultant_id=other.id)
        make_prospect(
            s,
            first_visit_on=today - timedelta(days=40),
            created_at=utcnow() - timedelta(days=2),
            **mine,
        )
        s.add(Owner(name="赵六", created_by_id=clerk_id))
        for status in ("pending", "pending", "approved"):
            _request(s, clerk_id, status)
        _request(s, other.id)
        f1, f2, f3 = _file(s, "F1"), _file(s, "F2"), _file(s, "F3")
        _lookup(s, f1, clerk_id, "requested")
        _lookup(s, f2, clerk_id, "handed_out", due_on=today)
        _lookup(s, f3, clerk_id, "returned")
        _lookup(s, f3, other.id, "requested")
        s.commit()
    html = client.get("/admin/").get_data(as_text=True)
    assert counts(html) == {
        "followups-due": 2,
        "followups-overdue": 1,
        "pending-requests": 2,
        "open-lookups": 2,
        "entered-cards": 3,
        "entered-receptions": 4,
        "entered-other": 1,
        "my-complaints": 0,  # counted in tests/web/care/test_complaints.py
    }
    assert _links(html)["followups-due"] == "/admin/sales/followups/"
    assert _links(html)["pending-requests"] == "/admin/my-requests/"


def test_supervisor_home_counts_and_charts(app, client, login_as):
    sup_id = login_as("supervisor")
    today = office_today()
    with app.app_context():
        s = db.session
        ann = make_user(s, "clerk", full_name="安娜")
        bo = make_user(s, "clerk", full_name="博文")
        for _ in range(3):
            p = make_prospect(s, consultant_id=ann.id)
            make_visit(s, p, consultant_id=ann.id, visited_on=today)
        p = make_prospect(s, consultant_id=bo.id)
        make_visit(s, p, consultant_id=bo.id, visited_on=today)
        make_visit(s, p, consultant_id=bo.id, visited_on=today - timedelta(days=1))
        s.add(DayReport(consultant_id=ann.id, day=today, reported_count=3))
        s.add(DayReport(consultant_id=bo.id, day=today, reported_count=2))
        _request(s, ann.id)
        _request(s, bo.id)
        _request(s, sup_id)  # my own request does not wait for me
        _lookup(s, _file(s, "C1"), ann.id, "requested", mode="copy")
        for saturday, b, c in (
            (today - timedelta(days=14), 4, 7),
            (today - timedelta(days=7), 5, 6),
        ):
            s.add(WeeklySnapshot(week_ending=saturday, consultant_id=None, b_count=b, c_count=c))
        region = ref_item(s, "region")
        late_on = today - timedelta(days=30)
        s.add(
            Dealer(name="甲经销", region_id=region.id, status="signed", contract_signed_on=late_on)
        )
        s.add(Dealer(name="乙经销", region_id=region.id, status="signed", contract_signed_on=today))
        s.commit()
    html = client.get("/admin/").get_data(as_text=True)
    assert counts(html) == {
        "requests-waiting": 2,
        "copies-waiting": 1,
        "dealers-due": 1,
        "dealers-late": 1,
        # counted in tests/web/care/test_complaints.py
        "complaints-open": 0,
        "complaints-overdue": 0,
    }
    rows = dict(re.findall(r'<a href="[^"]+">([^<]+)</a></td>\s*<td class="entered">(\d+)', html))
    assert rows == {"安娜": "3", "博文": "1"}
    assert 'class="badge badge-danger"' in html  # 博文 entered 1, reported 2
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="day-cards-chart"' in html
    assert 'id="weekly-chart"' in html and "Noto Sans CJK SC" in html
    assert html.count('class="bar-entered"') == 2
    assert 'id="weekly-numbers"' in html


def test_custodian_home_counts(app, client, login_as):
    login_as("custodian")
    today = office_today()
    with app.app_context():
        s = db.session
        clerk = make_user(s, "clerk")
        files = [_file(s, f"K{i}") for i in range(7)]
        _lookup(s, files[0], clerk.id, "requested")  # to decide
        _lookup(s, files[1], clerk.id, "approved_by_superior", mode="copy")  # to decide
        _lookup(s, files[2], clerk.id, "requested", mode="copy")  # waits for the superior
        _lookup(s, files[3], clerk.id, "approved")  # to hand out
        _lookup(s, files[4], clerk.id, "handed_out", due_on=today)  # out
        _lookup(s, files[5], clerk.id, "handed_out", due_on=today - timedelta(days=1))  # overdue
        _lookup(s, files[6], clerk.id, "returned")
        s.commit()
    html = client.get("/admin/").get_data(as_text=True)
    # The seven files were never checked: all are due for their recheck.
    assert counts(html) == {
        "to-decide": 2,
        "to-hand-out": 1,
        "out-now": 1,
        "overdue": 1,
        "recheck-due": 7,
    }
    assert set(_links(html).values()) == {"/admin/archive-desk/", "/admin/archive-recheck/"}


def test_region_manager_home_shows_only_their_region(app, client, login_as):
    today = office_today()
    with app.app_context():
        s = db.session
        east, west = ref_item(s, "region", "east"), ref_item(s, "region", "west")
        east_id, west_id = east.id, west.id
        s.commit()
    manager_id = login_as("region_manager", region_id=east_id)
    with app.app_context():
        s = db.session
        old = today - timedelta(days=30)
        s.add(Dealer(name="东一", region_id=east_id, status="signed", contract_signed_on=old))
        s.add(Dealer(name="东二", region_id=east_id, status="signed", contract_signed_on=old))
        s.add(Dealer(name="东三", region_id=east_id, status="signed", contract_signed_on=today))
        done = Dealer(name="东四", region_id=east_id, status="signed", contract_signed_on=old)
        s.add(done)
        s.add(Dealer(name="西一", region_id=west_id, status="signed", contract_signed_on=old))
        s.flush()
        s.add(DealerDataCard(dealer_id=done.id, filled_on=today))
        s.commit()
    html = client.get("/admin/").get_data(as_text=True)
    # Signed dealers only here: no potential-dealer file or directory entry is open.
    assert counts(html) == {
        "dealers-due": 1,
        "dealers-late": 2,
        "dealer-files-due": 0,
        "directory-gaps": 0,
    }
    assert "东一" in html and "西一" not in html
    with app.app_context():
        assert db.session.query(AccessEvent).filter_by(user_id=manager_id, action="list").count()


def test_admin_home_counts_and_acknowledges_from_home(app, client, login_as):
    login_as("admin")
    with app.app_context():
        s = db.session
        make_user(s, "clerk")
        make_user(s, "clerk").active = False
        at = datetime(2026, 11, 20, 1, 0)
        for user_id in (7, 8):
            s.add(
                AccessAlert(
                    rule_code="off_hours",
                    user_id=user_id,
                    username=f"u{user_id}",
                    window_start=at,
                    window_end=at + timedelta(days=1),
                    value=1,
                )
            )
        s.add(
            AccessAlert(
                rule_code="records_per_hour",
                user_id=9,
                window_start=at,
                window_end=at + timedelta(hours=1),
                value=80,
                acknowledged_at=at,
                ack_note="checked",
            )
        )
        s.commit()
        accounts = s.query(User).filter_by(active=True).count()
        lists = s.execute(db.text("select count(*) from reference_lists")).scalar()
        alert_id = s.query(AccessAlert).filter_by(user_id=7).one().id
    html = client.get("/admin/").get_data(as_text=True)
    assert counts(html) == {"accounts": accounts, "reference-lists": lists, "open-alerts": 2}
    assert accounts == 2  # the admin and one active clerk
    response = client.post(
        f"/admin/access-alerts/{alert_id}/ack", data={"note": "", "back": "home"}
    )
    assert counts(client.get("/admin/").get_data(as_text=True))["open-alerts"] == 2
    response = client.post(
        f"/admin/access-alerts/{alert_id}/ack", data={"note": "夜班值守，正常", "back": "home"}
    )
    assert response.headers["Location"].endswith("/admin/")
    assert counts(client.get("/admin/").get_data(as_text=True))["open-alerts"] == 1
