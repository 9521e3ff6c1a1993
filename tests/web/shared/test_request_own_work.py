"""The work every signed-in request does for itself (issue 21, per-request cost), made cheaper
without keeping anything of an account between requests: the account with its role and its
offices' ids in one statement (views/admin/auth.py), the access event on a connection of its
own (views/shared/audit_context.py), the navbar's fixed addresses built once per address root
(views/shared/fixed_urls.py). A changed role or office, a deactivated account and a lockdown
take effect on the very next request; the access event says what it said before."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from extensions import db
from models.admin.offices import Office
from models.admin.people import Role, User
from models.privacy.audit import AccessEvent
from services.admin import lockdown
from services.admin.offices import visible_office_ids
from services.privacy import audit
from tests.factories import PASSWORD, make_prospect, make_user
from tests.web.second_office import MARK_B, default_office_id, make_office_b
from views.admin.auth import load_user
from views.shared import audit_context, fixed_urls


def _set_role(app, user_id: int, code: str) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        user.role = db.session.scalar(select(Role).where(Role.code == code))
        db.session.commit()


def test_a_role_change_holds_on_the_next_request(app, client, login_as):
    user_id = login_as("supervisor")
    page = client.get("/admin/prospect/")
    assert page.status_code == 200
    assert b'id="approvals-badge"' in page.data  # a supervisor approves
    assert client.get("/admin/approvals/").status_code == 200

    _set_role(app, user_id, "clerk")
    page = client.get("/admin/prospect/")
    assert page.status_code == 200
    assert b'id="approvals-badge"' not in page.data  # the navbar of a clerk, at once
    assert client.get("/admin/approvals/").status_code in (302, 403)

    _set_role(app, user_id, "supervisor")
    assert b'id="approvals-badge"' in client.get("/admin/prospect/").data


def test_an_office_change_holds_on_the_next_request(app, client, login_as):
    with app.app_context():
        office_b = make_office_b(db.session)
        card_id = make_prospect(db.session, name=f"{MARK_B}客户", office_id=office_b.id).id
        office_b_id = office_b.id
        db.session.commit()
    user_id = login_as("supervisor")
    details = f"/admin/prospect/details/?id={card_id}"
    assert client.get(details).status_code == 404
    assert MARK_B not in client.get("/admin/prospect/").get_data(as_text=True)

    with app.app_context():
        user = db.session.get(User, user_id)
        user.offices.append(db.session.get(Office, office_b_id))
        db.session.commit()
    assert client.get(details).status_code == 200
    assert MARK_B in client.get("/admin/prospect/").get_data(as_text=True)

    with app.app_context():
        user = db.session.get(User, user_id)
        user.offices = [office for office in user.offices if office.id != office_b_id]
        db.session.commit()
    assert client.get(details).status_code == 404


def test_a_deactivated_account_is_refused_on_the_next_request(app, client, login_as):
    user_id = login_as("supervisor")
    assert client.get("/admin/prospect/").status_code == 200
    with app.app_context():
        user = db.session.get(User, user_id)
        user.active = False
        db.session.commit()
    response = client.get("/admin/prospect/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_lockdown_holds_on_the_next_request_with_the_production_cache(app, client, login_as):
    """With the lockdown state kept as in production (not only under TESTING's no cache):
    the lockdown switched on in this process stops the next export."""
    app.config["LOCKDOWN_CACHE_SECONDS"] = lockdown.CACHE_SECONDS
    try:
        with app.app_context():
            make_prospect(db.session)
            db.session.commit()
        login_as("supervisor")
        export = "/admin/prospect/export/csv/"
        assert client.get(export).status_code == 200
        admin = app.test_client()
        with app.app_context():
            name = make_user(db.session, "admin").username
            db.session.commit()
        assert (
            admin.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
        )
        locked = admin.post("/admin/lockdown/lock/", data={"mode": "read_only", "note": "leak"})
        assert locked.status_code == 302
        assert client.get(export).status_code == 423
    finally:
        app.config.pop("LOCKDOWN_CACHE_SECONDS", None)
        lockdown.forget()


def test_the_loader_gives_the_account_its_offices(app):
    with app.app_context():
        office_b = make_office_b(db.session)
        both = make_user(db.session, "supervisor", username="two.offices")
        both.offices.append(office_b)
        none = make_user(db.session, "clerk", username="no.office")
        none.offices = []
        group = make_user(db.session, "admin", username="group.role")
        db.session.commit()
        expected = {default_office_id(db.session), office_b.id}
        ids = (both.id, none.id, group.id)
        db.session.remove()

        with app.test_request_context("/"):
            loaded = load_user(str(ids[0]))
            assert visible_office_ids(loaded) == frozenset(expected)
            # The relationship itself still loads, with the same offices.
            assert {office.id for office in loaded.offices} == expected
            assert visible_office_ids(load_user(str(ids[1]))) == frozenset()
            assert visible_office_ids(load_user(str(ids[2]))) is None  # every office
            assert load_user("nobody") is None
            assert load_user("987654") is None
        db.session.remove()


def test_the_account_statement_is_one_with_its_role_and_offices(app, client, login_as):
    from sqlalchemy import event

    login_as("supervisor")
    client.get("/admin/prospect/")
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            assert client.get("/admin/prospect/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    accounts = [s for s in seen if "FROM users" in s and "user_offices" in s]
    assert len(accounts) == 1 and "roles" in accounts[0]
    assert not [
        s for s in seen if "FROM offices" in s and "user_offices" in s and s not in accounts
    ]


def test_a_list_page_event_says_what_it_said_before(app, client, login_as):
    with app.app_context():
        ids = sorted(make_prospect(db.session).id for _ in range(3))
        db.session.commit()
    user_id = login_as("supervisor")
    response = client.get("/admin/prospect/?search=王伟", headers={"X-Request-ID": "req-own-0001"})
    assert response.status_code == 200
    with app.app_context():
        event = db.session.scalars(select(AccessEvent).order_by(AccessEvent.seq.desc())).first()
        user = db.session.get(User, user_id)
        assert (event.action, event.record_type, event.outcome) == ("search", "prospect", "ok")
        assert (event.user_id, event.username, event.role) == (user.id, user.username, "supervisor")
        assert sorted(int(i) for i in event.record_ids.split(",")) == ids
        assert event.term_hmac == audit.term_hmac("王伟")
        assert event.request_id == "req-own-0001"
        assert event.path == "/admin/prospect/"
        assert event.ip == "127.0.0.1"
        assert audit.verify(db.session).ok


def test_a_look_that_cannot_be_logged_shows_nothing(app, client, login_as, monkeypatch):
    """Fail closed as before: the event's transaction fails, the page is not served."""
    with app.app_context():
        make_prospect(db.session, name="不可见客户")
        db.session.commit()
    login_as("supervisor")

    def broken(*args, **kwargs):
        raise RuntimeError("the access log cannot be written")

    monkeypatch.setattr(audit_context.audit, "record", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.get("/admin/prospect/")
    finally:
        app.config.pop("PROPAGATE_EXCEPTIONS", None)
    assert response.status_code >= 500
    assert "不可见客户" not in response.get_data(as_text=True)


def test_an_event_that_fails_midway_leaves_nothing(app, client, login_as, monkeypatch):
    """The event's statements are one transaction: a failure after the chain head moved
    rolls it back, and the chain still verifies."""
    login_as("supervisor")
    with app.app_context():
        before = db.session.scalar(select(AccessEvent.seq).order_by(AccessEvent.seq.desc()))
    real = audit.record

    def half(session, *args, **kwargs):
        real(session, *args, **kwargs)
        raise RuntimeError("after the insert")

    monkeypatch.setattr(audit_context.audit, "record", half)
    with app.test_request_context("/admin/prospect/"):
        with pytest.raises(RuntimeError):
            audit_context.log_in_own_transaction("list", fail_closed=True)
        audit_context.log_in_own_transaction("list")  # not fail closed: logged, swallowed
    monkeypatch.setattr(audit_context.audit, "record", real)
    with app.app_context():
        after = db.session.scalar(select(AccessEvent.seq).order_by(AccessEvent.seq.desc()))
        assert after == before
        assert audit.verify(db.session).ok


def test_fixed_addresses_are_url_for_per_address_root(app):
    app.extensions.pop("fixed_urls", None)
    endpoints = [
        ("approvals.index", {}),
        ("collisions.index", {}),
        ("archive_desk.index", {}),
        ("auth.logout", {}),
        ("static", {"filename": "panel.css"}),
    ]
    for root in ("", "/panel", "/other"):
        for _ in range(2):  # built, then kept
            with app.test_request_context("/admin/", base_url=f"http://localhost{root}/"):
                for endpoint, values in endpoints:
                    assert fixed_urls.fixed_url(endpoint, **values) == url_for(endpoint, **values)
                    assert fixed_urls.fixed_url(endpoint, **values).startswith(root + "/")
    with app.test_request_context("/admin/", base_url="https://elsewhere.example/"):
        assert fixed_urls.fixed_url("auth.logout") == url_for("auth.logout")


def test_fixed_addresses_are_kept_per_application_and_blueprint():
    from flask import Blueprint, Flask

    def app_with(prefix):
        other = Flask(__name__)
        for name in ("a", "b"):
            blueprint = Blueprint(name, __name__, url_prefix=f"{prefix}/{name}")
            blueprint.add_url_rule("/", "index", lambda: "")
            other.register_blueprint(blueprint)
        return other

    first, second = app_with(""), app_with("/v2")
    for app, prefix in ((first, ""), (second, "/v2")):
        for name in ("a", "b"):
            with app.test_request_context(f"{prefix}/{name}/"):
                # a relative endpoint names the request's own blueprint
                assert fixed_urls.fixed_url(".index") == f"{prefix}/{name}/"
                assert fixed_urls.fixed_url("a.index") == f"{prefix}/a/"


def test_the_navbar_links_follow_the_address_root(app, client, login_as):
    login_as("supervisor")
    body = client.get("/admin/prospect/").get_data(as_text=True)
    assert 'href="/admin/approvals/"' in body and 'action="/logout"' in body
    body = client.get("/admin/prospect/", base_url="http://localhost/panel/").get_data(as_text=True)
    assert 'href="/panel/admin/approvals/"' in body and 'action="/panel/logout"' in body
    assert 'href="/panel/static/panel.css' in body


def test_a_changed_session_key_is_used_on_the_next_request(app, client, login_as):
    """The session cookie's serializer is kept per set of keys: a new SECRET_KEY refuses the
    old cookie at once, unless the old key is listed in SECRET_KEY_FALLBACKS."""
    login_as("supervisor")
    assert client.get("/admin/prospect/").status_code == 200
    old_key = app.config["SECRET_KEY"]
    try:
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        app.config["SECRET_KEY"] = "another-test-secret-key"
        assert client.get("/admin/prospect/").status_code == 200  # the old key still verifies
        app.config["SECRET_KEY_FALLBACKS"] = []
        response = client.get("/admin/prospect/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    finally:
        app.config["SECRET_KEY"] = old_key
        app.config["SECRET_KEY_FALLBACKS"] = []
