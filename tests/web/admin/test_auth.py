"""Sign-in, sign-out and the fixed entry points."""

from __future__ import annotations

from extensions import db
from tests.factories import PASSWORD, make_user


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page
    assert 'name="username"' in page and 'name="password"' in page


def test_login_and_land_on_admin(app, client):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    response = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert client.get("/admin/").status_code == 200


def test_same_answer_for_wrong_password_and_unknown_user(app, client):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    wrong = client.post("/login", data={"username": "li", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"username": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    # The pages differ only by the name typed back into the form.
    assert wrong.get_data(as_text=True).replace('value="li"', "") == unknown.get_data(
        as_text=True
    ).replace('value="nobody"', "")
    assert "用户名或密码错误" in wrong.get_data(as_text=True)


def test_deactivated_account_cannot_sign_in(app, client):
    with app.app_context():
        user = make_user(db.session, "clerk", username="gone")
        user.active = False
        db.session.commit()
    response = client.post("/login", data={"username": "gone", "password": PASSWORD})
    assert response.status_code == 401


def test_next_is_followed_only_when_local(app, client):
    with app.app_context():
        make_user(db.session, "clerk", username="li")
        db.session.commit()
    for target in ("https://evil.example/x", "//evil.example", "/\\evil.example"):
        response = client.post(
            "/login?next=" + target, data={"username": "li", "password": PASSWORD}
        )
        assert response.headers["Location"].endswith("/admin/"), target
    client.post("/logout")
    response = client.post(
        "/login?next=/admin/prospect/", data={"username": "li", "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/admin/prospect/")


def test_logout_is_post_only(client, login_as):
    login_as("clerk")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/admin/").status_code == 302


def test_anonymous_admin_goes_to_login(client):
    response = client.get("/admin/prospect/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_language_switch_is_remembered(client):
    client.get("/language/en?next=/login")
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in" in page
    client.get("/language/zh_Hans_CN?next=/login")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    response = client.get("/language/xx?next=/login")
    assert response.status_code == 302  # answered (back to the page), only without a cookie
    assert "panel_lang" not in response.headers.get("Set-Cookie", "")
