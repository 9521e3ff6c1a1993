"""Sign-in throttling that spares an office behind one address, the owner told of failed
sign-ins, session ends in the access log, and forwarded addresses believed only from the
configured proxies (views/admin/auth.py, views/shared/security.py, views/shared/serving.py).
"""

from __future__ import annotations

import time

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.clock import office_time
from extensions import db
from models.admin.people import User
from models.privacy.audit import AccessEvent
from tests.factories import PASSWORD, make_user
from tests.web.conftest import as_chinese_reader_sees as _zh
from views.shared.security import BOUND_ADDRESS, LAST_SEEN, SIGNED_IN_AT

WRONG = "not-the-password-1"
TOLD = (
    "%(count)d failed sign-ins to your account since your last sign-in, the last"
    " at %(when)s. If that was not you, tell the administrator."
)


# Every test here starts with no failed sign-in counted, and leaves none behind.
pytestmark = pytest.mark.usefixtures("fresh_limits")


def _user(app, username: str = "li") -> int:
    with app.app_context():
        user = make_user(db.session, "clerk", username=username)
        db.session.commit()
        return user.id


def _sign_in(client, username="li", password=PASSWORD, address="127.0.0.1", forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def _events(app, action: str) -> list[AccessEvent]:
    with app.app_context():
        query = select(AccessEvent).where(AccessEvent.action == action).order_by(AccessEvent.seq)
        return list(db.session.scalars(query))


# --- 1. throttling per account and per address -------------------------------------------------
def test_an_office_behind_one_address_is_not_locked_out_by_a_colleagues_failures(app, client):
    _user(app, "wang")
    for n in range(25):  # more than the old address limit of 20
        assert _sign_in(client, f"typo{n % 4}", WRONG, "10.1.1.1").status_code in (401, 429)
    assert _sign_in(client, "wang", PASSWORD, "10.1.1.1").status_code == 302


def test_the_account_limit_stays_five_and_the_address_limit_still_holds(app, client, config):
    _user(app)
    for _ in range(5):
        assert _sign_in(client, password=WRONG, address="10.1.1.2").status_code == 401
    assert _sign_in(client, address="10.1.1.3").status_code == 429
    config(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    for n in range(3):
        assert _sign_in(client, f"guess{n}", WRONG, "10.1.1.4").status_code == 401
    _user(app, "zhao")
    assert _sign_in(client, "zhao", PASSWORD, "10.1.1.4").status_code == 429


def test_the_owner_is_told_of_failed_sign_ins_at_the_next_sign_in(app, client):
    user_id = _user(app)
    for _ in range(3):
        assert _sign_in(client, " li ", WRONG).status_code == 401
    _sign_in(client, "nobody", WRONG)  # another name: not this account's
    failures = [e for e in _events(app, "login_failed") if e.record_id == user_id]
    assert len(failures) == 3 and all(e.record_type == "user" for e in failures)
    assert all(e.username is None and e.outcome == "failed" for e in failures)

    response = _sign_in(client)
    assert response.status_code == 302
    told = _zh(app, TOLD, count=3, when=office_time(failures[-1].at))
    assert told in client.get(response.headers["Location"]).get_data(as_text=True)

    # Told once: the next sign-in counts from this one.
    client.post("/logout")
    page = client.get(_sign_in(client).headers["Location"]).get_data(as_text=True)
    assert _zh(app, TOLD, count=3, when=office_time(failures[-1].at)) not in page
    assert "failed sign-ins to your account" not in page


# --- 2. sign-out, expiry and revocation are access events -----------------------------------
def test_sign_out_is_an_access_event(app, client):
    user_id = _user(app)
    _sign_in(client)
    client.post("/logout")
    (event,) = _events(app, "logout")
    assert event.user_id == user_id and event.username == "li"
    # Signing out without a session writes nothing.
    client.post("/logout")
    assert len(_events(app, "logout")) == 1


@pytest.mark.parametrize(
    ("idle", "since_sign_in"), [(30 * 60 + 1, 0), (0, 10 * 3600 + 1)], ids=["idle", "absolute"]
)
def test_an_expired_session_is_an_access_event(app, client, idle, since_sign_in):
    user_id = _user(app)
    _sign_in(client)
    with client.session_transaction() as session:
        now = int(time.time())
        session[LAST_SEEN] = now - idle
        session[SIGNED_IN_AT] = now - max(idle, since_sign_in)
    assert client.get("/admin/").status_code == 302
    (event,) = _events(app, "session_expired")
    assert event.user_id == user_id


def test_a_revoked_session_is_an_access_event(app, client):
    user_id = _user(app)
    _sign_in(client)
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/admin/").status_code == 302
    (event,) = _events(app, "session_revoked")
    assert event.user_id == user_id


def test_a_session_without_its_stamps_is_revoked_on_the_record(app, client):
    user_id = _user(app)
    _sign_in(client)
    with client.session_transaction() as session:
        del session[SIGNED_IN_AT]
    assert client.get("/admin/").status_code == 302
    (event,) = _events(app, "session_revoked")
    assert event.user_id == user_id


def test_session_end_actions_have_labels(app):
    from views.privacy.audit import action_label

    with app.test_request_context(), force_locale("zh_Hans_CN"):
        for code in ("logout", "session_expired", "session_revoked"):
            assert action_label(code) != code


# --- 3. forwarded addresses only from the configured proxies -------------------------------
def _bound(client) -> str:
    with client.session_transaction() as session:
        return session[BOUND_ADDRESS]


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(app, client, config):
    config(TRUSTED_PROXIES=0)
    _user(app)
    _sign_in(client, address="10.2.0.5", forwarded="203.0.113.9")
    assert _bound(client) == "10.2.0.5"


def test_a_configured_proxy_s_forwarded_for_is_believed(app, client, config):
    config(TRUSTED_PROXIES=1)
    _user(app)
    _sign_in(client, address="127.0.0.1", forwarded="203.0.113.9")
    assert _bound(client) == "203.0.113.9"


def test_forwarded_for_from_a_client_that_is_not_the_proxy_is_ignored(app, client, config):
    config(TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES="192.0.2.1, 192.0.2.2")
    _user(app)
    _sign_in(client, address="10.2.0.5", forwarded="203.0.113.9")
    assert _bound(client) == "10.2.0.5"
    client.post("/logout", environ_base={"REMOTE_ADDR": "10.2.0.5"})
    _sign_in(client, address="192.0.2.2", forwarded="203.0.113.9")
    assert _bound(client) == "203.0.113.9"


def test_a_copied_cookie_with_the_victims_forged_address_is_refused(app, client, config):
    config(TRUSTED_PROXIES=1)
    user_id = _user(app)
    _sign_in(client, address="10.2.0.5")
    assert client.get("/admin/", environ_base={"REMOTE_ADDR": "10.2.0.5"}).status_code == 200
    # The same cookie from another machine, claiming the victim's address.
    response = client.get(
        "/admin/", environ_base={"REMOTE_ADDR": "10.2.0.6"}, headers={"X-Forwarded-For": "10.2.0.5"}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    (event,) = _events(app, "session_revoked")
    assert event.user_id == user_id and event.ip == "10.2.0.6"


def test_forged_forwarded_for_does_not_escape_the_address_limit(app, client, config):
    config(TRUSTED_PROXIES=1, LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    for n in range(2):
        response = _sign_in(client, f"g{n}", WRONG, "10.2.0.7", forwarded=f"198.51.100.{n}")
        assert response.status_code == 401
    assert _sign_in(client, "g9", WRONG, "10.2.0.7", forwarded="198.51.100.9").status_code == 429


def test_a_nul_in_the_account_name_is_a_refused_sign_in_not_an_error(app, client):
    response = client.post("/login", data={"username": "wang\x00fang", "password": "whatever-1"})
    assert response.status_code == 401  # the same as any wrong name or password
