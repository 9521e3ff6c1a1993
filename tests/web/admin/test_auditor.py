"""The outside auditor (core/access.py AUDITOR): reads every office's lists and details with
numbers masked, changes, exports, reveals and prints nothing, every page it opens is logged;
a time-boxed account is refused after its last valid day and its session ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from core import access
from extensions import db
from models.admin.offices import Office
from models.admin.people import User
from models.privacy.audit import AccessEvent
from tests.factories import PASSWORD, make_prospect, make_user

pytestmark = pytest.mark.instant()

MOBILE = "13812345678"


@pytest.fixture
def two_offices(app):
    """A card in the group's first office and one in a second office; their ids."""
    with app.app_context():
        home = make_prospect(db.session, name="本部客户", mobile=MOBILE)
        other = Office(name="城南办", kind="combined", active=True)
        db.session.add(other)
        db.session.flush()
        away = make_prospect(db.session, name="城南客户", mobile="13900001111", office_id=other.id)
        db.session.commit()
        return home.id, away.id


def _auditor(app, client, today, **kwargs) -> int:
    with app.app_context():
        user = make_user(
            db.session, "auditor", offices=[], valid_until=kwargs.pop("until", today), **kwargs
        )
        user_id, name = user.id, user.username
        db.session.commit()
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return user_id


def test_the_auditor_reads_every_office_with_numbers_masked(app, client, two_offices, today):
    home, away = two_offices
    _auditor(app, client, today)
    listing = client.get("/admin/prospect/").get_data(as_text=True)
    assert "本部客户" in listing and "城南客户" in listing  # every office
    assert "138****5678" in listing and MOBILE not in listing
    details = client.get(f"/admin/prospect/details/?id={away}")
    assert details.status_code == 200
    page = details.get_data(as_text=True)
    assert "139****1111" in page and "13900001111" not in page
    assert 'id="reveal"' not in page  # no way to show full numbers...
    assert 'id="print-card"' not in page  # nor to print the card
    assert client.post(f"/admin/prospect/reveal/?id={home}").status_code == 403  # ...nor a POST


def test_the_auditor_changes_exports_and_prints_nothing(app, client, two_offices, today):
    home, _away = two_offices
    _auditor(app, client, today)
    refused = [
        ("GET", "/admin/prospect/new/"),
        ("GET", f"/admin/prospect/edit/?id={home}"),
        ("POST", "/admin/prospect/delete/"),
        ("GET", "/admin/prospect/export/csv/"),
        ("GET", "/admin/audit/export/csv/"),
        ("GET", "/admin/subject_request/new/"),
        ("GET", "/admin/user/new/"),
        ("POST", "/admin/subject_request/copy/?id=1"),
        ("GET", "/admin/subject_request/copy/print/?id=1"),
        ("GET", f"/admin/print/card/{home}/"),
        ("GET", "/admin/print/register/"),
        ("GET", "/admin/archive-register/export.xlsx"),
        ("GET", "/admin/analysis/customers/export.xlsx"),
        ("GET", "/admin/access-alerts/"),
        ("POST", "/admin/access-alerts/1/ack"),
        ("GET", "/admin/approvals/"),
        ("GET", "/admin/retention/"),
    ]
    answers = {
        (m, url): client.open(url, method=m, data={"id": str(home)}).status_code
        for m, url in refused
    }
    assert {k: v for k, v in answers.items() if v != 403} == {}
    for url in (
        "/admin/audit/",
        "/admin/user/",
        "/admin/compliance-review/",
        "/admin/spot-checks/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_auditors_home_says_what_it_may_and_until_when(app, client, today):
    _auditor(app, client, today)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="home-auditor"' in page and f"有效期至 {today.isoformat()}" in page
    assert "/admin/compliance-review/" in page


def test_the_auditors_rights_are_read_only_everywhere():
    for view, by_role in access.RIGHTS.items():
        granted = set().union(*(by_role[r] for r in access.TABLE_ROLES))
        assert by_role[access.AUDITOR] == frozenset(granted & {access.LIST, access.DETAILS}), view


def test_every_page_the_auditor_opens_is_logged(app, client, two_offices, today):
    home, _away = two_offices
    auditor_id = _auditor(app, client, today)
    paths = [
        "/admin/",
        "/admin/prospect/",
        "/admin/prospect/details/",
        "/admin/compliance-review/",
        "/admin/spot-checks/",
        "/admin/audit/",
    ]
    for path in paths:
        query = f"?id={home}" if "details" in path else ""
        assert client.get(path + query).status_code == 200, path
    with app.app_context():
        logged = list(
            db.session.scalars(
                select(AccessEvent.path).where(
                    AccessEvent.user_id == auditor_id, AccessEvent.action == "page"
                )
            )
        )
        # the details page is also a "details" event of the card, as for everyone
        opened = db.session.scalar(
            select(AccessEvent.record_id).where(
                AccessEvent.user_id == auditor_id, AccessEvent.action == "details"
            )
        )
    assert logged == paths
    assert opened == home


def test_an_auditors_account_needs_an_end_date(app, client, login_as, today):
    login_as("admin")
    with app.app_context():
        role_id = db.session.scalar(select(access_role_id()))
    data = {
        "username": "audit_firm",
        "password": "Ein-langes-Passwort-2026",
        "full_name": "外审甲",
        "role": str(role_id),
        "active": "y",
    }
    page = client.post("/admin/user/new/", data=data)
    assert page.status_code == 200  # the form again, with the reason
    assert "外部审计员的账号必须注明有效期至哪一天" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "audit_firm")) is None
    done = client.post("/admin/user/new/", data={**data, "valid_until": today.isoformat()})
    assert done.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "audit_firm"))
        assert user.valid_until == today and user.role_code == "auditor"


