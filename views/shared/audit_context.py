"""Who is acting, from where, in which request: the web side of the access log."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from extensions import db
from services.privacy import audit

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response


def current_actor(user=None) -> audit.Actor:
    """The signed-in user (or ``user``), the client address and the request id."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    ip = request.remote_addr if has_request_context() else None
    request_id = g.get("request_id") if has_request_context() else None
    if user is None:
        return audit.Actor(None, None, None, ip, request_id)
    return audit.Actor(user.id, user.username, user.role_code, ip, request_id)


class _OwnConnection:
    """What audit.record reads of a session (its connection), for an event written on a
    connection of its own."""

    __slots__ = ("_connection",)

    def __init__(self, connection) -> None:
        self._connection = connection

    def connection(self):
        return self._connection


def log_in_own_transaction(
    action: str, *, fail_closed: bool = False, release_request: bool = False, **fields
) -> None:
    """Write an event in a session and transaction of its own (reads, refusals, sign-ins),
    leaving the request's session and the objects loaded in it untouched.

    ``release_request`` first rolls back the request's unfinished work (a refusal in the
    middle of an action). With ``fail_closed`` a failure propagates, so customer data is not
    shown when its look cannot be logged; otherwise the failure goes to the server log.
    """
    actor = current_actor(fields.pop("user", None))
    path = request.path if has_request_context() else None
    if release_request:
        db.session.rollback()
    try:
        # A connection and transaction of its own, without an ORM session: the event is
        # Core statements only (audit.record), and an ORM session's set-up and commit were
        # about a sixth of what every page's event cost (0.55 -> 0.46 ms CPU, measured in a
        # loop). Committed at the block's end, rolled back on any error.
        with db.engine.begin() as connection:
            audit.record(_OwnConnection(connection), actor, action, path=path, **fields)
    except Exception:
        if fail_closed:
            raise
        log.exception("could not write the access-log event %s", action)


def raise_sign_in_alert(user) -> None:
    """The off-hours alert of a sign-in, in a transaction of its own; a failure never stops
    the sign-in (the scheduled ``flask alerts scan`` finds it later)."""
    from flask import current_app

    from models.base import utcnow
    from services.privacy import access_alerts

    # Off under TESTING unless asked for, so that a test run at night or on a weekend
    # behaves like one in office hours.
    if not current_app.config.get("ALERTS_ON_SIGN_IN", not current_app.testing):
        return
    try:
        with Session(bind=db.engine) as session:
            access_alerts.check_sign_in(session, user.id, user.username, utcnow())
            session.commit()
    except Exception:
        log.exception("could not evaluate the sign-in alert")
