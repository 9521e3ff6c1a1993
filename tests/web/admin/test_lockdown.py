"""The lockdown (services/admin/lockdown.py, views/admin/lockdown.py): every way customer data
leaves the panel stops while it holds and works again after it is lifted; other accounts read
only or may not sign in; lifting needs a note; both are access events; every page says so."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.incidents import Lockdown
from models.privacy.audit import AccessEvent
from services.admin import lockdown
from tests.factories import PASSWORD, make_prospect, make_user

BANNER = "lockdown"


def _lock(client, mode="read_only", note="Leak suspected"):
    return client.post("/admin/lockdown/lock/", data={"mode": mode, "note": note})


def _lift(client, note="Cause found and closed"):
    return client.post("/admin/lockdown/lift/", data={"note": note})


def _signed_in(app, role, **kwargs):
    """A second client signed in with ``role`` (the first stays the admin's)."""
    other = app.test_client()
    with app.app_context():
        user = make_user(db.session, role, **kwargs)
        name = user.username
        db.session.commit()
    assert other.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    return other


@pytest.fixture
def prospect_id(app):
    with app.app_context():
        prospect = make_prospect(db.session)
        db.session.commit()
        return prospect.id


def _stopped_calls(prospect_id):
    """(role, method, url, data) of every stopped kind of action."""
    return [
        # the base view's export (a supervisor's) and the access log's (the admin's)
        ("supervisor", "GET", "/admin/prospect/export/csv/", None),
        ("admin", "GET", "/admin/audit/export/csv/", None),
        # custom exports
        ("supervisor", "GET", "/admin/analysis/customers/export.xlsx", None),
        ("supervisor", "GET", "/admin/archive-register/export.xlsx", None),
        # a reveal of full numbers
        ("supervisor", "POST", f"/admin/prospect/reveal/?id={prospect_id}", {}),
        # the import of welcome cards
        ("clerk", "GET", "/admin/import/", None),
        # prints
        ("supervisor", "GET", f"/admin/print/card/{prospect_id}/", None),
        ("supervisor", "GET", "/admin/print/register/", None),
    ]


def test_every_stopped_action_is_refused_during_the_lockdown_and_works_after(
    app, client, login_as, prospect_id
):
    login_as("admin")
    clients = {"admin": client}
    for role in ("supervisor", "clerk"):
        clients[role] = _signed_in(app, role)
    calls = _stopped_calls(prospect_id)
    before = {
        url: clients[role].open(url, method=m, data=d).status_code for role, m, url, d in calls
    }
    assert all(status in (200, 302) for status in before.values()), before

    assert _lock(client).status_code == 302
    for role, method, url, data in calls:
        response = clients[role].open(url, method=method, data=data)
        assert response.status_code == 423, (role, url, response.status_code)
        # the panel speaks Chinese by default
        assert "系统已封锁" in response.get_data(as_text=True)

    assert _lift(client).status_code == 302
    after = {
        url: clients[role].open(url, method=m, data=d).status_code for role, m, url, d in calls
    }
    assert after == before


def test_the_refusal_is_in_chinese(app, client, login_as):
    login_as("admin")
    assert _lock(client).status_code == 302
    supervisor = _signed_in(app, "supervisor")
    supervisor.set_cookie("lang", "zh_Hans_CN")
    response = supervisor.get(
        "/admin/prospect/export/csv/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert response.status_code == 423
    page = response.get_data(as_text=True)
    assert "系统已封锁" in page and "lockdown" not in page


def test_read_only_mode_lets_others_read_but_change_nothing(app, client, login_as, prospect_id):
    login_as("admin")
    _lock(client, mode=lockdown.READ_ONLY)
    supervisor = _signed_in(app, "supervisor")
    page = supervisor.get("/admin/prospect/")
    assert page.status_code == 200
    assert 'id="lockdown-banner"' in page.get_data(as_text=True)
    response = supervisor.post(f"/admin/prospect/edit/?id={prospect_id}", data={"name": "改名"})
    assert response.status_code == 423
    with app.app_context():
        from models.sales.prospects import Prospect

        assert db.session.get(Prospect, prospect_id).name != "改名"
    # signing out still works
    assert supervisor.post("/logout").status_code == 302


def test_refuse_mode_ends_other_sessions_and_refuses_their_sign_in(app, client, login_as):
    login_as("admin")
    clerk = _signed_in(app, "clerk", username="clerk_in_lockdown")
    _lock(client, mode=lockdown.REFUSE)
    # a session already open ends at its next page
    response = clerk.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert clerk.get("/admin/").status_code == 302
    # signing in again is refused, with the reason
    fresh = app.test_client()
    response = fresh.post("/login", data={"username": "clerk_in_lockdown", "password": PASSWORD})
    assert response.status_code == 423
    assert fresh.get("/admin/").status_code == 302
    # the admin still signs in and works, and sees the banner
    other_admin = _signed_in(app, "admin")
    page = other_admin.get("/admin/")
    assert page.status_code == 200 and 'id="lockdown-banner"' in page.get_data(as_text=True)
    _lift(client)
    response = fresh.post("/login", data={"username": "clerk_in_lockdown", "password": PASSWORD})
    assert response.status_code == 302


def test_lifting_needs_a_note_and_both_are_access_events(app, client, login_as):
    admin_id = login_as("admin")
    assert _lock(client).status_code == 302
    response = _lift(client, note="   ")
    assert response.status_code == 400
    assert "请说明可以解除封锁的理由" in response.get_data(as_text=True)
    with app.app_context():
        assert lockdown.current(db.session) is not None
    assert _lift(client).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Lockdown)).all()
        assert len(rows) == 1
        assert rows[0].lifted_by_id == admin_id and rows[0].lift_note == "Cause found and closed"
        assert rows[0].start_note == "Leak suspected" and rows[0].started_by_id == admin_id
        actions = db.session.scalars(
            select(AccessEvent.action)
            .where(AccessEvent.record_type == lockdown.LOCKDOWN_RECORD, AccessEvent.outcome == "ok")
            .order_by(AccessEvent.seq)
        ).all()
        assert actions == ["lockdown", "lockdown_lift"]
    assert 'id="lockdown-banner"' not in client.get("/admin/").get_data(as_text=True)


