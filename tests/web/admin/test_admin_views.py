"""Administration screens: accounts with their passwords, reference lists and items."""

from __future__ import annotations

from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.admin.offices import default_office_id
from models.admin.people import Role, User
from models.admin.reference import ReferenceItem, ReferenceList
from models.sales.prospects import Prospect
from services.admin.staff import record_starting_clearance
from tests.factories import PASSWORD, make_prospect, make_user, ref_item

NEW_PASSWORD = "a-fresh-long-passphrase"


def _role_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Role.id).where(Role.code == code))


def _user_form(app, **overrides) -> dict:
    with app.app_context():
        office_id = default_office_id(db.session)
    data = {
        "username": "zhangwei",
        "password": NEW_PASSWORD,
        "full_name": "张伟",
        "role": str(_role_id(app, "clerk")),
        "offices": str(office_id),
        "active": "y",
    }
    data.update(overrides)
    return data


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _username(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).username


def _english(client) -> None:
    client.get("/language/en")


# --- accounts -------------------------------------------------------------------------------
def test_every_admin_page_renders(app, client, login_as):
    admin_id = login_as("admin")
    with app.app_context():
        list_id = db.session.scalar(select(ReferenceList.id).where(ReferenceList.code == "need"))
        item_id = ref_item(db.session, "need", "upgrade").id
    for key, record_id in (("user", admin_id), ("reference_list", list_id)):
        for url in (
            f"/admin/{key}/",
            f"/admin/{key}/details/?id={record_id}",
            f"/admin/{key}/new/",
            f"/admin/{key}/edit/?id={record_id}",
        ):
            assert client.get(url).status_code == 200, url
    for url in (
        "/admin/reference_item/",
        f"/admin/reference_item/details/?id={item_id}",
        "/admin/reference_item/new/",
        f"/admin/reference_item/edit/?id={item_id}",
    ):
        assert client.get(url).status_code == 200, url


def test_admin_creates_an_account_that_can_sign_in(app, client, login_as):
    admin_id = login_as("admin")
    response = client.post("/admin/user/new/", data=_user_form(app))
    assert response.status_code == 302
    user = _user(app, "zhangwei")
    assert user.full_name == "张伟" and user.active is True
    assert user.created_by_id == admin_id
    assert user.password_hash.startswith("$argon2") and NEW_PASSWORD not in user.password_hash
    client.post("/logout")
    response = client.post("/login", data={"username": "zhangwei", "password": NEW_PASSWORD})
    assert response.status_code == 302
    # a new account signs in but is stopped until its agreement and training are on record
    assert client.get("/admin/").location.endswith("/admin/clearance/")
    with app.app_context():
        record_starting_clearance(db.session, db.session.get(User, user.id), office_today())
        db.session.commit()
    assert client.get("/admin/").status_code == 200


