"""The admin edits the offices and the projects each holds; accounts are put in offices on
the account form; an account of office B sees office B's cards only (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.offices import Office, default_office_id
from models.admin.people import Role, User
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.audit import AccessEvent
from models.sales.prospects import Prospect
from services.admin.staff import record_starting_clearance
from tests.factories import make_prospect, ref_item
from tests.web.conftest import as_chinese_reader_sees

PASSWORD = "a-fresh-long-passphrase"
SALES_TAKEN = (
    "%(project)s is already sold by %(office)s: a project has one sales office. "
    "Take it from that office first."
)
RUN_TAKEN = (
    "%(project)s is already run by %(office)s: an estate has one management office. "
    "Take it from that office first."
)
OFFICE_NEEDED = "Choose the offices this account works for: staff see only their offices' records."


def _project(session, code: str, label: str) -> ReferenceItem:
    project_list = session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
    item = ReferenceItem(code=code, label=label, label_en=code, sort_order=900)
    project_list.items.append(item)
    session.flush()
    return item


@pytest.fixture
def projects(app) -> dict[str, int]:
    """Two projects no office holds yet (the default office holds those of install time)."""
    with app.app_context():
        ids = {
            "east": _project(db.session, "east_park", "东园").id,
            "west": _project(db.session, "west_park", "西园").id,
        }
        db.session.commit()
        return ids


def _office(app, name: str) -> Office | None:
    with app.app_context():
        office = db.session.scalar(select(Office).where(Office.name == name))
        if office is not None:
            office.project_ids = sorted(p.id for p in office.projects)
            office.member_ids = sorted(u.id for u in office.members)
            db.session.expunge(office)
        return office


def _office_form(name: str, kind: str, *project_ids: int, active: bool = True) -> dict:
    data = {"name": name, "kind": kind, "projects": [str(i) for i in project_ids]}
    if active:
        data["active"] = "y"
    return data


def _role_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Role.id).where(Role.code == code))


def _account_form(app, username: str, role: str, *office_ids: int) -> dict:
    return {
        "username": username,
        "password": PASSWORD,
        "full_name": "测试" + username,
        "role": str(_role_id(app, role)),
        "offices": [str(i) for i in office_ids],
        "active": "y",
    }


# --- the offices ----------------------------------------------------------------------------
def test_admin_creates_an_office_holding_projects(app, client, login_as, projects):
    login_as("admin")
    response = client.post(
        "/admin/office/new/", data=_office_form("城东售楼部", "sales", *projects.values())
    )
    assert response.status_code == 302
    office = _office(app, "城东售楼部")
    assert office.kind == "sales" and office.active is True
    assert office.project_ids == sorted(projects.values())
    with app.app_context():
        logged = db.session.scalar(
            select(AccessEvent).where(
                AccessEvent.record_type == "office", AccessEvent.record_id == office.id
            )
        )
        assert logged is not None and logged.action == "create"

    # The list and the details show the kind's name and the projects, never the code.
    for url in ("/admin/office/", f"/admin/office/details/?id={office.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "城东售楼部" in page and "售楼部" in page and "东园" in page and "西园" in page
        assert ">sales<" not in page
    assert client.get(f"/admin/office/edit/?id={office.id}").status_code == 200
    assert client.get("/admin/office/new/").status_code == 200

    # Closed, not deleted: the edit keeps the office and its projects.
    response = client.post(
        f"/admin/office/edit/?id={office.id}",
        data=_office_form("城东售楼部", "sales", *projects.values(), active=False),
    )
    assert response.status_code == 302
    assert _office(app, "城东售楼部").active is False
    assert client.post("/admin/office/delete/", data={"id": str(office.id)}).status_code == 403


def test_a_project_has_one_sales_office_and_one_management_office(app, client, login_as, projects):
    login_as("admin")
    east, west = projects["east"], projects["west"]
    assert client.post("/admin/office/new/", data=_office_form("城东售楼部", "sales", east))
    # A management office may run the estate a sales office sells.
    response = client.post(
        "/admin/office/new/", data=_office_form("锦园管理处", "management", east)
    )
    assert response.status_code == 302

    # A second sales-capable office of the same project is refused, with what was typed kept.
    for name, kind in (("城西售楼部", "sales"), ("综合办", "combined")):
        response = client.post("/admin/office/new/", data=_office_form(name, kind, east, west))
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        message = as_chinese_reader_sees(app, SALES_TAKEN, project="东园", office="城东售楼部")
        assert message in page
        assert f'value="{name}"' in page
        assert _office(app, name) is None

    # A second management office of the estate is refused too, in English for an English reader.
    client.get("/language/en")
    response = client.post(
        "/admin/office/new/", data=_office_form("翠苑管理处", "management", east)
    )
    assert response.status_code == 200
    assert (
        "东园 is already run by 锦园管理处: an estate has one management office."
        in response.get_data(as_text=True)
    )

    # An edit that changes the kind is checked the same way.
    west_office = _office(app, "城东售楼部")
    client.post("/admin/office/new/", data=_office_form("翠苑管理处", "management", west))
    cuiyuan = _office(app, "翠苑管理处")
    response = client.post(
        f"/admin/office/edit/?id={cuiyuan.id}",
        data=_office_form("翠苑管理处", "combined", west, east),
    )
    assert response.status_code == 200
    assert _office(app, "翠苑管理处").kind == "management"
    # The office itself is not a conflict with its own projects.
    response = client.post(
        f"/admin/office/edit/?id={west_office.id}",
        data=_office_form("城东售楼部", "sales", east, west),
    )
    assert response.status_code == 302
    assert _office(app, "城东售楼部").project_ids == sorted((east, west))


@pytest.mark.parametrize("role", ["clerk", "supervisor", "region_manager", "custodian"])
def test_only_the_admin_edits_offices(app, client, login_as, role, projects):
    login_as(role, region_id=None)
    with app.app_context():
        office_id = default_office_id(db.session)
    for url in (
        "/admin/office/",
        "/admin/office/new/",
        f"/admin/office/details/?id={office_id}",
        f"/admin/office/edit/?id={office_id}",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        "/admin/office/new/", data=_office_form("城西售楼部", "sales", projects["west"])
    )
    assert response.status_code == 403
    assert _office(app, "城西售楼部") is None


# --- accounts in offices --------------------------------------------------------------------
def test_the_account_form_puts_staff_in_offices(app, client, login_as, projects):
    login_as("admin")
    client.post("/admin/office/new/", data=_office_form("城西售楼部", "sales", projects["west"]))
    west = _office(app, "城西售楼部")
    with app.app_context():
        first = default_office_id(db.session)
        closed = Office(name="旧售楼部", kind="sales", active=False)
        db.session.add(closed)
        db.session.commit()
        closed_id = closed.id

    # Staff need an office; the page says so and keeps what was typed.
    response = client.post("/admin/user/new/", data=_account_form(app, "wangfang", "clerk"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert as_chinese_reader_sees(app, OFFICE_NEEDED) in page and 'value="wangfang"' in page
    # A closed office is not offered to a new account.
    form_page = client.get("/admin/user/new/").get_data(as_text=True)
    assert "城西售楼部" in form_page and "旧售楼部" not in form_page

    response = client.post(
        "/admin/user/new/", data=_account_form(app, "wangfang", "clerk", west.id, first)
    )
    assert response.status_code == 302
    # The admin and a region manager work without one.
    response = client.post("/admin/user/new/", data=_account_form(app, "boss", "admin"))
    assert response.status_code == 302
    with app.app_context():
        region_id = ref_item(db.session, "region", "south").id
        db.session.commit()
    data = _account_form(app, "south", "region_manager")
    data["region"] = str(region_id)
    assert client.post("/admin/user/new/", data=data).status_code == 302

    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert {o.id for o in users["wangfang"].offices} == {west.id, first}
        assert users["boss"].offices == [] and users["south"].offices == []
        wangfang_id = users["wangfang"].id
        # Someone in a closed office stays in it when the admin edits something else.
        users["wangfang"].offices.append(db.session.get(Office, closed_id))
        db.session.commit()

    page = client.get("/admin/user/").get_data(as_text=True)
    assert "城西售楼部" in page
    page = client.get(f"/admin/user/details/?id={wangfang_id}").get_data(as_text=True)
    assert "城西售楼部" in page and "旧售楼部" in page
    response = client.post(
        f"/admin/user/edit/?id={wangfang_id}",
        data={**_account_form(app, "wangfang", "clerk", west.id, closed_id), "new_password": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        assert {o.id for o in db.session.get(User, wangfang_id).offices} == {west.id, closed_id}

    # The office's details list its accounts.
    page = client.get(f"/admin/office/details/?id={west.id}").get_data(as_text=True)
    assert "测试wangfang" in page


def test_a_clerk_of_office_b_sees_office_b_cards_only(app, client, login_as, projects):
    login_as("admin")
    client.post("/admin/office/new/", data=_office_form("城西售楼部", "sales", projects["west"]))
    office_b = _office(app, "城西售楼部")
    response = client.post(
        "/admin/user/new/", data=_account_form(app, "xiaozhang", "clerk", office_b.id)
    )
    assert response.status_code == 302
    with app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "xiaozhang"))
        west = db.session.get(ReferenceItem, projects["west"])
        # Office A is the first office (combined), holding a project of its own.
        office_a = db.session.get(Office, default_office_id(db.session))
        project_a = db.session.get(ReferenceItem, projects["east"])
        office_a.projects.append(project_a)
        card_b = make_prospect(db.session, name="西园客户", project=west, consultant_id=clerk.id)
        pool_b = make_prospect(db.session, name="西园公共客户", project=west)
        card_a = make_prospect(db.session, name="本部客户", project=project_a)
        assert (card_b.office_id, pool_b.office_id) == (office_b.id, office_b.id)
        assert card_a.office_id == office_a.id
        card_a_id = card_a.id
        # signed and trained, so the gate lets the new account in (services/admin/staff_clearance.py)
        record_starting_clearance(db.session, clerk, office_today())
        db.session.commit()
    client.post("/logout")
    response = client.post("/login", data={"username": "xiaozhang", "password": PASSWORD})
    assert response.status_code == 302

    page = client.get("/admin/prospect/").get_data(as_text=True)
    assert "西园客户" in page
    assert "本部客户" not in page
    assert client.get(f"/admin/prospect/details/?id={card_a_id}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Prospect.office_id).where(Prospect.id == card_a_id))
