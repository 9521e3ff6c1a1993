"""Faults struck in the middle of a load run (bench/load/run.py --fault ...).

* sigterm / sigkill: one gunicorn worker gets the signal; the master starts another.
* pg-terminate: pg_terminate_backend on the connections to the run's own scratch database
  (only that database's backends, never the shared server's others).
* redis-down: the run's own redis-server is stopped and stays down; the limits fall back to
  each process's memory and /readyz says Redis does not answer.

Each fills ``report`` with what it saw and the time window in which failures are the fault's.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import time
import urllib.error
import urllib.parse
import urllib.request


def strike(kind: str, delay: float, panel, redis, args, report: dict) -> None:
    time.sleep(delay)
    started = time.time()
    try:
        if kind in ("sigterm", "sigkill"):
            _kill_worker(panel, signal.SIGTERM if kind == "sigterm" else signal.SIGKILL, report)
        elif kind == "pg-terminate":
            _terminate_backends(panel, args.pg_db, report)
        elif kind == "redis-down":
            _redis_down(panel, redis, report)
    finally:
        report["window"] = (started, time.time())


def _kill_worker(panel, sig, report: dict) -> None:
    before = panel.workers()
    victim = before[0]
    os.kill(victim, sig)
    report["signal"] = f"{signal.Signals(sig).name} to worker {victim} of {len(before)}"
    started = time.monotonic()
    while time.monotonic() - started < 60:
        now = panel.workers()
        if victim not in now and len(now) == len(before):
            report["worker back after s"] = round(time.monotonic() - started, 2)
            return
        time.sleep(0.05)
    report["worker back after s"] = "not within 60 s"


def _terminate_backends(panel, database: str, report: dict) -> None:
    from run import pg_admin  # noqa: PLC0415

    killed = pg_admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    )
    report["backends terminated"] = sum(1 for (done,) in killed if done)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if _get(panel.port, "/readyz")[0] == 200:
            report["/readyz 200 again after s"] = round(time.monotonic() - started, 2)
            return
        time.sleep(0.05)


def _redis_down(panel, redis, report: dict) -> None:
    redis.stop()
    time.sleep(1)
    status, body = _get(panel.port, "/readyz")
    report["/readyz with Redis down"] = f"{status} {body.strip()[:200]}"
    report["wrong-password sign-in with Redis down"] = _failed_sign_in(panel.port)
    status, _ = _get(panel.port, "/healthz")
    report["/healthz with Redis down"] = status
    time.sleep(2)
    text = panel.log_path.read_text(errors="replace")
    warnings = [
        line for line in text.splitlines() if re.search(r"(?i)redis|fall.?back|storage", line)
    ]
    report["log lines on Redis"] = len(warnings)
    if warnings:
        report["first such log line"] = warnings[0][:300]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:  # noqa: S310
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def _failed_sign_in(port: int) -> int:
    """A wrong password through the form: counted by the fallback limiter, answered 401."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"http://127.0.0.1:{port}/login", timeout=10) as r:
        page = r.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"username": "load_admin01", "password": "not-the-password"}
    if token:
        form["csrf_token"] = token.group(1)
    data = urllib.parse.urlencode(form).encode()
    try:
        with opener.open(f"http://127.0.0.1:{port}/login", data=data, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def dump(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False)
