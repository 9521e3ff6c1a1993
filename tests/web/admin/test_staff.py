"""The agreement-and-training gate on the server and the admin's staff pages: an account
without clearance sees what is missing and whom to ask, and nothing with customer data on any
kind of page (list, details, export, print, custom page); each refusal is in the access log;
the admin records a session for many accounts and they then work; the admin without clearance
still reaches the administration pages to record their own."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.admin.staff import StaffAgreement, TrainingCourse, TrainingRecord
from models.privacy.audit import AccessEvent
from services.admin import staff_clearance
from tests.factories import PASSWORD, make_prospect, make_user

pytestmark = pytest.mark.instant()

CUSTOMER_PAGES = {
    "list": "/admin/prospect/",
    "details": "/admin/prospect/details/?id={id}",
    "export": "/admin/prospect/export/csv/",
    "print": "/admin/print/card/{id}/",
    "custom page": "/admin/sales/followups/",
    "home": "/admin/",
}


def _sign_in(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def _blocked_events(app, username):
    with app.app_context():
        return db.session.scalars(
            select(AccessEvent).where(
                AccessEvent.action == "blocked", AccessEvent.username == username
            )
        ).all()


@pytest.fixture
def office(app):
    """An admin (cleared), a prospect, an untrained clerk and supervisor."""
    with app.app_context():
        admin = make_user(db.session, "admin", username="st_admin", full_name="管理员刘")
        prospect = make_prospect(db.session, name="王保密")
        clerk = make_user(db.session, "clerk", username="st_clerk", cleared=False)
        supervisor = make_user(db.session, "supervisor", username="st_sup", cleared=False)
        course = db.session.scalars(select(TrainingCourse)).first()
        db.session.commit()
        return {
            "admin": admin.id,
            "prospect": prospect.id,
            "clerk": clerk.id,
            "supervisor": supervisor.id,
            "course": course.id,
            "version": staff_clearance.current_version(db.session).id,
        }


def test_a_blocked_account_sees_what_is_missing_and_no_customer_data(app, client, office):
    response = _sign_in(client, "st_clerk")
    # the sign-in lands on home, which sends it to the clearance page
    home = client.get(response.location)
    assert home.status_code == 302 and home.location.endswith("/admin/clearance/")
    page = client.get("/admin/clearance/").get_data(as_text=True)
    assert 'data-missing="no_agreement"' in page and 'data-missing="no_training"' in page
    assert "管理员刘" in page  # whom to ask
    for kind, url in CUSTOMER_PAGES.items():
        response = client.get(url.format(id=office["prospect"]))
        body = response.get_data(as_text=True)
        assert response.status_code == 302, kind
        assert response.location.endswith("/admin/clearance/"), kind
        assert "王保密" not in body, kind
    # a POST changing customer data is refused the same way, nothing written
    response = client.post(f"/admin/prospect/edit/?id={office['prospect']}", data={"name": "改名"})
    assert response.status_code == 302 and response.location.endswith("/admin/clearance/")
    events = _blocked_events(app, "st_clerk")
    # each page once, home also right after the sign-in, and the edit form twice (the test
    # client opens it before posting, as a person would)
    assert len(events) == len(CUSTOMER_PAGES) + 3
    assert {e.outcome for e in events} == {"denied"}
    assert "/admin/prospect/export/csv/" in {e.path for e in events}
    # what stays open: sign-out, the language switch, health
    assert client.get("/healthz").status_code == 200
    assert client.post("/logout").status_code == 302


def test_the_admin_records_a_session_for_many_and_they_then_work(app, client, office, today):
    _sign_in(client, "st_admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="staff-blocked"' in page and "测试st_clerk" in page
    # the agreement of each, then one session for both
    for account in ("clerk", "supervisor"):
        response = client.post(
            f"/admin/staff/account/{office[account]}/agreement",
            data={
                "version": office["version"],
                "signed_on": today.isoformat(),
                "witness": office["admin"],
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    response = client.post(
        "/admin/staff/session/",
        data={
            "course": office["course"],
            "taken_on": today.isoformat(),
            "trainer": "外部讲师",
            "accounts": [office["clerk"], office["supervisor"]],
            "passed": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        trained = db.session.scalars(
            select(TrainingRecord.user_id).where(TrainingRecord.trainer == "外部讲师")
        ).all()
    assert sorted(trained) == sorted([office["clerk"], office["supervisor"]])
    page = client.get("/admin/staff/").get_data(as_text=True)
    assert f'id="staff-{office["clerk"]}" data-status="cleared"' in page
    client.post("/logout")

    _sign_in(client, "st_clerk")
    response = client.get("/admin/prospect/")
    assert response.status_code == 200
    assert "王保密" in response.get_data(as_text=True)
    assert _blocked_events(app, "st_clerk") == []


def test_refused_forms_keep_what_was_typed(app, client, office, today):
    _sign_in(client, "st_admin")
    response = client.post(
        "/admin/staff/session/",
        data={"course": office["course"], "taken_on": "2099-01-01", "trainer": "讲师乙"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "讲师乙" in page and "is-invalid" in page
    response = client.post(
        f"/admin/staff/account/{office['clerk']}/agreement",
        data={"version": office["version"], "signed_on": "not a date", "witness": office["admin"]},
    )
    assert response.status_code == 400 and "not a date" in response.get_data(as_text=True)


def test_the_scan_is_uploaded_and_its_download_logged(app, client, office, today):
    _sign_in(client, "st_admin")
    response = client.post(
        f"/admin/staff/account/{office['clerk']}/agreement",
        data={
            "version": office["version"],
            "signed_on": today.isoformat(),
            "witness": office["admin"],
            "scan": (io.BytesIO(b"%PDF-1.4 signed paper"), "signed.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        agreement = db.session.scalars(
            select(StaffAgreement).where(StaffAgreement.user_id == office["clerk"])
        ).one()
        agreement_id = agreement.id
    download = client.get(f"/admin/staff/agreement/{agreement_id}/scan")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 signed paper"
    with app.app_context():
        assert db.session.scalars(
            select(AccessEvent).where(
                AccessEvent.action == "export",
                AccessEvent.record_type == "staff_agreement",
                AccessEvent.record_id == agreement_id,
            )
        ).one()


def test_a_blocked_admin_reaches_only_the_administration_pages(app, client, office):
    with app.app_context():
        make_user(db.session, "admin", username="st_admin2", cleared=False)
        db.session.commit()
    _sign_in(client, "st_admin2")
    for url in ("/admin/staff/", "/admin/user/", "/admin/office-settings/", "/admin/clearance/"):
        assert client.get(url).status_code == 200, url
    page = client.get("/admin/clearance/").get_data(as_text=True)
    assert 'id="clearance-staff-link"' in page
    for url in ("/admin/prospect/", "/admin/", "/admin/audit/"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/admin/clearance/"), url


def test_other_roles_cannot_open_the_staff_pages(client, login_as):
    login_as("supervisor")
    assert client.get("/admin/staff/").status_code == 403
    assert client.post("/admin/staff/session/", data={}).status_code == 403


def test_the_staff_pages_speak_chinese_and_english(app, client, office, today):
    """The language walk of tests/web/shared/test_every_page_language.py, on these pages with
    records in every list (a blocked, a due and a cleared account, a scan)."""
    from tests.web.shared.test_english_interface import chinese_in_chrome
    from tests.web.shared.test_every_page_language import _enum_codes, chinese_page_findings

    _sign_in(client, "st_admin")
    client.post(
        f"/admin/staff/account/{office['clerk']}/agreement",
        data={
            "version": office["version"],
            "signed_on": today.isoformat(),
            "witness": office["admin"],
            "scan": (io.BytesIO(b"%PDF-1.4"), "signed.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    client.post("/admin/staff/courses/", data={"name": "年度复训"})
    client.post(
        "/admin/staff/versions/",
        data={"code": "2025 版", "title": "旧协议", "effective_from": "2025-01-01"},
    )
    urls = [
        "/admin/",
        "/admin/staff/",
        f"/admin/staff/account/{office['clerk']}/",
        f"/admin/staff/account/{office['admin']}/",
        "/admin/staff/session/",
        "/admin/staff/versions/",
        "/admin/staff/courses/",
        "/admin/clearance/",
        "/admin/office-settings/",
    ]
    with app.app_context():
        codes = _enum_codes()
        usernames = tuple(db.session.scalars(select(User.username)))
    findings = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found = chinese_page_findings(response.get_data(as_text=True), codes, usernames)
        if found:
            findings[url] = found
    assert not findings
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    with app.app_context():
        people = tuple(db.session.scalars(select(User.full_name)))
    data = tuple(
        sorted(
            {
                *people,
                "年度复训",
                "旧协议",
                "2025 版",
                "2026 版",
                "员工保密协议",
                "客户信息保护培训",
            },
            key=len,
            reverse=True,
        )
    )
    for url in urls:
        found = chinese_in_chrome(client.get(url).get_data(as_text=True), data)
        if found:
            findings[url] = found
    assert not findings


def test_a_worker_remembers_a_clearance_not_a_refusal(app, client, office, today, monkeypatch):
    """With the cache on (as in production): the rule runs once for a cleared account's pages
    of the day; a blocked account is checked at every page, so it works at the next page
    after its training is recorded."""
    from views.admin import staff as gate

    monkeypatch.setitem(app.config, "CLEARANCE_CACHE_SECONDS", 60)
    monkeypatch.setattr(gate, "_cleared", {})
    calls = []
    rule = staff_clearance.clearance

    def counted(*args, **kwargs):
        calls.append(1)
        return rule(*args, **kwargs)

    monkeypatch.setattr(staff_clearance, "clearance", counted)
    _sign_in(client, "st_clerk")
    for _ in range(2):
        assert client.get("/admin/prospect/").status_code == 302  # to the clearance page
    assert len(calls) == 2  # a refusal is never remembered
    with app.app_context():
        clerk = db.session.get(User, office["clerk"])
        from services.admin.staff import record_starting_clearance

        record_starting_clearance(db.session, clerk, today)
        db.session.commit()
    calls.clear()
    for _ in range(3):
        assert client.get("/admin/prospect/").status_code == 200
    assert len(calls) == 1
