"""Nasty ``next`` values on sign-in and the language switch: a safe redirect, never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from extensions import db
from tests.factories import PASSWORD, make_user
from tests.unit.shared.test_redirects import NASTY

NEXT_VALUES = [value for value in NASTY if value]


def _goes_home(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].endswith("/admin/")


@pytest.mark.parametrize("target", NEXT_VALUES)
def test_language_switch_with_a_nasty_next_goes_home(client, target):
    response = client.get("/language/en?next=" + quote(target, safe=""))
    assert _goes_home(response), (target, response.status_code)


def test_language_switch_with_raw_control_characters_in_the_url(client):
    # The encoded newline of the report, untouched by any quoting of ours.
    for url in (
        "/language/en?next=/admin/%0A",
        "/language/en?next=/admin/%0D%0Ax:1",
        "/language/zh_Hans_CN?next=%2F%09%2Fevil.example",
    ):
        assert _goes_home(client.get(url)), url


def test_sign_in_with_a_nasty_next_goes_home(app, client):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    failures = []
    for target in NEXT_VALUES:
        response = client.post(
            "/login?next=" + quote(target, safe=""), data={"username": "li", "password": PASSWORD}
        )
        if not _goes_home(response):
            failures.append((target, response.status_code))
        # Signed in now: a GET of /login with the same next redirects straight away.
        response = client.get("/login?next=" + quote(target, safe=""))
        if not _goes_home(response):
            failures.append(("GET", target, response.status_code))
        client.post("/logout")
    assert not failures
