"""The lean list template and what it keeps (issue 21, list pages against plain Flask-Admin).

templates/admin/model/panel_list.html is Flask-Admin's list.html made with less work: rows
built by the view, the page's parts rendered once and kept (views/shared/list_fragments.py),
the list addresses encoded without url_for (ListingMixin._get_list_url). The page must stay
the page Flask-Admin's own list.html renders, and a kept part must change as soon as anything
it shows does: the role's buttons and actions, the language, the count, the filter options.
"""

from __future__ import annotations

import json
import re

import pytest
from flask_admin.model.base import BaseModelView, ViewArgs
from sqlalchemy import select

from core import access
from extensions import db
from models.admin.people import Role, User
from tests.factories import PASSWORD, make_prospect, make_user
from views.shared import list_fragments


def _view(app, key: str = "prospect"):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == key)


def _filter_index(app, column: str) -> int:
    view = _view(app)
    with app.test_request_context():
        return next(
            i
            for i, flt in enumerate(view._filters)
            if str(getattr(flt, "column", "")) == f"Prospect.{column}"
        )


def _normalised(body: str) -> str:
    """The page without what differs between two renderings of it (the form tokens, the time
    the page was opened) or between two templates' layout (whitespace between and in tags)."""
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1-", body)
    body = re.sub(r'value="[^"]*"( id="csrf_token"| name="csrf_token")', r'value="-"\1', body)
    body = re.sub(r'(name="page_opened_at" value=")[^"]*', r"\1-", body)
    body = re.sub(r">\s+", ">", body)
    body = re.sub(r"\s+<", "<", body)
    return re.sub(r"\s+", " ", body)


def _sign_in(app, role: str, language: str, today):
    extra = {"offices": [], "valid_until": today} if role == access.AUDITOR else {}
    with app.app_context():
        name = make_user(db.session, role, **extra).username
        db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code == 302
    client.get(f"/language/{language}")
    return client


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_the_list_page_is_flask_admins_list(app, today, monkeypatch, language):
    with app.app_context():
        consultant = make_user(db.session, "clerk", full_name="顾问<甲>")
        for n in range(25):
            make_prospect(
                db.session,
                name=f"王&伟{n}",
                grade="B" if n % 2 else "A",
                consultant_id=consultant.id if n % 3 else None,
            )
        db.session.commit()
        consultant_id = consultant.id
    grade, by_consultant = _filter_index(app, "grade"), _filter_index(app, "consultant_id")
    addresses = (
        "/admin/prospect/",
        "/admin/prospect/?page=1",
        "/admin/prospect/?sort=1&desc=1",
        f"/admin/prospect/?flt0_{grade}=B&flt1_{by_consultant}={consultant_id}",
        f"/admin/prospect/?flt0_{grade}=B&search=w%26x%3Cy&page_size=50",
        "/admin/owner/?sort=0",
    )
    view = _view(app)
    for role in ("clerk", "supervisor", "admin", access.AUDITOR):
        client = _sign_in(app, role, language, today)
        for address in addresses:
            pages = []
            for template in (None, None, "admin/model/list.html"):  # made, kept, Flask-Admin's
                if template:
                    monkeypatch.setattr(view, "list_template", template)
                    monkeypatch.setattr(_view(app, "owner"), "list_template", template)
                response = client.get(address)
                assert response.status_code == 200, (role, address)
                pages.append(_normalised(response.get_data(as_text=True)))
                monkeypatch.undo()
            assert pages[0] == pages[1], (role, address, "kept")
            assert pages[0] == pages[2], (role, address, "Flask-Admin's list.html")


def _create_link(body: str) -> bool:
    return 'href="/admin/prospect/new/' in body


def _list_tab(body: str) -> str:
    return re.search(r'class="nav-link active">([^<]*)</a>', body).group(1)


