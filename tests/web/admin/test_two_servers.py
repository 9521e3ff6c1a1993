"""Two app servers (gunicorn on two ports) on one PostgreSQL and one Redis: sign-in throttling
and session revocation hold across them, so nothing lives in one process's memory.

Runs in the PostgreSQL pass of ``make test`` when Redis answers on 127.0.0.1:6379 (marked
``two_servers``; skipped on SQLite, whose file one machine's servers would share anyway).
About 3 s: both servers boot in parallel, each with one worker.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from extensions import db
from models.admin.people import User
from tests.factories import PASSWORD, make_user
from tests.keys import TEST_KEYS

pytestmark = pytest.mark.two_servers

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(port, method, path, form=None, cookie=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Set-Cookie"), response.getheader("Location")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def servers(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("two app servers need a shared PostgreSQL")
    if not _redis_answers():
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    env = {
        **os.environ,
        "PANEL_SQLALCHEMY_DATABASE_URI": url,
        "PANEL_RATELIMIT_STORAGE_URI": REDIS_URL,
        # This run's own counters, whatever other runs left in Redis.
        "PANEL_RATELIMIT_KEY_PREFIX": f"two-servers-{uuid.uuid4().hex}",
        "PANEL_SECRET_KEY": "two-servers-" + uuid.uuid4().hex,
        "PANEL_AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
        "PANEL_ENCRYPTION_KEYS": json.dumps(TEST_KEYS["ENCRYPTION_KEYS"]),
        "PANEL_ENCRYPTION_CURRENT_KEY": TEST_KEYS["ENCRYPTION_CURRENT_KEY"],
        "PANEL_BLIND_INDEX_KEY": TEST_KEYS["BLIND_INDEX_KEY"],
        "PANEL_TESTING": "true",
        "PANEL_PASSWORD_HASH_PROFILE": "CHEAPEST",
        "PANEL_WTF_CSRF_ENABLED": "false",
        "PANEL_WORKERS": "1",
        "PANEL_THREADS": "2",
        "PANEL_LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    ports = [_free_port(), _free_port()]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [gunicorn, "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env={**env, "PANEL_BIND": f"127.0.0.1:{port}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 30
        for port, process in zip(ports, processes, strict=True):
            while True:
                if process.poll() is not None:
                    pytest.fail(f"server did not start: {process.stderr.read().decode()[-2000:]}")
                try:
                    if _call(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.1)
        yield ports
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stderr.close()


def _user(app, username):
    with app.app_context():
        user_id = make_user(db.session, "clerk", username=username).id
        db.session.commit()
    return user_id


def test_failed_sign_ins_are_counted_across_servers(app, servers):
    first, second = servers
    _user(app, "shared_count")
    wrong = {"username": "shared_count", "password": "wrong-password"}
    # The account limit is 5 failures: 3 on one server and 2 on the other use it up.
    for port in (first, first, first, second, second):
        assert _call(port, "POST", "/login", wrong)[0] == 401
    right = {"username": "shared_count", "password": PASSWORD}
    assert _call(second, "POST", "/login", right)[0] == 429
    assert _call(first, "POST", "/login", right)[0] == 429


def test_a_session_from_one_server_is_ended_on_the_other(app, servers):
    first, second = servers
    user_id = _user(app, "moving_clerk")
    status, cookie, _ = _call(
        first, "POST", "/login", {"username": "moving_clerk", "password": PASSWORD}
    )
    assert status == 302
    session_cookie = cookie.split(";", 1)[0]
    assert _call(second, "GET", "/admin/", cookie=session_cookie)[0] == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    for port in (second, first):
        status, _, location = _call(port, "GET", "/admin/", cookie=session_cookie)
        assert status == 302 and "/login" in location
