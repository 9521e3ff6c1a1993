"""What list pages keep between requests (issue 21): the menu per application, role, rights,
language and page (views/shared/menu_cache.py), the filter groups and live options until what
they are read from changes (views/shared/mixins/listing.py, forms/admin/reference.py), and
rows built by the view with every value as the template showed it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from app import create_app
from core import access
from extensions import db
from models.admin.people import Role, User
from models.admin.reference import ReferenceItem, ReferenceList
from tests.factories import PASSWORD, make_prospect, make_user, ref_item
from tests.keys import TEST_KEYS
from views.shared import menu_cache


def _menu(body: str) -> str:
    match = re.search(
        r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right',
        body,
        re.S,
    )
    assert match, "no menu on the page"
    return match.group(1)


def _admin(app):
    return app.extensions["admin"][0]


def _second_app(app):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "AUDIT_HMAC_KEY": app.config["AUDIT_HMAC_KEY"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "WTF_CSRF_ENABLED": False,
            "SERVER_NAME": None,
            **TEST_KEYS,
        }
    )


@pytest.fixture(autouse=True)
def _menu_cache_on(monkeypatch):
    """The mechanism under test, whether or not the panel has it switched on."""
    monkeypatch.setattr(menu_cache, "ENABLED", True)


def test_the_menu_is_kept_per_application(app, client, login_as):
    assert menu_cache.ENABLED
    login_as("supervisor", username="menu_sup")
    first = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert "/admin/prospect/" in first
    assert menu_cache.cache_of(_admin(app)).menus  # kept on this app's Admin

    other = _second_app(app)
    try:
        # The same views in the same order, with one entry renamed: a menu kept for the first
        # app (a cache of the module, keyed by anything the two apps share) would not show it.
        admin = _admin(other)
        assert not menu_cache.cache_of(admin).menus
        entry = next(item for item in admin._menu if item.is_category())
        entry.name = "Only-in-the-second-app"
        second_client = other.test_client()
        response = second_client.post("/login", data={"username": "menu_sup", "password": PASSWORD})
        assert response.status_code == 302
        body = second_client.get("/admin/prospect/").get_data(as_text=True)
        assert "Only-in-the-second-app" in _menu(body)
        assert "Only-in-the-second-app" not in _menu(
            client.get("/admin/prospect/").get_data(as_text=True)
        )
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_role_or_language_change_gives_another_menu(app, client, login_as):
    user_id = login_as("clerk")
    as_clerk = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert "/admin/user/" not in as_clerk
    assert _menu(client.get("/admin/prospect/").get_data(as_text=True)) == as_clerk

    client.get("/language/en")
    in_english = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert in_english != as_clerk and "Welcome cards" in in_english
    client.get("/language/zh_Hans_CN")

    with app.app_context():
        user = db.session.get(User, user_id)
        user.role = db.session.scalar(select(Role).where(Role.code == "admin"))
        db.session.commit()
    as_admin = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert as_admin != as_clerk and "/admin/user/" in as_admin


def test_a_change_of_the_rights_tables_gives_another_menu(app, client, login_as, monkeypatch):
    login_as("clerk")
    before = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert "/admin/sales/pool/" in before
    monkeypatch.setitem(access.PAGES, "customer_pool.index", frozenset())
    after = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert "/admin/sales/pool/" not in after


def test_the_active_page_is_marked_in_each_menu(app, client, login_as):
    login_as("supervisor")
    cards = _menu(client.get("/admin/prospect/").get_data(as_text=True))
    assert re.search(r'class="dropdown-item active\s*"\s*href="/admin/prospect/"', cards)
    home = _menu(client.get("/admin/").get_data(as_text=True))
    assert not re.search(r'class="dropdown-item active\s*"\s*href="/admin/prospect/"', home)


#: Pages every role may open: the home page and the outcome of one's own requests.
PAGES_OF_EVERY_ROLE = ("/admin/", "/admin/my-requests/")


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_a_kept_menu_is_the_menu_each_role_gets_rendered(app, today, monkeypatch, language):
    """Issue 21: every role's kept menu, on its first and second page, is the menu rendered
    without the cache, so nothing the menu shows is missing from the key."""
    menu_cache.invalidate(_admin(app))
    home_menus = {}
    for role in access.ROLES:
        with app.app_context():
            extra = {"offices": [], "valid_until": today} if role == access.AUDITOR else {}
            user = make_user(db.session, role, **extra)
            name = user.username
            db.session.commit()
        client = app.test_client()
        response = client.post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 302, role
        client.get(f"/language/{language}")
        for path in PAGES_OF_EVERY_ROLE:
            menus = []
            for enabled in (False, True, True):  # rendered, then kept, then read from the cache
                monkeypatch.setattr(menu_cache, "ENABLED", enabled)
                response = client.get(path)
                assert response.status_code == 200, (role, path)
                menus.append(_menu(response.get_data(as_text=True)))
            assert menus[0] == menus[1] == menus[2], (role, path, language)
            home_menus.setdefault(role, menus[0])
    assert menu_cache.cache_of(_admin(app)).menus
    # The menu of the CI failure: a clerk's offers the welcome cards, kept or not.
    assert 'href="/admin/prospect/"' in home_menus["clerk"]
    assert 'href="/admin/prospect/"' not in home_menus["region_manager"]


def _filter_options(body: str, label: str) -> list:
    import json

    groups = json.loads(
        re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', body, re.S).group(1)
    )
    return groups[label][0]["options"]


def test_filter_options_follow_the_reference_lists(app, client, login_as):
    login_as("supervisor")
    body = client.get("/admin/prospect/").get_data(as_text=True)
    sources = {label for _value, label in _filter_options(body, "来源")}
    assert sources and "新开的来源" not in sources
    with app.app_context():
        listed = db.session.scalar(
            select(ReferenceList).where(ReferenceList.code == "source_channel")
        )
        db.session.add(
            ReferenceItem(list_id=listed.id, code="brand_new", label="新开的来源", sort_order=99)
        )
        db.session.commit()
    body = client.get("/admin/prospect/").get_data(as_text=True)
    assert "新开的来源" in {label for _value, label in _filter_options(body, "来源")}

    # Another worker's change (no flush in this process): the counts and times tell.
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE reference_items SET label = '改名的来源', updated_at = :now WHERE code = 'brand_new'"
            ),
            {"now": "2099-01-01 00:00:00.000000"},
        )
        db.session.commit()
    body = client.get("/admin/prospect/").get_data(as_text=True)
    labels = {label for _value, label in _filter_options(body, "来源")}
    assert "改名的来源" in labels and "新开的来源" not in labels


def test_the_consultant_filter_lists_a_new_account(app, client, login_as):
    login_as("supervisor")
    client.get("/admin/prospect/")
    with app.app_context():
        make_user(db.session, "clerk", full_name="新来的顾问")
        db.session.commit()
    body = client.get("/admin/prospect/").get_data(as_text=True)
    assert any("新来的顾问" in label for _value, label in _filter_options(body, "置业顾问"))


def test_rows_show_labels_masked_numbers_and_marks(app, client, login_as):
    with app.app_context():
        source = ref_item(db.session, "source_channel")
        card = make_prospect(
            db.session, name="王<b>伟", mobile="13812345678", source=source, progress="viewed"
        )
        card.is_scout = True
        db.session.commit()
        card_id, source_label = card.id, str(source)
    login_as("supervisor")
    body = client.get("/admin/prospect/").get_data(as_text=True)
    row = re.search(
        rf'<tr>\s*<td><input type="checkbox" name="rowid" class="action-checkbox" value="{card_id}".*?</tr>',
        body,
        re.S,
    ).group(0)
    assert "王&lt;b&gt;伟" in row and "<b>" not in row  # escaped
    assert "138****5678" in row and "13812345678" not in row  # masked
    assert source_label in row  # the item's label, never its id
    assert "已看房" in row or "Viewed" in row  # a choice's label, never its code
    assert "scout" in row  # the name's own mark comes through the view's chain
    assert f"/admin/prospect/details/?id={card_id}" in row


def test_form_messages_follow_the_language_from_a_kept_catalogue(app, monkeypatch):
    from babel import support
    from flask_wtf import FlaskForm
    from wtforms import StringField
    from wtforms.validators import DataRequired

    from views.shared import form_i18n

    class Probe(FlaskForm):
        value = StringField(validators=[DataRequired()])

    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(form_i18n, "_catalogues", {})
    monkeypatch.setattr(
        support.Translations, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k)
    )
    cookie = app.config["LANGUAGE_COOKIE"]
    seen = []
    for language in ("zh_Hans_CN", "en", "zh_Hans_CN", "en"):
        headers = {"Cookie": f"{cookie}={language}"}
        with app.test_request_context("/", method="POST", data={}, headers=headers):
            form = Probe()
            form.validate()
            seen.append(form.errors["value"][0])
    assert seen == ["该字段是必填字段。", "This field is required."] * 2
    assert len(loads) == 2  # once per language, not once per request
