"""Faults on the served panel (gunicorn, deploy/gunicorn.conf.py) that fit in a few seconds:
a worker killed (SIGTERM, SIGKILL) between acknowledged writes, the app's PostgreSQL
connections terminated, and its Redis stopped. The long versions under load:
bench/load/run.py --fault ... (docs/load.md).

Each test starts one server (2 workers) on the test database and a Redis of its own
(``redis-server --port <free> --save ''``), never the shared one; skipped when
redis-server is not installed. About 3 s each.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect
from tests.factories import PASSWORD, make_user, ref_item
from tests.keys import TEST_KEYS
from tests.web.admin.test_two_servers import _call, _free_port

pytestmark = pytest.mark.two_servers

ROOT = Path(__file__).resolve().parents[3]
REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def redis_port():
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own Redis, fixed arguments
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield port, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


class Server:
    def __init__(self, app, redis_url: str, log_path: Path):
        self.port = _free_port()
        env = {
            **os.environ,
            "PANEL_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PANEL_RATELIMIT_STORAGE_URI": redis_url,
            "PANEL_RATELIMIT_KEY_PREFIX": f"faults-{uuid.uuid4().hex}",
            "PANEL_SECRET_KEY": "faults-" + uuid.uuid4().hex,
            "PANEL_AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
            "PANEL_ENCRYPTION_KEYS": json.dumps(TEST_KEYS["ENCRYPTION_KEYS"]),
            "PANEL_ENCRYPTION_CURRENT_KEY": TEST_KEYS["ENCRYPTION_CURRENT_KEY"],
            "PANEL_BLIND_INDEX_KEY": TEST_KEYS["BLIND_INDEX_KEY"],
            "PANEL_TESTING": "true",
            "PANEL_PASSWORD_HASH_PROFILE": "CHEAPEST",
            "PANEL_WTF_CSRF_ENABLED": "false",
            "PANEL_WORKERS": "2",
            "PANEL_THREADS": "2",
            "PANEL_BIND": f"127.0.0.1:{self.port}",
        }
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [gunicorn, "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while len(self.workers()) < 2 or not self._answers():
            assert self.process.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "server did not answer within 30 s"
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return _call(self.port, "GET", "/healthz")[0] == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def server(app, redis_port, tmp_path):
    running = Server(app, f"redis://127.0.0.1:{redis_port[0]}/0", tmp_path / "gunicorn.log")
    yield running
    running.stop()


def _signed_in(app, server, username: str) -> str:
    with app.app_context():
        make_user(db.session, "clerk", username=username)
        db.session.commit()
    status, cookie, _ = _call(
        server.port, "POST", "/login", {"username": username, "password": PASSWORD}
    )
    assert status == 302
    return cookie.split(";", 1)[0]


def _create(app, server, cookie: str, mobile: str) -> int:
    with app.app_context():
        source = ref_item(db.session, "source_channel", "walk_in").id
    form = {
        "consent_given": "y",
        "name": "断电测试",
        "mobile": mobile,
        "source": str(source),
        "grade": "B",
        "progress": "follow_up",
        # The server's clock is the machine's, whatever instant the test process is moved
        # to: a visit over a year ago is in range at both.
        "visits-0-visited_on": (office_today() - timedelta(days=400)).isoformat(),
        "visits-0-summary": "首次来访。",
    }
    return _call(server.port, "POST", "/admin/prospect/new/", form, cookie=cookie)[0]


def _count(app) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Prospect).where(Prospect.name == "断电测试")
        )
        db.session.remove()
    return count


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_killed_worker_loses_no_acknowledged_write_and_comes_back(app, server, sig):
    cookie = _signed_in(app, server, f"worker_{sig.name.lower()}")
    before = _count(app)
    acknowledged = sum(_create(app, server, cookie, f"1381234{n:04d}") == 302 for n in range(3))
    victim = server.workers()[0]
    os.kill(victim, sig)
    # Requests go on while the worker is replaced: answered by the other, or refused whole.
    for n in range(3, 6):
        with contextlib.suppress(OSError):
            acknowledged += _create(app, server, cookie, f"1381234{n:04d}") == 302
    assert acknowledged >= 3
    assert _count(app) - before == acknowledged
    deadline = time.monotonic() + 10
    while victim in server.workers() or len(server.workers()) < 2:
        assert time.monotonic() < deadline, "the worker did not come back within 10 s"
        time.sleep(0.05)


def test_terminated_database_connections_give_a_clear_503_and_recover(app, server):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    cookie = _signed_in(app, server, "terminated_clerk")
    assert _call(server.port, "GET", "/admin/prospect/", cookie=cookie)[0] == 200
    with app.app_context():
        database = db.engine.url.database
        # The test's own connections go first, so only the server's are left to terminate.
        db.session.remove()
        db.engine.dispose()
    import psycopg2  # noqa: PLC0415

    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=database)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )
        (terminated,) = cursor.fetchone()
    admin.close()
    assert terminated >= 1
    seen = []
    deadline = time.monotonic() + 5
    while not seen or seen[-1] != 200:
        assert time.monotonic() < deadline, f"not back within 5 s: {seen}"
        seen.append(_call(server.port, "GET", "/admin/prospect/", cookie=cookie)[0])
    # pool_pre_ping replaces a dead connection before use: at worst a 503, never a 500.
    assert set(seen) <= {200, 503}


def test_with_redis_down_the_panel_serves_and_readyz_says_so(app, server, redis_port):
    cookie = _signed_in(app, server, "no_redis_clerk")
    _port, redis = redis_port
    redis.terminate()
    redis.wait(timeout=10)
    status, _, _ = _call(server.port, "GET", "/admin/prospect/", cookie=cookie)
    assert status == 200
    assert _call(server.port, "GET", "/healthz")[0] == 200
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/readyz")
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 503 and re.search(r"(?i)redis", body)
    # Sign-in throttling falls back to the process's memory: a wrong password is refused
    # as usual (401), not a 500, and the log warns of the fallback.
    wrong = {"username": "no_redis_clerk", "password": "wrong-password"}
    assert _call(server.port, "POST", "/login", wrong)[0] == 401
    time.sleep(0.3)
    log = server.log_path.read_text(errors="replace")
    assert re.search(r"(?i)redis|fall.?back|memory", log)
