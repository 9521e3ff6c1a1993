"""The simulated office day of ``make load`` (bench/load/run.py starts locust on this file).

Each simulated user signs in as one account of the plan (LOAD_PLAN, written by run.py) and
works in that account's office: clerks list, search and open cards, register new customers,
add visits and file corrections; supervisors open their approval queue and approve;
custodians hand files out and take them back; admins read the access log. Every request
carries its own X-Request-ID, which the panel writes into the access-log events it causes,
so run.py can match the events to the actions afterwards. Each request goes into a ledger
(LOAD_LEDGER, JSON lines): action, status, milliseconds, request id and what the panel
acknowledged (the id created, the request approved, the file handed out).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from pathlib import Path

from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
LEDGER_PATH = os.environ["LOAD_LEDGER"]
RUN_TAG = PLAN["run_tag"]  # prefix of every X-Request-ID of this run

_accounts = itertools.count()
_serial = itertools.count(1)
_ledger: list[dict] = []
_ledger_lock = threading.Lock()

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DETAIL_IDS = re.compile(r"details/\?id=(\d+)")
APPROVAL_IDS = re.compile(r"/admin/approvals/(\d+)/")
DESK_ACTIONS = re.compile(r"/admin/archive-desk/(\d+)/(approve|hand-out|take-back)")


def _unique_mobile() -> str:
    # 199 + 8 digits: the run's serial, never the demo's numbers and never twice in a run.
    return f"199{PLAN['mobile_base'] + next(_serial):08d}"


@events.quitting.add_listener
def _write_ledger(environment, **_kwargs):
    with _ledger_lock, open(LEDGER_PATH, "w", encoding="utf-8") as out:
        for row in _ledger:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


class OfficeUser(HttpUser):
    # Think time between actions: people read the page before the next click.
    wait_time = between(1, 3)

    def on_start(self):
        accounts = PLAN["accounts"]
        self.account = accounts[next(_accounts) % len(accounts)]
        self.role = self.account["role"]
        self.own: list[int] = []  # cards this user registered (theirs to correct)
        self.csrf = ""
        # A reused keep-alive connection that the server closed as the request left is reset;
        # a browser then sends a GET again on a new connection (RFC 9112 9.3.1), never a POST.
        # The same here: one more try, for GETs only, on a reset before any answer.
        self.client.mount(
            "http://",
            HTTPAdapter(
                max_retries=Retry(
                    total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"}
                )
            ),
        )
        page = self.client.get("/login", name="sign in form").text
        self.csrf = _csrf(page)
        self._call(
            "sign in",
            "POST",
            "/login",
            data={
                "username": self.account["username"],
                "password": self.account["password"],
                "csrf_token": self.csrf,
            },
        )
        self._refresh_csrf()

    def _refresh_csrf(self):
        page = self._call("home", "GET", "/admin/")
        if page is not None and _csrf(page.text):
            self.csrf = _csrf(page.text)

    def _call(self, action, method, path, data=None, **note):
        request_id = f"{RUN_TAG}{uuid.uuid4().hex[:16]}"
        headers = {"X-Request-ID": request_id}
        if data is not None and "csrf_token" not in data:
            data = {**data, "csrf_token": self.csrf}
        # In the ledger before it is sent: a request the end of the run cuts short (locust
        # stops its users mid-request) stays status -1, and its access event still has a row.
        row = {
            "action": action,
            "user": self.account["username"],
            "status": -1,
            "request_id": request_id,
            **note,
        }
        with _ledger_lock:
            _ledger.append(row)
        started = time.perf_counter()
        with self.client.request(
            method,
            path,
            data=data,
            headers=headers,
            name=action,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            millis = (time.perf_counter() - started) * 1000
            status = response.status_code
            if status >= 500 or status == 0:
                response.failure(f"{status}")
            else:
                response.success()
        row.update(
            status=status,
            ms=round(millis, 2),
            at=time.time(),
            location=response.headers.get("Location", ""),
        )
        if status == 0:
            row["error"] = repr(response.error)[:300]
        response.ledger_row = row
        return response if 200 <= status < 400 else None

    @task
    def work(self):
        getattr(self, f"_{self.role}")()

    # -- clerks ---------------------------------------------------------------------
    def _clerk(self):
        choice = random.choices(
            ("list", "search", "details", "create", "visit", "correct", "file"),
            weights=(3, 3, 4, 2, 1, 1, 1),
        )[0]
        if choice == "list":
            self._call("prospect list", "GET", "/admin/prospect/")
        elif choice == "search":
            term = random.choice(SURNAMES)
            self._call("prospect search", "GET", f"/admin/prospect/?search={term}")
        elif choice == "details":
            self._details()
        elif choice == "create":
            self._create()
        elif choice == "visit" and self.own:
            self._add_visit(random.choice(self.own))
        elif choice == "correct" and self.own:
            self._correct(random.choice(self.own))
        elif choice == "file" and self.account["file_codes"]:
            code = random.choice(self.account["file_codes"])
            form = {"code": code, "mode": "take_out", "days": "2", "reason": "核对面积"}
            self._call("file request", "POST", "/admin/archive-lookup/", data=form, code=code)
        else:
            self._call("prospect list", "GET", "/admin/prospect/")

    def _details(self):
        listing = self._call(
            "prospect list", "GET", f"/admin/prospect/?page={random.randint(0, 4)}"
        )
        ids = DETAIL_IDS.findall(listing.text) if listing is not None else []
        # A new consultant's list holds the office's pool and their own cards.
        ids += [str(pid) for pid in self.own[-20:]]
        if ids:
            pid = int(random.choice(ids))
            self._call("prospect details", "GET", f"/admin/prospect/details/?id={pid}", pid=pid)

    def _create(self):
        mobile = _unique_mobile()
        name = random.choice(SURNAMES) + "测" + "".join(random.choices("明华丽伟芳娜敏静", k=1))
        form = {
            "consent_given": "y",
            "name": name,
            "mobile": mobile,
            "landline": "",
            "source": str(PLAN["source_id"]),
            "grade": "B",
            "progress": "follow_up",
            "notes": "",
            "visits-0-visited_on": PLAN["today"],
            "visits-0-summary": "首次来访，关注三房。",
            # "Save and continue editing": the panel answers with the new card's edit page.
            "_continue_editing": "1",
        }
        response = self._call("prospect create", "POST", "/admin/prospect/new/", data=form)
        row = response.ledger_row if response is not None else None
        if row is not None and row["status"] == 302:
            found = re.search(r"id=(\d+)", row["location"])
            row["created_mobile"] = mobile
            if found:
                row["pid"] = int(found.group(1))
                self.own.append(row["pid"])

    def _edit_form(self, pid):
        page = self._call("prospect edit form", "GET", f"/admin/prospect/edit/?id={pid}", pid=pid)
        if page is None:
            return None
        return _read_form(page.text)

    def _add_visit(self, pid):
        form = self._edit_form(pid)
        if form is None:
            return
        index = 1 + max(
            [int(m) for m in re.findall(r"^visits-(\d+)-", "\n".join(form), re.M)] or [-1]
        )
        form[f"visits-{index}-visited_on"] = PLAN["today"]
        form[f"visits-{index}-summary"] = "电话回访，约周末看房。"
        response = self._call(
            "visit add", "POST", f"/admin/prospect/edit/?id={pid}", data=form, pid=pid
        )
        if response is not None and response.ledger_row["status"] == 302:
            response.ledger_row["visit_added"] = pid

    def _correct(self, pid):
        form = self._edit_form(pid)
        if form is None:
            return
        mobile = _unique_mobile()
        form["mobile"] = mobile
        form["approval_reason"] = "客户换号"
        response = self._call(
            "correction file", "POST", f"/admin/prospect/edit/?id={pid}", data=form, pid=pid
        )
        if response is not None and response.ledger_row["status"] == 302:
            response.ledger_row["corrected_mobile"] = mobile

    # -- supervisors ----------------------------------------------------------------
    def _supervisor(self):
        if random.random() < 0.3:
            self._call(
                "prospect search", "GET", f"/admin/prospect/?search={random.choice(SURNAMES)}"
            )
            return
        queue = self._call("approval queue", "GET", "/admin/approvals/")
        ids = sorted({int(i) for i in APPROVAL_IDS.findall(queue.text)}) if queue else []
        if ids:
            request_id = random.choice(ids[:10])
            self._call(
                "approval approve",
                "POST",
                f"/admin/approvals/{request_id}/approve",
                data={"comment": ""},
                change_request=request_id,
            )

    # -- custodians -----------------------------------------------------------------
    def _custodian(self):
        desk = self._call("archive desk", "GET", "/admin/archive-desk/")
        if desk is None:
            return
        found: dict[str, list[int]] = {"approve": [], "hand-out": [], "take-back": []}
        for request_id, step in DESK_ACTIONS.findall(desk.text):
            found[step].append(int(request_id))
        # Files come back about as often as they go out, so a few are out at any time.
        for step in ("take-back", "hand-out", "approve"):
            if found[step] and (step != "take-back" or random.random() < 0.4):
                request_id = random.choice(found[step])
                data = {"condition": "完好"} if step == "take-back" else {}
                self._call(
                    f"file {step}",
                    "POST",
                    f"/admin/archive-desk/{request_id}/{step}",
                    data=data,
                    lookup=request_id,
                )
                return

    # -- admins ---------------------------------------------------------------------
    def _admin(self):
        page = random.randint(0, 3)
        self._call("access log", "GET", f"/admin/audit/?page={page}")


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    return found.group(1) if found else ""


def _read_form(page: str) -> dict[str, str]:
    # The tests' reader of a form as a browser submits it (repository root on sys.path).
    from tests.html_forms import read_form  # noqa: PLC0415

    return read_form(page)
