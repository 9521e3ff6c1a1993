"""The lockdown across two app servers (gunicorn on two ports, one PostgreSQL): locked on
server A, server B refuses an export within a second; lifted on A (with a note), B lets it
through again within a second. Servers as in tests/web/admin/test_two_servers.py (marked
``two_servers``; skipped on SQLite or without Redis)."""

from __future__ import annotations

import time

import pytest

from extensions import db
from services.admin import lockdown
from tests.factories import PASSWORD, make_user
from tests.web.admin.test_two_servers import _call, servers  # noqa: F401 - the fixture

pytestmark = pytest.mark.two_servers


@pytest.fixture(scope="module", autouse=True)
def _production_cache_time():
    """The servers keep the state as long as in production (TESTING's default is no cache);
    set before ``servers`` starts them (autouse fixtures come first)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PANEL_LOCKDOWN_CACHE_SECONDS", str(lockdown.CACHE_SECONDS))
        yield


EXPORT = "/admin/prospect/export/csv/"
WITHIN = 1.0


def _sign_in(app, port, role, username):
    with app.app_context():
        make_user(db.session, role, username=username)
        db.session.commit()
    status, cookie, _ = _call(port, "POST", "/login", {"username": username, "password": PASSWORD})
    assert status == 302
    return cookie.split(";", 1)[0]


def _until(port, cookie, wanted: int) -> float:
    """Seconds until ``EXPORT`` on ``port`` answers ``wanted`` (fails past WITHIN)."""
    start = time.monotonic()
    while True:
        status = _call(port, "GET", EXPORT, cookie=cookie)[0]
        elapsed = time.monotonic() - start
        if status == wanted:
            return elapsed
        assert elapsed < WITHIN, f"still {status} after {elapsed:.2f} s"
        time.sleep(0.02)


def test_a_lockdown_on_one_server_holds_on_the_other_within_a_second(app, servers):  # noqa: F811
    first, second = servers
    admin = _sign_in(app, first, "admin", "lock_admin")
    supervisor = _sign_in(app, second, "supervisor", "lock_supervisor")
    # B answers the export, and has just read (and cached) "not locked"
    assert _call(second, "GET", EXPORT, cookie=supervisor)[0] == 200

    status, _, _ = _call(
        first, "POST", "/admin/lockdown/lock/", {"mode": "read_only", "note": "leak"}, admin
    )
    assert status == 302
    assert _until(second, supervisor, 423) < WITHIN

    # lifting without a note changes nothing, on either server
    status, _, _ = _call(first, "POST", "/admin/lockdown/lift/", {"note": ""}, admin)
    assert status == 400
    time.sleep(0.6)
    assert _call(second, "GET", EXPORT, cookie=supervisor)[0] == 423

    status, _, _ = _call(first, "POST", "/admin/lockdown/lift/", {"note": "closed"}, admin)
    assert status == 302
    assert _until(second, supervisor, 200) < WITHIN
