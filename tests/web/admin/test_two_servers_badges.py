"""The navbar's counts hold across app servers: a change request filed through one server is
counted in the approver's badge on the other at once (the count is read from the database on
every page, nothing is kept in a process). Same harness and conditions as test_two_servers."""

from __future__ import annotations

import html
import http.client
import re
from urllib.parse import urlencode

import pytest

from extensions import db
from tests.factories import PASSWORD, make_prospect, make_user
from tests.web.admin.test_two_servers import _call, servers  # noqa: F401 - the fixture

pytestmark = pytest.mark.two_servers

BADGE = re.compile(r'id="approvals-badge".*?<span class="badge[^"]*">(\d+)</span>', re.S)


def _page(port, path, cookie) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        assert response.status == 200, (path, response.status)
        return response.read().decode()
    finally:
        connection.close()


def _sign_in(port, username) -> str:
    status, cookie, _ = _call(port, "POST", "/login", {"username": username, "password": PASSWORD})
    assert status == 302
    return cookie.split(";", 1)[0]


def _badge(port, cookie) -> int:
    found = BADGE.search(_page(port, "/admin/", cookie))
    assert found, "the approver's navbar has no approvals badge"
    return int(found.group(1))


def test_a_request_filed_on_one_server_is_counted_on_the_other(app, servers):  # noqa: F811
    first, second = servers
    with app.app_context():
        make_user(db.session, "clerk", username="badge_clerk")
        make_user(db.session, "supervisor", username="badge_sup")
        prospect = make_prospect(db.session, name="林晓", mobile="13800000071")
        db.session.commit()
        prospect_id, source_id, grade = prospect.id, prospect.source_id, prospect.grade
    supervisor = _sign_in(second, "badge_sup")
    before = _badge(second, supervisor)

    clerk = _sign_in(first, "badge_clerk")
    # The edit form as the clerk's browser has it: its signed snapshot of the record.
    edit_page = _page(first, f"/admin/prospect/edit/?id={prospect_id}", clerk)
    hidden = dict(re.findall(r'<input[^>]*name="(record_\w+)"[^>]*value="([^"]*)"', edit_page))
    assert "record_version" in hidden
    form = {
        **{name: html.unescape(value) for name, value in hidden.items()},
        "name": "林晓",
        "mobile": "13900000071",
        "source": str(source_id),
        "grade": grade,
        "progress": "follow_up",
        "approval_reason": "客户换号",
    }
    connection = http.client.HTTPConnection("127.0.0.1", first, timeout=10)
    try:
        connection.request(
            "POST",
            f"/admin/prospect/edit/?id={prospect_id}",
            body=urlencode(form),
            headers={"Cookie": clerk, "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        assert response.status == 302
    finally:
        connection.close()

    assert _badge(second, supervisor) == before + 1
    assert _badge(first, _sign_in(first, "badge_sup")) == before + 1