def test_locking_twice_and_lifting_when_open_are_refused(client, login_as):
    login_as("admin")
    assert _lock(client).status_code == 302
    assert _lock(client).status_code == 400
    assert _lift(client).status_code == 302
    assert _lift(client).status_code == 400


def test_only_the_admin_switches(app, client, login_as):
    login_as("supervisor")
    assert client.get("/admin/lockdown/").status_code == 403
    assert _lock(client).status_code == 403
    with app.app_context():
        assert lockdown.current(db.session) is None


def test_a_lock_written_elsewhere_holds_here_within_the_cache_time(
    app, client, login_as, monkeypatch
):
    """Another server's lock is a row in the database: this process obeys once its cached
    state is older than LOCKDOWN_CACHE_SECONDS (0.5 s in production; none by default under
    TESTING, set here)."""
    monkeypatch.setitem(app.config, "LOCKDOWN_CACHE_SECONDS", lockdown.CACHE_SECONDS)
    login_as("admin")
    url = "/admin/audit/export/csv/"
    assert client.get(url).status_code == 200  # the state "off" is now cached here
    with app.app_context():
        db.session.add(Lockdown(start_note="from server B", non_admin_mode=lockdown.READ_ONLY))
        db.session.commit()
    deadline = time.monotonic() + 1.0
    while client.get(url).status_code != 423:
        assert time.monotonic() < deadline, "the lock did not hold within a second"
        time.sleep(0.05)


def test_the_state_is_read_at_most_once_per_cache_time(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOCKDOWN_CACHE_SECONDS", 60)
    with app.app_context():
        assert lockdown.is_active(db.session) is False
        db.session.add(Lockdown(start_note="elsewhere", non_admin_mode=lockdown.REFUSE))
        db.session.commit()
        assert lockdown.is_active(db.session) is False  # the cached state, for 60 s
        lockdown.forget()
        assert lockdown.state(db.session) == lockdown.State(True, lockdown.REFUSE)


def test_an_unreadable_switch_stops_what_it_would_stop(app, client, login_as, monkeypatch):
    """When the lockdown's state cannot be read (the database does not answer), an export is
    not let through unchecked: the "try again" page (503); a plain page goes on as before."""
    from sqlalchemy.exc import OperationalError

    def unreadable(_session):
        raise OperationalError("SELECT lockdowns", {}, Exception("database is locked"))

    login_as("supervisor")
    monkeypatch.setattr(lockdown, "state", unreadable)
    response = client.get("/admin/prospect/export/csv/")
    assert response.status_code == 503
    assert "请稍后重试" in response.get_data(as_text=True)
    assert client.get("/admin/prospect/").status_code == 200