def access_role_id():
    from models.admin.people import Role

    return select(Role.id).where(Role.code == "auditor").scalar_subquery()


def test_a_time_boxed_account_is_refused_after_its_day(app, client, today):
    with app.app_context():
        make_user(db.session, "auditor", username="late", valid_until=today - timedelta(days=1))
        make_user(db.session, "clerk", username="clerk_ok", valid_until=today)
        db.session.commit()
    refused = client.post("/login", data={"username": "late", "password": PASSWORD})
    assert refused.status_code == 401
    text = refused.get_data(as_text=True)
    assert (today - timedelta(days=1)).isoformat() in text and "不能再登录" in text
    with app.app_context():
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "login_failed")
        ).one()
        assert event.outcome == "failed" and event.record_type == "user"
    # any account may be time-boxed; on its last day it still signs in
    ok = client.post("/login", data={"username": "clerk_ok", "password": PASSWORD})
    assert ok.status_code == 302


# 23:58 in Shanghai: the account's last valid day ends two minutes later.
@pytest.mark.instant("2026-11-25T15:58:00+00:00")
def test_a_session_ends_when_the_day_is_over(app, client, today, _travel):
    user_id = _auditor(app, client, today, until=today)
    assert client.get("/admin/compliance-review/").status_code == 200
    next_day = datetime.fromisoformat("2026-11-25T16:01:00+00:00")
    with time_machine.travel(next_day, tick=False):
        response = client.get("/admin/compliance-review/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"有效期至 {today.isoformat()}" in page
    with app.app_context():
        ended = db.session.scalar(
            select(AccessEvent.action).where(
                AccessEvent.user_id == user_id, AccessEvent.action == "session_revoked"
            )
        )
    assert ended == "session_revoked"


def test_a_request_page_offers_the_auditor_no_step(app, client, two_offices, today):
    from models.privacy.privacy import SubjectRequest

    home, _away = two_offices
    with app.app_context():
        ids = []
        for kind in ("copy", "delete"):
            request = SubjectRequest(
                kind=kind,
                subject_type="prospect",
                subject_id=home,
                received_on=today,
                due_on=today + timedelta(days=21),
            )
            db.session.add(request)
            db.session.flush()
            ids.append(request.id)
        db.session.commit()
    _auditor(app, client, today)
    for request_id in ids:
        page = client.get(f"/admin/subject_request/details/?id={request_id}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'id="download-copy"' not in text and 'id="ask-anonymise"' not in text
    assert client.post(f"/admin/subject_request/copy/?id={ids[0]}").status_code == 403
