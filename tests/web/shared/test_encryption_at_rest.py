"""Personal columns are stored encrypted; exact search still finds people by mobile or ID."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Text, select, type_coerce

from extensions import db
from models.base import Base
from models.property.property import HouseholdMember, Owner, Tenant
from models.sales.prospects import Prospect, Visit
from models.shared.approvals import ChangeRequest
from models.types import blind_index_of, check_bindings, encrypted_columns
from services.shared import approvals
from tests.factories import make_prospect, make_user, make_visit
from tests.web.property.test_property_views import (
    _owner_form,
    make_owner,
    make_tenant,
    make_unit,
    valid_id,
)

MOBILE = "13911112222"
ID_NUMBER = valid_id("44030419850612003")


def _raw(model, attr_name: str, record_id: int):
    column = getattr(model, attr_name)
    return db.session.scalar(select(type_coerce(column, Text())).where(model.id == record_id))


def test_every_encrypted_column_is_bound_to_itself():
    assert check_bindings(Base.metadata) == []
    bindings = {column.type.binding for column in encrypted_columns(Base.metadata)}
    assert {
        "prospects.mobile",
        "prospects.notes",
        "prospect_visits.summary",
        "owners.id_number",
        "household_members.id_number",
        "tenants.mobile",
        "change_requests.changes",
        "record_history.changes",
    } <= bindings


def test_values_are_stored_as_tokens_with_a_blind_index(app):
    with app.app_context():
        prospect = make_prospect(db.session, mobile=MOBILE, notes="想要南向三居")
        make_visit(db.session, prospect, summary="带父母看样板间")
        owner = make_owner(db.session, mobile="13922223333", id_number=ID_NUMBER)
        db.session.commit()
        visit_id = prospect.visits[0].id

        for model, name, record_id, plain in (
            (Prospect, "mobile", prospect.id, MOBILE),
            (Prospect, "notes", prospect.id, "想要南向三居"),
            (Visit, "summary", visit_id, "带父母看样板间"),
            (Owner, "id_number", owner.id, ID_NUMBER),
        ):
            stored = _raw(model, name, record_id)
            assert stored.startswith("t1:") and plain not in stored
        assert len(prospect.mobile_bidx) == 64 and MOBILE not in prospect.mobile_bidx
        assert owner.id_number_bidx and owner.id_number_bidx != owner.mobile_bidx

        db.session.expire_all()
        assert db.session.get(Prospect, prospect.id).mobile == MOBILE
        # Changing or clearing the value keeps the index in step.
        loaded = db.session.get(Prospect, prospect.id)
        old_index = loaded.mobile_bidx
        loaded.mobile = "13933334444"
        assert loaded.mobile_bidx not in (None, old_index)
        loaded.mobile = None
        assert loaded.mobile_bidx is None


def test_change_documents_are_encrypted(app):
    with app.app_context():
        clerk = make_user(db.session, "clerk")
        prospect = make_prospect(db.session, mobile=MOBILE)
        request = approvals.file_update(
            db.session,
            user=clerk,
            record_type="prospect",
            record=prospect,
            changes={"mobile": {"old": MOBILE, "new": "13944445555"}},
            reason="客户换号",
        )
        db.session.commit()
        stored = _raw(ChangeRequest, "changes", request.id)
        assert stored.startswith("t1:") and "1394444" not in stored and MOBILE not in stored
        db.session.expire_all()
        assert db.session.get(ChangeRequest, request.id).changes["mobile"]["new"] == "13944445555"


@pytest.mark.parametrize(
    "typed", ["13911112222", "139 1111 2222", "+86 139-1111-2222", "１３９１１１１２２２２"]
)
def test_list_search_finds_a_card_by_its_full_mobile_however_typed(app, client, login_as, typed):
    with app.app_context():
        make_prospect(db.session, name="司马光", mobile=MOBILE)
        make_prospect(db.session, name="诸葛亮", mobile="13800001111")
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/prospect/", query_string={"search": typed}).get_data(as_text=True)
    assert "司马光" in body and "诸葛亮" not in body


def test_part_of_a_mobile_finds_nothing_and_names_still_match(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="司马光", mobile=MOBILE)
        db.session.commit()
    login_as("supervisor")
    partial = client.get("/admin/prospect/?search=1391111")
    assert partial.status_code == 200 and "司马光" not in partial.get_data(as_text=True)
    by_name = client.get("/admin/prospect/?search=司马").get_data(as_text=True)
    assert "司马光" in by_name


def test_owner_found_by_id_number_and_lease_by_tenant_mobile(app, client, login_as):
    with app.app_context():
        owner = make_owner(db.session, name="欧阳修", id_number=ID_NUMBER)
        make_owner(db.session, name="范仲淹", id_number=valid_id("11010519900307002"))
        make_unit(db.session, owner)
        tenant = make_tenant(db.session, name="苏轼", mobile="13766667777")
        unit = make_unit(db.session)
        from core.clock import office_today
        from models.property.property import Lease

        db.session.add(Lease(unit=unit, tenant=tenant, starts_on=office_today()))
        db.session.commit()
    login_as("supervisor")
    # The X of an ID number may be typed in lower case.
    owners = client.get("/admin/owner/", query_string={"search": ID_NUMBER.lower()})
    body = owners.get_data(as_text=True)
    assert "欧阳修" in body and "范仲淹" not in body
    leases = client.get("/admin/lease/", query_string={"search": "137 6666 7777"})
    assert "苏轼" in leases.get_data(as_text=True)


def test_as_you_type_select_finds_by_name_part_or_full_mobile(app, client, login_as):
    with app.app_context():
        make_owner(db.session, name="慕容复", mobile="13655556666")
        db.session.commit()
    login_as("supervisor")
    for query in ("慕容", "13655556666"):
        response = client.get(
            "/admin/transfer/ajax/lookup/", query_string={"name": "seller", "query": query}
        )
        assert response.status_code == 200
        assert [name for _id, name in response.get_json()] == ["慕容复"], query
    partial = client.get(
        "/admin/transfer/ajax/lookup/", query_string={"name": "seller", "query": "1365555"}
    )
    assert partial.get_json() == []


def test_encrypted_columns_are_not_sortable(app, client, login_as):
    with app.app_context():
        view = next(
            v for v in app.extensions["admin"][0]._views if getattr(v, "access_key", "") == "tenant"
        )
        with app.test_request_context():
            assert "mobile" not in view.get_sortable_columns()
            assert "name" in view.get_sortable_columns()


def test_forms_keep_one_line_inputs_with_their_limits(app, client, login_as):
    login_as("supervisor")
    body = client.get("/admin/owner/new/").get_data(as_text=True)
    assert 'name="mobile"' in body and 'name="id_number"' in body
    assert '<textarea class="form-control" id="notes"' in body or 'id="notes"' in body
    created = client.post(
        "/admin/owner/new/",
        data=_owner_form(
            name="王安石",
            mobile="13512345678",
            id_number=ID_NUMBER,
            address="北京市朝阳区建国路 88 号",
            notes="周末联系",
        ),
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    with app.app_context():
        owner = db.session.scalar(select(Owner).where(Owner.name == "王安石"))
        assert owner.mobile == "13512345678" and owner.address.startswith("北京市")
        index_attr, _purpose = blind_index_of(Owner.mobile)
        assert owner.mobile_bidx and index_attr.key == "mobile_bidx"
        assert "13512345678" not in _raw(Owner, "mobile", owner.id)
        assert "建国路" not in _raw(Owner, "address", owner.id)


def test_household_and_tenant_indexes_follow_the_values(app):
    with app.app_context():
        unit = make_unit(db.session)
        member = HouseholdMember(
            unit=unit, name="王小二", mobile="13811110000", id_number=ID_NUMBER
        )
        tenant = Tenant(name="李四", mobile="13811110000")
        db.session.add_all([member, tenant])
        db.session.flush()
        # Same number, same purpose: equal indexes (duplicate detection); the columns differ.
        assert member.mobile_bidx == tenant.mobile_bidx
        assert member.id_number_bidx != member.mobile_bidx
        assert json.dumps(member.mobile_bidx).count("1381111") == 0
