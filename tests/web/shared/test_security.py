"""Hardened sign-in, sessions and security headers (views/shared/security.py).

- throttling: failed sign-ins per account name and per address, failures only, one answer
  whether the account exists or not, nothing checked while locked out, Redis as the store;
- sessions: a new id at sign-in, idle and absolute timeouts, deactivated accounts, cookie flags;
- headers: CSP with a per-request nonce, no framing, nosniff, referrer, no-store;
- no state change on GET, checked on the URL map and by requesting every GET rule.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, select

import views.admin.auth
from core import access
from demo.seed import seed_demo
from extensions import db, limiter
from models.admin.offices import Office
from models.admin.people import User
from services.admin import login_guard
from tests.factories import PASSWORD, make_prospect, make_user
from tests.factories import login_as as factory_login_as
from tests.keys import TEST_KEYS
from tests.web.conftest import as_chinese_reader_sees as _zh
from views.shared.security import LAST_SEEN, SESSION_ID, SIGNED_IN_AT

ROOT = Path(__file__).resolve().parents[3]
WRONG = "not-the-password-1"


# Every test here starts with no failed sign-in counted, and leaves none behind.
pytestmark = pytest.mark.usefixtures("fresh_limits")


def _user(app, username: str = "li", **kwargs) -> int:
    with app.app_context():
        user = make_user(db.session, "clerk", username=username, **kwargs)
        db.session.commit()
        return user.id


def _sign_in(client, username: str = "li", password: str = PASSWORD, address: str = "127.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- 1. throttling ----------------------------------------------------------------------------
def test_account_is_locked_after_its_failures_without_checking_the_password(
    app, client, config, monkeypatch
):
    config(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    _user(app)
    for _ in range(3):
        assert _sign_in(client, password=WRONG).status_code == 401

    checked = []
    monkeypatch.setattr(views.admin.auth, "authenticate", lambda *a, **k: checked.append(a))
    locked = _sign_in(client)  # even the right password
    assert locked.status_code == 429
    assert checked == []  # no password was checked
    page = _page(locked)
    assert _zh(app, "Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes=15) in (
        page
    )
    assert 'name="password"' in page
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert locked.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in locked.headers["Content-Security-Policy"]


def test_the_lock_follows_the_account_name_from_any_address_and_spelling(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    _user(app)
    for address, spelling in (("10.0.0.1", "li"), ("10.0.0.2", "LI"), ("10.0.0.3", " Li ")):
        assert _sign_in(client, spelling, WRONG, address).status_code == 401
    assert _sign_in(client, "li", PASSWORD, "10.0.0.9").status_code == 429
    # Other accounts are not affected.
    _user(app, "wang")
    assert _sign_in(client, "wang", PASSWORD, "10.0.0.9").status_code == 302


def test_locked_answer_is_the_same_for_known_and_unknown_accounts(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    _user(app)
    for name in ("li", "nobody"):
        for _ in range(2):
            assert _sign_in(client, name, WRONG).status_code == 401
    known = _sign_in(client, "li", WRONG)
    unknown = _sign_in(client, "nobody", WRONG)
    assert known.status_code == unknown.status_code == 429
    assert (
        known.headers["Retry-After"] == unknown.headers["Retry-After"]
        or abs(int(known.headers["Retry-After"]) - int(unknown.headers["Retry-After"])) <= 1
    )
    # The pages differ only by the name typed back into the form.
    assert _page(known).replace('value="li"', "") == _page(unknown).replace('value="nobody"', "")


def test_successful_sign_ins_use_up_nothing(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="2 per 15 minutes")
    _user(app)
    for _ in range(6):
        assert _sign_in(client).status_code == 302
        assert client.post("/logout").status_code == 302
    # One failure after all those successes is still allowed, and so is signing in again.
    assert _sign_in(client, password=WRONG).status_code == 401
    assert _sign_in(client).status_code == 302


def test_an_address_is_limited_across_account_names(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="5 per 15 minutes", LOGIN_LIMIT_PER_ADDRESS="4 per 15 minutes")
    _user(app)
    for n in range(4):
        assert _sign_in(client, f"guess{n}", WRONG, "10.0.0.7").status_code == 401
    assert _sign_in(client, "li", PASSWORD, "10.0.0.7").status_code == 429
    # Another address still signs in.
    assert _sign_in(client, "li", PASSWORD, "10.0.0.8").status_code == 302


def test_get_of_the_sign_in_page_is_never_limited(app, client, config):
    config(LOGIN_LIMIT_PER_ADDRESS="1 per 15 minutes")
    assert _sign_in(client, "x", WRONG).status_code == 401
    for _ in range(5):
        assert client.get("/login").status_code == 200


def test_the_lock_lifts_when_the_window_has_passed(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="2 per 2 seconds")
    _user(app)
    for _ in range(2):
        assert _sign_in(client, password=WRONG).status_code == 401
    assert _sign_in(client).status_code == 429
    time.sleep(2.2)
    assert _sign_in(client).status_code == 302


def test_failure_counters_never_hold_the_typed_name(app, client, config):
    config(LOGIN_LIMIT_PER_ACCOUNT="1 per 15 minutes")
    _sign_in(client, "my-secret-password-typed-as-name", WRONG)
    dump = repr(vars(limiter.storage))
    assert "my-secret-password-typed-as-name" not in dump
    assert "account:" in dump


def _redis_or_skip(url: str):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return connection


def test_redis_store_holds_the_counters_for_every_worker(app):
    """With RATELIMIT_STORAGE_URI set, the failures live in Redis, where every worker process
    and app server reads them: a second app (another worker) sees the lock of the first."""
    from app import create_app

    url = "redis://127.0.0.1:6379/0"
    connection = _redis_or_skip(url)
    # Names and address of this run only, so a shared Redis is neither read nor cleared.
    run = uuid.uuid4().hex[:10]
    username, address = f"li{run}", f"10.{int(run[:2], 16)}.{int(run[2:4], 16)}.7"
    account = login_guard.account_key(username, app.config["SECRET_KEY"].encode())

    def worker():
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": app.config["SECRET_KEY"],
                "AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                **TEST_KEYS,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_STORAGE_URI": url,
                "LOGIN_LIMIT_PER_ACCOUNT": "2 per 15 minutes",
            }
        )

    def our_keys() -> list[str]:
        keys = [*connection.scan_iter(f"*{account}*"), *connection.scan_iter(f"*{address}/*")]
        return [key.decode() for key in keys]

    _user(app, username)
    workers = [worker()]
    try:
        for _ in range(2):
            response = _sign_in(workers[0].test_client(), username, WRONG, address)
            assert response.status_code == 401
        keys = our_keys()
        assert any(account in key for key in keys) and any(address in key for key in keys)
        assert not any(username in key for key in keys)
        workers.append(worker())  # a fresh process would start with an empty memory store
        assert _sign_in(workers[1].test_client(), username, PASSWORD, address).status_code == 429
    finally:
        for key in our_keys():
            connection.delete(key)
        for other in workers:
            with other.app_context():
                db.engine.dispose()
        limiter.init_app(app)  # the session app's memory store again


# --- 2. sessions ------------------------------------------------------------------------------
def test_sign_in_starts_a_new_stamped_session(app, client):
    _user(app)
    with client.session_transaction() as session:
        session["planted"] = "by-someone-else"
    assert _sign_in(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        first_id = session[SESSION_ID]
        assert len(first_id) >= 24
        assert abs(session[SIGNED_IN_AT] - time.time()) < 5
        assert session[LAST_SEEN] == session[SIGNED_IN_AT]
    client.post("/logout")
    _sign_in(client)
    with client.session_transaction() as session:
        assert session[SESSION_ID] != first_id


def test_session_cookie_flags(app, client, config):
    _user(app)
    cookie = _sign_in(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain-http development by default
    client.post("/logout")
    config(SESSION_COOKIE_SECURE=True)
    assert "Secure" in _sign_in(client).headers["Set-Cookie"]


def test_a_deactivated_account_loses_its_open_session_on_the_next_request(app, client):
    user_id = _user(app)
    _sign_in(client)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = client.get("/admin/prospect/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    page = _page(client.get(response.headers["Location"]))
    assert _zh(app, "Your session has ended. Please sign in again.") in page
    with client.session_transaction() as session:
        assert "_user_id" not in session and SESSION_ID not in session
    # A state change is refused the same way.
    assert client.post("/admin/prospect/new/", data={"name": "x"}).status_code == 302


def _age_session(client, *, idle: float = 0, since_sign_in: float = 0) -> None:
    with client.session_transaction() as session:
        now = int(time.time())
        session[LAST_SEEN] = int(now - idle)
        session[SIGNED_IN_AT] = int(now - max(idle, since_sign_in))


def test_idle_session_ends_with_a_message(app, client, login_as):
    login_as("clerk")
    _age_session(client, idle=30 * 60 + 1)
    response = client.get("/admin/prospect/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert "admin/prospect" in response.headers["Location"]
    page = _page(client.get(response.headers["Location"]))
    message = _zh(
        app, "You were signed out after %(minutes)d minutes without activity.", minutes=30
    )
    assert message in page
    assert client.get("/admin/").status_code == 302  # really signed out


def test_activity_keeps_the_session_alive(app, client, login_as):
    login_as("clerk")
    _age_session(client, idle=29 * 60)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session[LAST_SEEN] < 5


def test_idle_minutes_are_configurable(app, client, login_as, config):
    config(SESSION_IDLE_MINUTES=1)
    login_as("clerk")
    _age_session(client, idle=30)
    assert client.get("/admin/").status_code == 200
    _age_session(client, idle=61)
    assert client.get("/admin/").status_code == 302


def test_absolute_timeout_ends_even_an_active_session(app, client, login_as):
    login_as("clerk")
    _age_session(client, idle=0, since_sign_in=10 * 3600 + 1)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _zh(app, "Your session has ended. Please sign in again.") in _page(
        client.get(response.headers["Location"])
    )


def test_expired_post_goes_to_login_without_doing_anything(app, client, login_as):
    login_as("clerk")
    _age_session(client, idle=31 * 60)
    response = client.post("/admin/prospect/new/", data={"name": "王伟"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_a_session_without_stamps_is_not_accepted(app, client, login_as):
    login_as("clerk")
    with client.session_transaction() as session:
        del session[SIGNED_IN_AT]
    assert client.get("/admin/").status_code == 302


# --- 4. headers -------------------------------------------------------------------------------
def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def _nonce(response) -> str:
    match = re.search(r"'nonce-([A-Za-z0-9_-]+)'", _csp(response)["script-src"])
    assert match
    return match.group(1)


def test_every_page_carries_the_security_headers(app, client, login_as):
    anonymous = {"/login": 200, "/healthz": 200, "/no-such-page": 404, "/admin/": 302}
    for url, status in anonymous.items():
        response = client.get(url)
        assert response.status_code == status, url
        _assert_headers(response, url)
    login_as("supervisor")
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    for url in (
        "/admin/",
        "/admin/prospect/",
        "/admin/prospect/details/?id=1",
        "/admin/prospect/new/",
        "/admin/prospect/export/csv/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_headers(response, url)


def _assert_headers(response, url: str) -> None:
    headers = response.headers
    csp = _csp(response)
    assert csp["default-src"] == "'self'", url
    assert csp["script-src"].startswith("'self' 'nonce-"), url
    assert "'unsafe-inline'" not in csp["script-src"], url
    assert "'unsafe-eval'" not in csp["script-src"], url
    assert csp["frame-ancestors"] == "'none'", url
    assert csp["object-src"] == "'none'", url
    assert headers["X-Frame-Options"] == "DENY", url
    assert headers["X-Content-Type-Options"] == "nosniff", url
    assert headers["Referrer-Policy"] == "same-origin", url
    assert headers["Cache-Control"] == "no-store", url
    assert "Strict-Transport-Security" not in headers, url


def test_static_files_stay_cacheable_but_typed(client):
    for url in ("/static/panel.css", "/admin/static/admin/js/helpers.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        response.close()


def test_hsts_when_configured(client, config):
    config(HSTS_SECONDS=31536000)
    assert client.get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_new_nonce_for_every_request_and_every_nonce_on_the_page_is_it(app, client, login_as):
    login_as("supervisor")
    first, second = client.get("/admin/prospect/"), client.get("/admin/prospect/")
    assert _nonce(first) != _nonce(second)
    assert len(_nonce(first)) >= 22
    for response in (first, second, client.get("/admin/prospect/new/"), client.get("/login")):
        page = _page(response)
        for found in re.findall(r'nonce="([^"]*)"', page):
            assert found == _nonce(response)
        # An inline script without the nonce would be blocked: there must be none.
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag or f'nonce="{_nonce(response)}"' in tag, tag


def test_our_templates_have_no_inline_handlers_or_unnonced_scripts():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\son[a-z]+\s*=", text):
            problems.append(f"{path.name}: inline handler {match.group().strip()}")
        if "javascript:" in text:
            problems.append(f"{path.name}: javascript: URL")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "nonce" not in tag:
                problems.append(f"{path.name}: inline <script> without nonce")
    assert not problems, problems


#: The inline handlers Flask-Admin 2.2.1 writes, as static/csp-handlers.js knows them.
KNOWN_HANDLERS = (
    re.compile(r"^return faHelpers\.safeConfirm\('(?:[^'\\]|\\.)*'\);?$"),
    re.compile(r"^return modelActions\.execute\('(?:[^'\\]|\\.)*'\);?$"),
    re.compile(r"^faForm\.addInlineField\(this, '(?:[^'\\]|\\.)*'\);?$"),
    re.compile(r"^return false;?$"),
)


@pytest.mark.parametrize("url", ["/admin/prospect/", "/admin/unit/new/", "/admin/owner/"])
def test_inline_handlers_are_forbidden_and_rebound_by_a_script(app, client, login_as, url):
    """Flask-Admin 2.2 puts onclick= on the row delete button, batch actions, the inline Add
    button and filter links. The policy forbids every inline handler; views/shared/inline_handlers.py
    renames them, the pages load static/csp-handlers.js, which binds the same behaviour, and
    every renamed handler is one it knows (tests/e2e/test_csp.py clicks them in Chromium)."""
    login_as("supervisor")
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    response = client.get(url)
    page = html.unescape(_page(response))
    assert _csp(response)["script-src-attr"] == "'none'"
    assert "/static/csp-handlers.js" in page
    # No inline handler reaches the browser; Flask-Admin's are renamed for the script.
    assert not re.findall(r"\son[a-z]+=\"", page)
    handlers = re.findall(r'\sdata-panel-onclick="([^"]*)"', page)
    unknown = [h for h in handlers if not any(p.match(h.strip()) for p in KNOWN_HANDLERS)]
    assert handlers and unknown == []


# --- 5. no state change on GET ----------------------------------------------------------------
#: Model-view endpoints whose GET only reads (create/edit/request-delete show their form).
READ_ONLY_MODEL_FUNCTIONS = {
    "index_view",
    "details_view",
    "details_panels_view",
    "create_view",
    "edit_view",
    "export",
    "ajax_lookup",
    "request_delete_view",
}
#: Other endpoints whose GET only reads. The language switch sets a cookie preference only.
READ_ONLY_ENDPOINTS = {
    "static",
    "admin.static",
    "admin.index",
    "auth.login",
    "site.root",
    "site.healthz",
    "site.readyz",
    "site.set_language",
    "approvals.index",
    "retention.index",
    "retention.periods",  # GET shows the form; only a POST (validate_on_submit) saves
    "office_settings.index",
    # incidents and the lockdown: the pages read; every change is a POST
    "incidents.index",
    "incidents.detail",
    "incidents.letter",  # a print: logged like every print
    "lockdown.index",
    "approvals.detail",
    "my_requests.index",
    "archive_copies.index",
    "archive_desk.file",
    "archive_desk.find",
    "archive_desk.index",
    "archive_lookup.index",  # GET shows the request form; POST files the request
    "archive_register.index",
    "archive_recheck.index",
    "day_cards.index",
    "dealer_deadlines.index",
    "followups.index",
    "followups.stale",
    "collisions.index",  # the rulings are POSTs
    "identity_checks.index",
    # customer ownership (views/sales/pool.py): the lists read; claims and handovers are POSTs
    "customer_pool.index",
    "office_customers.index",
    "handover.index",
    "imports.index",
    "imports.mapping",
    "imports.preview",
    "imports.rejected",
    "imports.progress",
    "imports.result",
    "transfer_desk.index",
    "transfer_desk.detail",
    # GET shows the form; only a POST (validate_on_submit) changes anything.
    "transfer_desk.open_transfer",
    "transfer_desk.end_lease",
    "transfer_desk.household",
    "transfer_desk.move_in",
    "unit_timeline.index",
    "unit_timeline.unit",
    "weekly_count.index",
    # the customer analysis and its XLSX: counts only, read
    "customer_analysis.index",
    "customer_analysis.export",
    # daily work: the spot-check pages, the alerts page and the print views only read
    "spot_checks.index",
    "spot_checks.week",
    "access_alerts.index",
    "print_view.index",
    "print_view.card",
    "print_view.register",
    "print_view.transfer",
    # a customer's copy as an A4 page: reads the record (and logs the copy given)
    "subject_request.print_copy_view",
    # sharing with a partner: the GET shows the chosen customers and the agreements (the share
    # is a POST); the download gives the file of a share already made (and logs it)
    "partner_sharing.index",
    "partner_sharing.download",
    # staff agreements and training (views/admin/staff.py): GET shows lists and forms, the
    # scan download only reads (and logs it); the blocked account's page only reads
    "staff.index",
    "staff.account",
    "staff.scan",
    "staff.training_session",
    "staff.versions",
    "staff.courses",
    "clearance.index",
    # the compliance review (views/privacy/compliance_review.py): figures, lists, print
    "compliance_review.index",
    "compliance_review.rows",
    "compliance_review.print",
}


def _get_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]


def test_every_get_endpoint_is_a_known_read_only_one(app):
    unknown = sorted(
        rule.endpoint
        for rule in _get_rules(app)
        if rule.endpoint not in READ_ONLY_ENDPOINTS
        and rule.endpoint.rpartition(".")[2] not in READ_ONLY_MODEL_FUNCTIONS
    )
    assert not unknown, (
        "GET endpoints not known to be read-only (a state change needs POST; once checked, "
        f"add them to READ_ONLY_ENDPOINTS in tests/web/shared/test_security.py): {unknown}"
    )


def test_logout_is_post_only(app):
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == "auth.logout"]
    assert rule.methods - {"OPTIONS"} == {"POST"}


_SAMPLE_ARGS = {"int": "1", "unicode": "en", "path": "panel.css"}
_QUERIES = {
    "details_view": "?id=1",
    "details_panels_view": "?id=1",
    "edit_view": "?id=1",
    "request_delete_view": "?id=1",
    "ajax_lookup": "?name=x&query=a",
}
#: The access log is written on reads by design.
_LOG_TABLES = {"access_events", "access_chain_head"}
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)


def _sample_url(rule) -> str | None:
    if rule.endpoint in ("static", "admin.static"):
        return None  # files from disk
    values = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__.replace("Converter", "").lower()
        values[name] = "csv" if name == "export_type" else _SAMPLE_ARGS.get(converter, "1")
    path = rule.build(values, append_unknown=False)[1]
    return path + _QUERIES.get(rule.endpoint.rpartition(".")[2], "")


def test_no_get_request_writes_anything(app):
    """Every GET rule over the demo office's records (so details and edit pages render),
    requested anonymously or by the first role that may see it, leaves every table but the
    access log untouched."""
    with app.app_context():
        seed_demo(db.session, prospect_count=3)
        engine = db.engine
        offices = list(db.session.scalars(select(Office)))
    visitors = [(None, app.test_client())]
    for role in ("admin", "supervisor", "clerk", "custodian", "region_manager", "auditor"):
        visitor = app.test_client()
        # In every office of the demo group, so each office's pages render for them.
        factory_login_as(app, visitor, role, username=f"get_check_{role}", offices=offices)
        visitors.append((role, visitor))
    assert {role for role, _ in visitors[1:]} == set(access.ROLES)

    writes: list[str] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        match = _WRITE.match(statement)
        if match and match.group(1).lower() not in _LOG_TABLES:
            writes.append(statement.split("\n")[0][:120])

    urls = [url for url in map(_sample_url, _get_rules(app)) if url]
    seen = 0
    event.listen(engine, "before_cursor_execute", spy)
    try:
        for url in urls:
            for role, visitor in visitors:
                response = visitor.get(url)
                assert response.status_code < 500, (role, url, response.status_code)
                assert not writes, (role, url, writes)
                refused = response.status_code == 403 or (
                    response.status_code == 302 and "/login" in response.location
                )
                if not refused:
                    seen += 1
                    break
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert seen >= len(urls) * 0.9  # nearly every page was really rendered by someone
