"""Two people editing the same record: the second save never silently overwrites the first.

Derived from the registered views: every model view some role may edit is tried, so a new
view is covered without a new test. Each test opens the edit page twice (two people of the
role that edits it), saves a change from the first, then a different change from the second
page, which was opened before the first save.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_login import login_user
from sqlalchemy import select

import views  # noqa: F401  (imports every area's views, so all are found below)
from core import access
from core.clock import office_today
from demo.seed import seed_demo
from extensions import db
from models.admin.offices import Office
from models.admin.reference import ReferenceItem, ReferenceList
from models.shared.approvals import ChangeRequest
from services.shared.approval_policy import gated_fields
from tests.factories import PASSWORD, make_user
from tests.html_forms import read_form
from views.shared.base import SecureModelView

#: Roles tried in this order: the first that may edit a view edits it in the test.
ROLE_ORDER = ("supervisor", "admin", "custodian", "region_manager", "clerk")


def _editor(key: str) -> str:
    return next(role for role in ROLE_ORDER if access.can(role, key, access.EDIT))


def _model_views(cls=SecureModelView):
    for sub in cls.__subclasses__():
        yield sub
        yield from _model_views(sub)


#: Every model view some role may edit (views/__init__.py imports them all).
EDITABLE = sorted(
    {
        view.access_key
        for view in _model_views()
        if view.access_key
        and any(access.EDIT in rights for rights in access.RIGHTS[view.access_key].values())
    }
)


def _view(app, key):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == key)


def _sign_in(app, role: str, region_id: int | None, who: str):
    client = app.test_client()
    with app.app_context():
        # In every office of the demo group, so any office's record can be edited.
        offices = list(db.session.scalars(select(Office)))
        user = make_user(
            db.session, role, username=f"stale_{who}", region_id=region_id, offices=offices
        )
        user_id, username = user.id, user.username
        db.session.commit()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client, user_id


def _south(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ReferenceItem.id)
            .join(ReferenceList)
            .where(ReferenceList.code == "region", ReferenceItem.code == "south")
        )


def _a_record_of(app, key: str, user_id: int) -> int:
    """A record of the view that the editor may open (the view's own scoping decides)."""
    from models.admin.people import User

    view = _view(app, key)
    with app.test_request_context():
        login_user(db.session.get(User, user_id))
        record = view.get_query().order_by(view.model.id).first()
        assert record is not None, f"the demo office has no {key} for this role"
        return record.id


def _field_to_change(
    form: dict[str, str], key: str, role: str, gated: bool = False
) -> tuple[str, str, str]:
    """A field of the record itself (not an inline row, not the save's own) that ``role``
    changes directly (or, with ``gated``, only through a change request), with two
    different new values for the two people."""
    skip = {"approval_reason", "record_version", "record_snapshot", "csrf_token"}
    own = [
        name
        for name in form
        if "-" not in name
        and name not in skip
        and isinstance(form[name], str)
        and bool(gated_fields(key, role, {name: ("", "x")})) == gated
    ]
    for name in ("notes", "note", "remark", "summary", "full_name", "label", "name", "title"):
        if name in own:
            kept = (form[name] or "")[:40]
            return name, kept + "甲改", kept + "乙改"
    for name in own:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", form[name] or "") or name.endswith("_until"):
            day = date.fromisoformat(form[name]) if form[name] else office_today()
            return name, str(day - timedelta(days=1)), str(day - timedelta(days=2))
    raise AssertionError(f"no field {role} changes directly among {own}")


#: Kinds whose editor changes nothing directly: every save is a change request.
FULLY_GATED = {"dealer", "dealer_data_card"}


def _both_ask_for_a_change(key, role, url, first, second, mine, theirs) -> None:
    """Two requests to change the same field: the second is refused while the first waits,
    and the record is untouched until an approver decides."""
    field, first_value, second_value = _field_to_change(mine, key, role, gated=True)
    mine.update({field: first_value, "approval_reason": "核对"})
    assert first.post(url, data=mine).status_code == 302
    theirs.update({field: second_value, "approval_reason": "核对"})
    refused = second.post(url, data=theirs)
    assert refused.status_code == 200
    assert "该字段已有待审批的修改" in refused.get_data(as_text=True)
    with first.application.app_context():
        pending = db.session.scalars(
            select(ChangeRequest).where(
                ChangeRequest.record_type == key, ChangeRequest.status == "pending"
            )
        ).all()
    assert len(pending) == 1


def _messages(page: str) -> list[str]:
    """Flashes and field errors of a page, to say why a save was not taken."""
    found = re.findall(r'class="(?:invalid-feedback|alert[^"]*)"[^>]*>(.*?)</', page, re.S)
    return [" ".join(text.split()) for text in found]


@pytest.mark.parametrize("key", EDITABLE)
def test_a_save_from_a_stale_page_is_refused_and_can_be_reapplied(app, key):
    with app.app_context():
        seed_demo(db.session, prospect_count=6)
    role = _editor(key)
    region = _south(app) if role == "region_manager" else None
    first, first_id = _sign_in(app, role, region, "first")
    second, _second_id = _sign_in(app, role, region, "second")
    record_id = _a_record_of(app, key, first_id)
    url = f"/admin/{key}/edit/?id={record_id}"

    first_page = first.get(url)
    second_page = second.get(url)
    assert first_page.status_code == second_page.status_code == 200
    mine, theirs = read_form(first_page.get_data(as_text=True)), read_form(
        second_page.get_data(as_text=True)
    )
    assert mine["record_snapshot"] and mine["record_version"] is not None
    if key in FULLY_GATED:
        return _both_ask_for_a_change(key, role, url, first, second, mine, theirs)
    field, first_value, second_value = _field_to_change(mine, key, role)
    mine[field] = first_value
    saved = first.post(url, data=mine)
    assert saved.status_code == 302, (key, field, _messages(saved.get_data(as_text=True)))
    assert read_form(first.get(url).get_data(as_text=True))[field] == first_value

    theirs[field] = second_value
    refused = second.post(url, data=theirs)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert 'id="edit-conflict"' in page
    assert f'data-field="{field}"' in page
    # The first person's value stands.
    assert read_form(first.get(url).get_data(as_text=True))[field] == first_value

    # One more click re-applies: the page kept what was typed and carries the new snapshot.
    again = read_form(page)
    assert again[field] == second_value
    assert again["record_snapshot"] != theirs["record_snapshot"]
    assert second.post(url, data=again).status_code == 302
    assert read_form(first.get(url).get_data(as_text=True))[field] == second_value


def test_a_page_without_a_readable_snapshot_saves_nothing(app, client, login_as):
    with app.app_context():
        seed_demo(db.session, prospect_count=6)
    login_as("admin", username="stale_admin")
    url = "/admin/reference_list/edit/?id=1"
    form = read_form(client.get(url).get_data(as_text=True))
    before = form["name"]
    form["name"] = before + "改"
    form["record_snapshot"] = form["record_snapshot"][:-4] + "AAAA"
    response = client.post(url, data=form)
    assert response.status_code == 200
    assert read_form(client.get(url).get_data(as_text=True))["name"] == before


# --- deletes, actions on several rows, list editing -------------------------------------------
def _space(app, code: str) -> int:
    from models.property.property import ParkingSpace

    with app.app_context():
        space = ParkingSpace(code=code)
        db.session.add(space)
        db.session.commit()
        return space.id


def _space_exists(app, space_id: int) -> bool:
    from models.property.property import ParkingSpace

    with app.app_context():
        return db.session.get(ParkingSpace, space_id) is not None


def _rename_space(app, space_id: int, code: str) -> None:
    from models.property.property import ParkingSpace

    with app.app_context():
        db.session.get(ParkingSpace, space_id).code = code
        db.session.commit()


def test_a_row_changed_since_the_list_was_shown_is_not_deleted(app, client, login_as):
    login_as("supervisor")
    space_id = _space(app, "P-100")
    page = client.get("/admin/parking_space/").get_data(as_text=True)
    assert 'name="record_version" value="1"' in page
    _rename_space(app, space_id, "P-101")  # someone else, meanwhile

    refused = client.post(
        "/admin/parking_space/delete/",
        data={"id": str(space_id), "record_version": "1"},
        follow_redirects=True,
    )
    assert "P-101" in refused.get_data(as_text=True)  # named in the message
    assert _messages(refused.get_data(as_text=True))
    assert _space_exists(app, space_id)
    # Looked at again (the list shows version 2), it is deleted.
    page = client.get("/admin/parking_space/").get_data(as_text=True)
    assert 'name="record_version" value="2"' in page
    client.post("/admin/parking_space/delete/", data={"id": str(space_id), "record_version": "2"})
    assert not _space_exists(app, space_id)


def test_a_delete_without_what_the_page_showed_deletes_nothing(app, client, login_as):
    login_as("supervisor")
    space_id = _space(app, "P-200")
    client.post("/admin/parking_space/delete/", data={"id": str(space_id)})
    assert _space_exists(app, space_id)


def test_an_action_on_several_rows_leaves_out_rows_changed_since_the_list(app, client, login_as):
    login_as("supervisor")
    kept, gone = _space(app, "P-301"), _space(app, "P-302")
    page = client.get("/admin/parking_space/").get_data(as_text=True)
    opened = re.search(r'name="page_opened_at" value="([^"]+)"', page).group(1)
    _rename_space(app, kept, "P-303")
    client.post(
        "/admin/parking_space/action/",
        data={"action": "delete", "rowid": [str(kept), str(gone)], "page_opened_at": opened},
    )
    assert _space_exists(app, kept)
    assert not _space_exists(app, gone)


def test_list_editing_is_not_offered(app, client, login_as):
    login_as("supervisor")
    space_id = _space(app, "P-400")
    response = client.post(
        "/admin/parking_space/ajax/update/", data={"list_form_pk": str(space_id), "code": "X"}
    )
    assert response.status_code == 409
    assert _space_exists(app, space_id) is not False
    with pytest.raises(TypeError, match="list editing"):

        class _Editable(SecureModelView):
            access_key = "parking_space"
            column_editable_list = ("code",)

        from models.property.property import ParkingSpace

        _Editable(ParkingSpace, db, endpoint="editable_probe", url="/admin/editable_probe")


def test_a_deletion_request_from_a_stale_page_asks_again(app, client, login_as):
    from models.sales.prospects import Prospect
    from tests.factories import make_prospect

    login_as("clerk")
    with app.app_context():
        prospect_id = make_prospect(db.session).id
        db.session.commit()
    url = f"/admin/prospect/request-delete/?id={prospect_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="record_version" type="hidden" value="1"' in page
    with app.app_context():
        db.session.get(Prospect, prospect_id).notes = "别人补充了备注"
        db.session.commit()
    again = client.post(url, data={"reason": "重复录入", "record_version": "1"})
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalars(select(ChangeRequest)).all() == []
    assert client.post(url, data={"reason": "重复录入", "record_version": "2"}).status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(ChangeRequest)).all()) == 1
