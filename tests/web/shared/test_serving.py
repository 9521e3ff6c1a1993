"""Serving in production: start-up refusals, health and readiness, proxies and TLS, the request
log, and a clear 503 page when the database fails."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import event, text

from app import check_ready_to_serve, create_app
from core import crypto
from core.log_format import json_formatter
from extensions import db
from services.privacy import audit
from tests.factories import make_prospect
from tests.keys import TEST_KEYS

GOOD_SECRET = "k7Qw9xZ2pL4mN8vB3cR6tY1uI5oP0aSdFgHjKl"
GOOD_AUDIT_KEY = "Zx8Cv7Bn6Mq5Wr4Ty3Ui2Op1As9Df0GhJkLpQw"


# --- production start-up --------------------------------------------------------------------
@pytest.fixture
def production(app, tmp_path):
    """Config of a production app on its own SQLite file with the head schema, not stamped."""
    keyring = crypto.get_keyring()
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    scratch = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                          "AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"], **TEST_KEYS})
    with scratch.app_context():
        db.create_all()
        db.session.remove()
    yield {
        "TESTING": True,
        "PRODUCTION": True,
        "SECRET_KEY": GOOD_SECRET,
        "AUDIT_HMAC_KEY": GOOD_AUDIT_KEY,
        "SQLALCHEMY_DATABASE_URI": url,
        **TEST_KEYS,
    }
    # create_app makes its keyring and access-log key the process's: give the suite's back.
    crypto.set_keyring(keyring)
    audit.configure(app.config["AUDIT_HMAC_KEY"].encode())


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "test-secret-key-not-for-production"}, "SECRET_KEY is a default"),
        ({"SECRET_KEY": "short-but-random-9x"}, "SECRET_KEY is shorter than 32"),
        ({"AUDIT_HMAC_KEY": None}, "AUDIT_HMAC_KEY is not set"),
        ({"ENCRYPTION_KEYS": None}, "ENCRYPTION_KEYS is not set"),
    ],
)
def test_production_refuses_to_start_without_its_keys(production, change, expected):
    with pytest.raises(SystemExit) as stopped:
        create_app({**production, **change})
    message = str(stopped.value.code)
    assert message.startswith("Cannot start the panel: ") and expected in message
    assert "\n" not in message


def test_production_refuses_to_serve_migrations_not_at_head(production):
    served = create_app(production)
    with pytest.raises(SystemExit) as stopped:
        check_ready_to_serve(served)
    message = str(stopped.value.code)
    assert "not at head" in message and "db upgrade" in message and "\n" not in message
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with served.app_context(), db.engine.begin() as connection:
        MigrationContext.configure(connection).stamp(
            ScriptDirectory(served.extensions["migrate"].directory), "heads"
        )
    check_ready_to_serve(served)  # at head: serves


def test_development_starts_with_generated_keys_and_any_schema(app):
    check_ready_to_serve(app)  # PRODUCTION off: no check at all


# --- health and readiness -------------------------------------------------------------------
def _failing_database(engine, message="server closed the connection unexpectedly"):
    """Make every statement on ``engine`` fail like a dropped connection; returns the undo."""
    dbapi_error = engine.dialect.loaded_dbapi.OperationalError

    def fail(conn, cursor, statement, parameters, context, executemany):
        raise dbapi_error(message)

    event.listen(engine, "before_cursor_execute", fail)
    return lambda: event.remove(engine, "before_cursor_execute", fail)


def test_healthz_answers_without_the_database(app, client):
    with app.app_context():
        undo = _failing_database(db.engine)
    try:
        response = client.get("/healthz")
    finally:
        undo()
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_ok_when_database_schema_and_redis_answer(client, config):
    assert client.get("/readyz").get_json() == {"status": "ok"}


def test_readyz_503_when_the_database_fails(app, client):
    with app.app_context():
        undo = _failing_database(db.engine)
    try:
        response = client.get("/readyz")
    finally:
        undo()
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["the database does not answer (OperationalError)"]


def test_readyz_503_when_the_schema_is_behind(app, client):
    with app.app_context():
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
    try:
        response = client.get("/readyz")
    finally:
        with app.app_context():
            db.session.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
            db.session.commit()
    assert response.status_code == 503
    (problem,) = response.get_json()["problems"]
    assert problem == f"the database schema is at older, not at head {head}"


def test_readyz_503_when_configured_redis_does_not_answer(client, config):
    config(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["Redis does not answer (ConnectionError)"]


# --- proxies and TLS ------------------------------------------------------------------------
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def test_behind_a_trusted_tls_proxy_hsts_and_secure_cookies(app, client, config, login_as):
    config(TRUSTED_PROXIES=1)
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain http
    response = client.get("/login", headers=HTTPS)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    client.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https"})
    response = client.post("/login", data={"username": "nobody", "password": "x"})
    assert "Secure" in response.headers["Set-Cookie"]
    language = client.get("/language/en?next=/login").headers["Set-Cookie"]
    assert "Secure" in language


def test_forwarded_headers_are_ignored_without_trusted_proxies(client, config):
    config(TRUSTED_PROXIES=0)
    response = client.get("/login", headers=HTTPS)
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers.get("Set-Cookie", "")


def test_hsts_can_be_turned_off_behind_tls(client, config):
    config(TRUSTED_PROXIES=1, HSTS_SECONDS=0)
    assert "Strict-Transport-Security" not in client.get("/login", headers=HTTPS).headers


# --- the request log ------------------------------------------------------------------------
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"


def test_request_log_is_json_lines_without_personal_data(app, client, login_as):
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        user_id = login_as("supervisor")
        with app.app_context():
            make_prospect(db.session, mobile=PHONE)
            db.session.commit()
        assert client.get(f"/admin/prospect/?search={PHONE}").status_code == 200
        assert client.get(f"/admin/prospect/?search={ID_NUMBER}").status_code == 200
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    output = captured.getvalue()
    assert PHONE not in output and ID_NUMBER not in output
    assert PHONE[-4:] + "\"" not in output  # nor its last digits standing alone
    import json

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    searches = [
        line for line in lines
        if line["logger"] == "panel.request" and line["endpoint"] == "prospect.index_view"
    ]
    assert len(searches) == 2
    for line in searches:
        assert line["account_id"] == user_id and line["status"] == 200
        assert line["method"] == "GET" and line["duration_ms"] >= 0
        assert len(line["request_id"]) >= 8


# --- a database that fails mid-request ------------------------------------------------------
@pytest.mark.parametrize(
    "message", ["server closed the connection unexpectedly", "database is locked"]
)
def test_a_failing_database_gives_a_clear_503_in_chinese(app, client, login_as, message):
    login_as("clerk")
    with app.app_context():
        undo = _failing_database(db.engine, message)
    try:
        response = client.get("/admin/prospect/")
    finally:
        undo()
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "请稍后重试" in page
    for detail in ("Traceback", "OperationalError", message, "SELECT"):
        assert detail not in page
    assert client.get("/admin/prospect/").status_code == 200  # the next request works