def test_the_password_hash_never_reaches_a_page(app, client, login_as):
    admin_id = login_as("admin")
    client.post("/admin/user/new/", data=_user_form(app))
    user = _user(app, "zhangwei")
    for url in (
        "/admin/user/",
        f"/admin/user/details/?id={user.id}",
        f"/admin/user/details/?id={admin_id}",
        "/admin/user/new/",
        f"/admin/user/edit/?id={user.id}",
        "/admin/user/?search=zhangwei",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "$argon2" not in page, url
        assert user.password_hash not in page, url
        assert "password_hash" not in page, url
        assert NEW_PASSWORD not in page, url


def test_short_password_comes_back_with_the_typed_values(app, client, login_as):
    login_as("admin")
    _english(client)
    response = client.post("/admin/user/new/", data=_user_form(app, password="short"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A password needs at least 10 characters." in page
    assert 'value="zhangwei"' in page and 'value="张伟"' in page
    assert 'value="short"' not in page  # a password is never typed back
    assert _user(app, "zhangwei") is None


def test_missing_password_and_too_long_name_are_refused(app, client, login_as):
    login_as("admin")
    response = client.post("/admin/user/new/", data=_user_form(app, password=""))
    assert response.status_code == 200
    response = client.post("/admin/user/new/", data=_user_form(app, full_name="张" * 51))
    assert response.status_code == 200
    response = client.post("/admin/user/new/", data=_user_form(app, username=""))
    assert response.status_code == 200
    assert _user(app, "zhangwei") is None


def test_duplicate_username_is_a_clear_message(app, client, login_as):
    with app.app_context():
        make_user(db.session, "clerk", username="zhangwei")
        db.session.commit()
    login_as("admin")
    _english(client)
    response = client.post("/admin/user/new/", data=_user_form(app, full_name="另一个张伟"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This username is taken; choose another." in page
    assert 'value="另一个张伟"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_a_region_manager_account_needs_its_region(app, client, login_as):
    with app.app_context():
        south = ref_item(db.session, "region", "south").id
        db.session.commit()
    login_as("admin")
    manager = str(_role_id(app, "region_manager"))
    response = client.post("/admin/user/new/", data=_user_form(app, role=manager))
    assert response.status_code == 200
    assert _user(app, "zhangwei") is None
    response = client.post(
        "/admin/user/new/", data=_user_form(app, role=manager, region=str(south))
    )
    assert response.status_code == 302
    assert _user(app, "zhangwei").region_id == south


def test_admin_sets_a_new_password_or_keeps_the_old_one(app, client, login_as):
    with app.app_context():
        user = make_user(db.session, "clerk", username="lina", full_name="李娜")
        db.session.commit()
        user_id, old_hash = user.id, user.password_hash
    login_as("admin")
    form = {"username": "lina", "full_name": "李娜", "role": str(_role_id(app, "clerk"))}
    form["offices"] = _user_form(app)["offices"]
    form["active"] = "y"
    response = client.post(f"/admin/user/edit/?id={user_id}", data={**form, "new_password": ""})
    assert response.status_code == 302
    assert _user(app, "lina").password_hash == old_hash
    response = client.post(f"/admin/user/edit/?id={user_id}", data={**form, "new_password": "tiny"})
    assert response.status_code == 200
    assert _user(app, "lina").password_hash == old_hash
    response = client.post(
        f"/admin/user/edit/?id={user_id}", data={**form, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"username": "lina", "password": PASSWORD}).status_code == 401
    response = client.post("/login", data={"username": "lina", "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_a_deactivated_account_cannot_sign_in_and_nobody_deletes(app, client, login_as):
    with app.app_context():
        user = make_user(db.session, "clerk", username="gone", full_name="离职员工")
        db.session.commit()
        user_id = user.id
    admin_id = login_as("admin")
    form = {"username": "gone", "full_name": "离职员工", "role": str(_role_id(app, "clerk"))}
    form["offices"] = _user_form(app)["offices"]
    assert client.post(f"/admin/user/edit/?id={user_id}", data=form).status_code == 302
    assert _user(app, "gone").active is False
    assert client.post("/admin/user/delete/", data={"id": str(user_id)}).status_code == 403
    # Nor does an admin switch off their own account.
    admin = _user(app, _username(app, admin_id))
    own = {"username": admin.username, "full_name": admin.full_name, "role": str(admin.role_id)}
    assert client.post(f"/admin/user/edit/?id={admin_id}", data=own).status_code == 200
    assert _user(app, admin.username).active is True
    # Nor is anyone their own superior.
    own.update(active="y", superior=str(admin_id))
    _english(client)
    response = client.post(f"/admin/user/edit/?id={admin_id}", data=own)
    assert "An account cannot be its own superior." in response.get_data(as_text=True)
    assert _user(app, admin.username).superior_id is None
    client.post("/logout")
    assert client.post("/login", data={"username": "gone", "password": PASSWORD}).status_code == 401


def test_markup_and_emoji_in_a_name_are_shown_escaped(app, client, login_as):
    login_as("admin")
    name = "<script>alert(1)</script>王🙂"
    response = client.post("/admin/user/new/", data=_user_form(app, full_name=name))
    assert response.status_code == 302
    user = _user(app, "zhangwei")
    assert user.full_name == name
    for url in ("/admin/user/", f"/admin/user/details/?id={user.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;王🙂" in page


def test_only_admins_reach_administration(client, login_as):
    login_as("supervisor")
    for key in ("user", "reference_list", "reference_item"):
        assert client.get(f"/admin/{key}/").status_code == 403, key


# --- reference lists and items --------------------------------------------------------------
def _item_form(**overrides) -> dict:
    data = {"label": "改善型", "label_en": "Upgrade", "sort_order": "20", "active": "y"}
    data.update(overrides)
    return data


def test_a_retired_item_leaves_the_selects_but_stays_on_old_records(app, client, login_as):
    with app.app_context():
        item = ref_item(db.session, "awareness", "tv")
        prospect = make_prospect(db.session, name="老客户", awareness=item)
        db.session.commit()
        item_id, prospect_id, label = item.id, prospect.id, item.label
    login_as("admin")
    response = client.post(
        f"/admin/reference_item/edit/?id={item_id}",
        data=_item_form(label=label, label_en="TV", sort_order="40", active=""),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ReferenceItem, item_id).active is False
    client.post("/logout")
    login_as("clerk")
    form = client.get("/admin/prospect/new/").get_data(as_text=True)
    assert f'value="{item_id}"' not in form
    details = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    assert label in details
    with app.app_context():
        assert db.session.get(Prospect, prospect_id).awareness_id == item_id


def test_admin_adds_an_item_to_a_list(app, client, login_as):
    with app.app_context():
        list_id = db.session.scalar(select(ReferenceList.id).where(ReferenceList.code == "need"))
    login_as("admin")
    response = client.post(
        "/admin/reference_item/new/",
        data=_item_form(reference_list=str(list_id), code="second_home", label="第二套房"),
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(ReferenceItem).where(ReferenceItem.code == "second_home"))
        assert (item.list_id, item.label, item.sort_order, item.active) == (
            list_id,
            "第二套房",
            20,
            True,
        )


def test_duplicate_or_malformed_item_code_is_refused(app, client, login_as):
    with app.app_context():
        list_id = db.session.scalar(select(ReferenceList.id).where(ReferenceList.code == "need"))
        before = db.session.scalar(select(func.count()).select_from(ReferenceItem))
    login_as("admin")
    _english(client)
    response = client.post(
        "/admin/reference_item/new/",
        data=_item_form(reference_list=str(list_id), code="upgrade", label="重复"),
    )
    assert response.status_code == 200
    assert "This list already has an item with this code." in response.get_data(as_text=True)
    assert 'value="重复"' in response.get_data(as_text=True)
    response = client.post(
        "/admin/reference_item/new/",
        data=_item_form(reference_list=str(list_id), code="Bad Code!", label="坏"),
    )
    assert response.status_code == 200
    response = client.post(
        "/admin/reference_item/new/",
        data=_item_form(reference_list=str(list_id), code="ok", label="长" * 101),
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferenceItem)) == before


def test_items_filter_by_list_and_sort_by_order(app, client, login_as):
    with app.app_context():
        need = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "need"))
        need_id = need.id
        labels = [item.label for item in sorted(need.items, key=lambda i: i.sort_order)]
    login_as("admin")
    page = client.get(f"/admin/reference_item/?flt0_0={need_id}").get_data(as_text=True)
    assert all(label in page for label in labels)
    assert "企业" not in page  # an item of another list (unit nature)
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
    sort_index = 4  # the position of sort_order in column_sortable_list
    page = client.get(f"/admin/reference_item/?flt0_0={need_id}&sort={sort_index}&desc=1")
    body = page.get_data(as_text=True)
    positions = [body.index(label) for label in labels]
    assert positions == sorted(positions, reverse=True)


def test_reference_list_shows_and_edits_its_items_inline(app, client, login_as):
    with app.app_context():
        need = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "need"))
        list_id, items = need.id, [(i.id, i.code, i.label) for i in need.items]
    login_as("admin")
    details = client.get(f"/admin/reference_list/details/?id={list_id}").get_data(as_text=True)
    assert all(label in details for _id, _code, label in items)
    data = {"name": "需求类型（新）", "name_en": "Need"}
    for n, (item_id, code, label) in enumerate(items):
        data.update(
            {
                f"items-{n}-id": str(item_id),
                f"items-{n}-code": code,
                f"items-{n}-label": label,
                f"items-{n}-sort_order": str(10 * (n + 1)),
                f"items-{n}-active": "y",
            }
        )
    data["items-0-label"] = "首次置业（刚需）"
    data["del-items-1"] = "on"  # deleting from the list's form is not possible
    response = client.post(f"/admin/reference_list/edit/?id={list_id}", data=data)
    assert response.status_code == 302
    with app.app_context():
        need = db.session.get(ReferenceList, list_id)
        assert need.name == "需求类型（新）" and need.code == "need"
        assert len(need.items) == len(items)
        assert db.session.get(ReferenceItem, items[0][0]).label == "首次置业（刚需）"
    data["items-0-code"] = "renamed"
    _english(client)
    response = client.post(f"/admin/reference_list/edit/?id={list_id}", data=data)
    assert response.status_code == 200
    assert "The code of an existing item cannot change" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ReferenceItem, items[0][0]).code == items[0][1]
