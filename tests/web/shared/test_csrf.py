"""Every form carries CSRF; posts without the token are refused."""

from __future__ import annotations

import re

import pytest

from extensions import db
from tests.factories import PASSWORD, make_user


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, "no csrf_token in the form"
    return match.group(1)


def test_login_needs_the_token(app, client, csrf_on):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    assert client.post("/login", data={"username": "li", "password": PASSWORD}).status_code == 400
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "li", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_admin_forms_carry_the_token_and_need_it(app, client, csrf_on):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    token = _token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/prospect/new/").get_data(as_text=True)
    form_token = _token(page)
    assert client.post("/admin/prospect/new/", data={"name": "x"}).status_code == 400
    # The token of the admin form is accepted by the global CSRF check.
    response = client.post("/admin/prospect/new/", data={"name": "", "csrf_token": form_token})
    assert response.status_code == 200
    # Sign-out is a form too.
    assert client.post("/logout").status_code == 400
    home = client.get("/admin/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": _token(home)}).status_code == 302