def test_kept_parts_follow_the_role_language_count_and_rights(app, client, login_as, monkeypatch):
    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    user_id = login_as("clerk")
    first = client.get("/admin/prospect/").get_data(as_text=True)
    assert _list_tab(first).endswith(" (1)")
    assert list_fragments.cache_of(_view(app)).parts  # kept on the view

    with app.app_context():
        make_prospect(db.session)
        db.session.commit()
    assert _list_tab(client.get("/admin/prospect/").get_data(as_text=True)).endswith(" (2)")

    client.get("/language/en")
    english = client.get("/admin/prospect/").get_data(as_text=True)
    assert _list_tab(english) == "List (2)" and "Sort by" in english
    client.get("/language/zh_Hans_CN")

    # The same address for another role: its own buttons.
    can_create = _create_link(first)
    with app.app_context():
        user = db.session.get(User, user_id)
        user.role = db.session.scalar(select(Role).where(Role.code == "custodian"))
        db.session.commit()
    as_custodian = client.get("/admin/prospect/").get_data(as_text=True)
    assert can_create and not _create_link(as_custodian)

    # A change of the rights tables: the export button goes with the right.
    with app.app_context():
        user = db.session.get(User, user_id)
        user.role = db.session.scalar(select(Role).where(Role.code == "supervisor"))
        db.session.commit()
    exported = client.get("/admin/prospect/").get_data(as_text=True)
    assert "/admin/prospect/export/" in exported
    rows = {**access.RIGHTS["prospect"]}
    rows["supervisor"] = rows["supervisor"] - {access.EXPORT}
    monkeypatch.setitem(access.RIGHTS, "prospect", rows)
    assert "/admin/prospect/export/" not in client.get("/admin/prospect/").get_data(as_text=True)


def _data(body: str, element: str):
    return json.loads(re.search(rf'id="{element}"[^>]*>(.*?)</div>', body, re.S).group(1))


def test_a_kept_filter_list_shows_a_new_consultant_and_the_active_filters(app, client, login_as):
    login_as("supervisor")
    by_consultant = _filter_index(app, "consultant_id")
    client.get("/admin/prospect/")
    with app.app_context():
        newcomer = make_user(db.session, "clerk", full_name="新来的顾问")
        db.session.commit()
        newcomer_id = newcomer.id
    body = client.get("/admin/prospect/").get_data(as_text=True)
    assert "新来的顾问" in json.dumps(_data(body, "filter-groups-data"), ensure_ascii=False)
    filtered = client.get(f"/admin/prospect/?flt0_{by_consultant}={newcomer_id}")
    active = _data(filtered.get_data(as_text=True), "active-filters-data")
    assert [by_consultant, str(newcomer_id)] in [[i, value] for i, _name, value in active]


def test_kept_parts_can_be_switched_off(app, client, login_as, monkeypatch):
    login_as("supervisor")
    kept = client.get("/admin/prospect/").get_data(as_text=True)
    monkeypatch.setattr(list_fragments, "ENABLED", False)
    assert _normalised(client.get("/admin/prospect/").get_data(as_text=True)) == _normalised(kept)


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"page": 3},
        {"page": 0, "sort": 2, "sort_desc": 1},
        {"search": "王伟 & <b>?=/#%"},
        {"page_size": 50, "search": "ww"},
        {"filters": [(0, "grade", "B"), (1, "x", "a b&c")], "sort": 1},
        {"extra_args": {"extra": "ü/?"}, "page": 2},
    ],
)
def test_list_addresses_are_those_url_for_builds(app, arguments):
    view = _view(app)
    with app.test_request_context("/admin/prospect/"):
        view_args = ViewArgs(
            page=arguments.get("page"),
            page_size=arguments.get("page_size"),
            sort=arguments.get("sort"),
            sort_desc=arguments.get("sort_desc"),
            search=arguments.get("search"),
            filters=arguments.get("filters"),
            extra_args=arguments.get("extra_args"),
        )
        assert view._get_list_url(view_args) == BaseModelView._get_list_url(view, view_args)
