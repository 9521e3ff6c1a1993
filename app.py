"""Application factory: config, extensions, blueprints, admin views, CLI. No business logic."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, has_request_context
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

import models  # noqa: F401  (registers every table)
from config import DefaultConfig
from core.crypto import (
    BLIND_INDEX_SETTING,
    CURRENT_SETTING,
    KEYS_SETTING,
    CryptoConfigError,
    init_crypto,
)
from core.log_format import configure_logging
from extensions import babel, csrf, db, login_manager, migrate
from models.base import set_actor_provider
from services.admin import keyfile, readiness, startup_checks
from services.admin.key_checks import verify_database_keys
from services.privacy import audit  # noqa: F401  (name_search: its ORM events)

PROJECT_ROOT = Path(__file__).resolve().parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PANEL")
    else:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _check_settings(app)
    if app.config.get("PRODUCTION"):
        _check_production_keys(app)
    if not app.testing:
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "panel.db"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if not app.config.get("AUDIT_HMAC_KEY"):
        app.config["AUDIT_HMAC_KEY"] = _instance_secret(Path(app.instance_path) / "audit_key")
    audit.configure(app.config["AUDIT_HMAC_KEY"].encode())
    _check_password_profile(app)
    if test_config is None:
        _load_instance_keys(app)
    try:
        init_crypto(app)
    except CryptoConfigError as exc:
        # Stop here, before any page could fail on the first phone number it shows.
        raise SystemExit(f"Cannot start the panel: {exc}") from None
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from views.shared.site import select_locale

    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    set_actor_provider(_signed_in_user_id)

    from views.admin import auth
    from views.shared import site

    app.register_blueprint(auth.bp)
    app.register_blueprint(site.bp)

    from views import init_admin

    init_admin(app)

    from views.shared.audit_context import init_request_ids
    from views.shared.errors import register_error_pages
    from views.shared.serving import init_serving

    init_request_ids(app)
    init_serving(app)
    register_error_pages(app)

    from views.shared.security import init_security

    init_security(app)

    from views.admin.staff import install_clearance_gate

    install_clearance_gate(app)  # after the session checks: an ended session ends first

    import cli

    cli.register(app)
    _check_keys_fit_database(app)
    return app


def _load_instance_keys(app: Flask) -> None:
    """Take the encryption settings from instance/encryption_keys.json where config lacks them."""
    stored = keyfile.read_keys(Path(app.instance_path) / keyfile.FILE_NAME)
    for name in (KEYS_SETTING, CURRENT_SETTING, BLIND_INDEX_SETTING):
        if not app.config.get(name) and name in stored:
            app.config[name] = stored[name]


def _check_settings(app: Flask) -> None:
    """Settings no start may run with; Babel's zone is the office's (one setting, not two)."""
    problem = startup_checks.settings_problem(app.config)
    if problem:
        raise SystemExit(f"Cannot start the panel: {problem}")
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["OFFICE_TIMEZONE"]


def _check_production_keys(app: Flask) -> None:
    """Production refuses keys it would otherwise make itself into this machine's instance/."""
    for name in ("SECRET_KEY", "AUDIT_HMAC_KEY"):
        problem = startup_checks.key_problem(name, app.config.get(name))
        if problem:
            raise SystemExit(f"Cannot start the panel: {problem}")


def check_ready_to_serve(app: Flask) -> None:
    """Before a production server takes traffic (wsgi.py): the schema must be at head. Not in
    create_app, which ``flask db upgrade`` itself runs."""
    if not app.config.get("PRODUCTION"):
        return
    with app.app_context():
        try:
            problem = readiness.schema_problem(db.engine, app.extensions["migrate"].directory)
        except OperationalError:
            problem = "the database does not answer"
        else:
            if problem:
                problem += " (run: flask --app app db upgrade)"
        finally:
            # The server forks its workers after this: none may inherit this connection.
            db.engine.dispose()
    if problem:
        raise SystemExit(f"Cannot start the panel: {problem}")


def _check_keys_fit_database(app: Flask) -> None:
    with app.app_context():
        try:
            verify_database_keys(db.session, app.extensions["crypto"])
        except CryptoConfigError as exc:
            raise SystemExit(f"Cannot start the panel: {exc}") from None
        except OperationalError:
            # No database yet (or not answering): the first request will say so.
            app.logger.warning("database not reachable at start-up; key check skipped")
        finally:
            db.session.remove()


def _signed_in_user_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _check_password_profile(app: Flask) -> None:
    from services.admin.accounts import HASH_PROFILES

    profile = app.config["PASSWORD_HASH_PROFILE"]
    if profile not in HASH_PROFILES:
        raise SystemExit(f"Cannot start the panel: unknown PASSWORD_HASH_PROFILE {profile!r}")
    if profile == "CHEAPEST" and not app.config.get("TESTING"):
        raise SystemExit("Cannot start the panel: PASSWORD_HASH_PROFILE CHEAPEST is for tests")


def _instance_secret(path: Path) -> str:
    """The instance's session-signing key, created once with owner-only permissions."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection, connection_record) -> None:
    module = type(dbapi_connection).__module__
    if module.startswith("psycopg2"):
        # No JIT compilation: the panel's statements are short, and above jit_above_cost
        # PostgreSQL compiled plans for longer than they then ran ("not contacted" at 100,000
        # cards: 830 ms of a 1 s page; the export's ids query, docs/performance.md). Set for
        # the connection's life and committed, so no rollback undoes it.
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()
        return
    # SQLite leaves foreign keys off by default; WAL lets readers and one writer overlap.
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        # WAL with synchronous=NORMAL: a commit no longer waits for fsync (the WAL is
        # synced at checkpoints); the database cannot be corrupted, a power cut may lose
        # the last commits. Each list page commits its access-log event.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
