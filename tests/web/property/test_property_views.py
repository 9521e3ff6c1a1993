"""The owner, unit, household, tenant, lease, card and parking screens through the test client."""

from __future__ import annotations

import difflib
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select
from stdnum.cn import ric

from core.clock import office_today
from extensions import db
from models.privacy.privacy import ConsentRecord
from models.property.property import (
    HouseholdMember,
    Lease,
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Tenant,
    Unit,
    VehicleCard,
)
from tests.factories import ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

_n = itertools.count(1)
MOBILE_MESSAGE = "请输入11位中国大陆手机号码"
ID_MESSAGE = "身份证号码无效"
DATE_MESSAGE = "之间的日期"


def valid_id(body: str = "11010519900307001") -> str:
    # calc_check_digit reads the first 17 characters of an 18-character number.
    return body + ric.calc_check_digit(body + "0")


def bad_id(body: str = "11010519900307001") -> str:
    good = ric.calc_check_digit(body + "0")
    return body + ("1" if good != "1" else "2")


# --- records ----------------------------------------------------------------------------
def make_owner(session, **kw) -> Owner:
    owner = Owner(**{"name": f"业主{next(_n)}", "mobile": f"139{next(_n):08d}", **kw})
    session.add(owner)
    session.flush()
    return owner


def make_unit(session, owner: Owner | None = None, **kw) -> Unit:
    values = {"project": ref_item(session, "project", "p1"), "building": "3栋"}
    values.update({"room": f"2-{1500 + next(_n)}", **kw})
    unit = Unit(**values)
    session.add(unit)
    if owner is not None:
        session.add(
            Ownership(unit=unit, owner=owner, started_on=office_today() - timedelta(days=400))
        )
    session.flush()
    return unit


def make_tenant(session, **kw) -> Tenant:
    tenant = Tenant(**{"name": f"租户{next(_n)}", "mobile": f"137{next(_n):08d}", **kw})
    session.add(tenant)
    session.flush()
    return tenant


def make_everything(session, suffix: str = "") -> dict[str, int]:
    """One record of every view; returns {access_key: id}."""
    owner = make_owner(session, name="陈业主", id_number=valid_id())
    unit = make_unit(session, owner)
    tenant = make_tenant(session)
    rows = {
        "household_member": HouseholdMember(unit=unit, name="陈小明"),
        "lease": Lease(unit=unit, tenant=tenant, starts_on=office_today(), status="active"),
        "resident_card": ResidentCard(
            unit=unit, card_no=f"R0001{suffix}", holder_name="陈业主", issued_on=office_today()
        ),
        "vehicle_card": VehicleCard(
            unit=unit,
            card_no=f"V0001{suffix}",
            plate_no="粤B12345",
            holder_name="陈业主",
            issued_on=office_today(),
        ),
        "parking_space": ParkingSpace(
            code=f"B1-023{suffix}", tenure="bought", unit=unit, owner=owner
        ),
    }
    session.add_all(rows.values())
    session.flush()
    ids = {key: row.id for key, row in rows.items()}
    ids.update(owner=owner.id, unit=unit.id, tenant=tenant.id, ownership=unit.ownerships[0].id)
    return ids


def _seed(app, factory, *args, **kw):
    with app.app_context():
        record = factory(db.session, *args, **kw)
        db.session.commit()
        return record.id if hasattr(record, "id") else record


def _get(app, model, **where):
    with app.app_context():
        query = select(model).filter_by(**where)
        record = db.session.scalars(query).first()
        if record is not None:
            db.session.expunge(record)
        return record


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _project_id(app) -> int:
    with app.app_context():
        item_id = ref_item(db.session, "project", "p1").id
        db.session.commit()
        return item_id


def _has_field_error(page: str) -> bool:
    return "invalid-feedback" in page


# --- every screen renders ---------------------------------------------------------------
VIEWS = [
    "owner",
    "unit",
    "ownership",
    "household_member",
    "tenant",
    "lease",
    "resident_card",
    "vehicle_card",
    "parking_space",
]


@pytest.mark.parametrize("key", VIEWS)
def test_list_details_create_and_edit_render(app, client, login_as, key):
    ids = _seed(app, make_everything)
    # Ownership history is the supervisor's to edit; the clerk only reads it.
    login_as("supervisor" if key == "ownership" else "clerk")
    record_id = ids[key]
    for url in (
        f"/admin/{key}/",
        f"/admin/{key}/details/?id={record_id}",
        f"/admin/{key}/new/",
        f"/admin/{key}/edit/?id={record_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("key", VIEWS)
def test_lists_do_not_query_per_row(app, client, login_as, key):
    """The number of statements of a list page does not grow with its rows."""
    login_as("supervisor")
    _seed(app, make_everything)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        # Once to fill the per-app caches (menu, filter options), which the next page reuses.
        client.get(f"/admin/{key}/")
        statements.clear()
        client.get(f"/admin/{key}/")
        first = list(statements)
        few = len(statements)
        for i in range(4):
            _seed(app, make_everything, suffix=f"-{i}")
        statements.clear()
        page = client.get(f"/admin/{key}/")
        assert page.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == few, "\n".join(difflib.unified_diff(first, statements, lineterm=""))


# --- owners -----------------------------------------------------------------------------
def _owner_form(**overrides) -> dict:
    data = {
        "consent_given": "y",
        "consent_basis": "contract",
        "name": "欧阳建国",
        "mobile": "13812345678",
        "landline": "",
        "id_number": valid_id(),
        "address": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_clerk_creates_an_owner(app, client, login_as):
    clerk_id = login_as("clerk")
    response = client.post("/admin/owner/new/", data=_owner_form(mobile="+86 138 1234 5678"))
    assert response.status_code == 302
    owner = _get(app, Owner)
    assert (owner.name, owner.mobile, owner.id_number) == ("欧阳建国", "13812345678", valid_id())
    assert owner.created_by_id == clerk_id


def test_id_number_is_stored_upper_case(app, client, login_as):
    body = "11010519491231002"
    assert valid_id(body) == body + "X"
    login_as("clerk")
    client.post("/admin/owner/new/", data=_owner_form(id_number=body + "x"))
    assert _get(app, Owner).id_number == body + "X"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("mobile", "12345", MOBILE_MESSAGE),
        ("id_number", bad_id(), ID_MESSAGE),
        ("landline", "12345", "请输入带区号的固定电话"),
    ],
)
def test_bad_owner_input_comes_back_in_chinese_with_the_typed_values(
    app, client, login_as, field, value, message
):
    login_as("clerk")
    response = client.post("/admin/owner/new/", data=_owner_form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert _has_field_error(page)
    assert 'value="欧阳建国"' in page
    assert f'value="{value}"' in page
    assert _count(app, Owner) == 0


@pytest.mark.parametrize(
    "overrides",
    [{"name": "王" * 51}, {"name": ""}, {"address": "路" * 201}],
    ids=["too-long-name", "missing-name", "too-long-address"],
)
def test_too_long_or_missing_owner_fields_are_refused(app, client, login_as, overrides):
    login_as("clerk")
    response = client.post("/admin/owner/new/", data=_owner_form(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _has_field_error(page)
    assert 'value="13812345678"' in page
    assert _count(app, Owner) == 0


def test_markup_and_emoji_are_stored_and_shown_escaped(app, client, login_as):
    login_as("supervisor")
    name = "<script>alert(1)</script>李🏠"
    response = client.post("/admin/owner/new/", data=_owner_form(name=name, notes="<b>x</b>"))
    assert response.status_code == 302
    owner = _get(app, Owner)
    assert owner.name == name
    for url in ("/admin/owner/", f"/admin/owner/details/?id={owner.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;李🏠" in page


def test_search_owners_by_name_part_phone_and_id_number(app, client, login_as):
    with app.app_context():
        make_owner(db.session, name="司马相如", mobile="13911112222")
        make_owner(db.session, name="李四", mobile="13733334444", id_number=valid_id())
        db.session.commit()
    login_as("clerk")
    page = client.get("/admin/owner/?search=司马").get_data(as_text=True)
    assert "司马相如" in page and "李四" not in page
    page = client.get("/admin/owner/?search=13733334444").get_data(as_text=True)
    assert "李四" in page and "司马相如" not in page
    page = client.get(f"/admin/owner/?search={valid_id()}").get_data(as_text=True)
    assert "李四" in page and "司马相如" not in page


def test_owner_list_and_details_show_the_current_units(app, client, login_as):
    with app.app_context():
        owner = make_owner(db.session, name="钱业主")
        make_unit(db.session, owner, room="9-0901")
        db.session.commit()
        owner_id = owner.id
    login_as("clerk")
    assert "9-0901" in client.get("/admin/owner/").get_data(as_text=True)
    assert "9-0901" in client.get(f"/admin/owner/details/?id={owner_id}").get_data(as_text=True)


def test_supervisor_edits_an_owner_directly(app, client, login_as):
    owner_id = _seed(app, make_owner, name="孙业主")
    login_as("supervisor")
    response = client.post(
        f"/admin/owner/edit/?id={owner_id}", data=_owner_form(name="孙业主", mobile="13600001111")
    )
    assert response.status_code == 302
    assert _get(app, Owner, id=owner_id).mobile == "13600001111"


@pytest.mark.parametrize(
    ("key", "absent"),
    [
        ("owner", ["13512345678", valid_id()]),
        ("household_member", ["13512345678", valid_id()]),
        ("tenant", ["13512345678", valid_id()]),
        ("vehicle_card", ["粤B99999"]),
    ],
)
def test_exports_leave_out_id_numbers_phones_and_plates(app, client, login_as, key, absent):
    with app.app_context():
        owner = make_owner(db.session, name="周业主", mobile="13512345678", id_number=valid_id())
        unit = make_unit(db.session, owner)
        db.session.add_all(
            [
                HouseholdMember(
                    unit=unit, name="周业主", mobile="13512345678", id_number=valid_id()
                ),
                VehicleCard(
                    unit=unit,
                    card_no="V9",
                    plate_no="粤B99999",
                    holder_name="周业主",
                    issued_on=office_today(),
                ),
            ]
        )
        make_tenant(db.session, name="周业主", mobile="13512345678", id_number=valid_id())
        db.session.commit()
    login_as("clerk")
    assert client.get(f"/admin/{key}/export/csv/").status_code == 403
    client.post("/logout")
    login_as("supervisor")
    response = client.get(f"/admin/{key}/export/csv/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "周业主" in body
    for value in absent:
        assert value not in body


# --- units and what hangs off them ------------------------------------------------------
def _unit_form(app, **overrides) -> dict:
    data = {
        "project": str(_project_id(app)),
        "building": "5栋",
        "room": "1-0802",
        "floor": "8",
        "area_m2": "98.50",
        "notes": "",
        "household_members-0-name": "刘备",
        "household_members-0-id_number": valid_id(),
        "household_members-0-mobile": "13800138000",
        "household_members-0-joined_on": "2020-05-01",
        "resident_cards-0-card_no": "RC-001",
        "resident_cards-0-holder_name": "刘备",
        "resident_cards-0-issued_on": office_today().isoformat(),
        "resident_cards-0-status": "active",
        "vehicle_cards-0-card_no": "VC-001",
        "vehicle_cards-0-plate_no": "粤b 12345",
        "vehicle_cards-0-holder_name": "刘备",
        "vehicle_cards-0-issued_on": office_today().isoformat(),
        "vehicle_cards-0-status": "active",
    }
    data.update(overrides)
    return data


def test_clerk_creates_a_unit_with_household_and_cards_inline(app, client, login_as):
    clerk_id = login_as("clerk")
    response = client.post("/admin/unit/new/", data=_unit_form(app))
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalars(select(Unit)).one()
        assert (unit.building, unit.room, unit.floor) == ("5栋", "1-0802", 8)
        assert [m.name for m in unit.household_members] == ["刘备"]
        assert unit.household_members[0].created_by_id == clerk_id
        assert [c.card_no for c in unit.resident_cards] == ["RC-001"]
        assert unit.vehicle_cards[0].plate_no == "粤B12345"
        unit_id = unit.id
    page = client.get(f"/admin/unit/details/?id={unit_id}").get_data(as_text=True)
    assert "刘备" in page and "RC-001" in page and "粤B12345" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("household_members-0-id_number", bad_id(), ID_MESSAGE),
        ("household_members-0-mobile", "1380013800", MOBILE_MESSAGE),
        (
            "resident_cards-0-issued_on",
            lambda: (office_today() + timedelta(days=3)).isoformat(),
            DATE_MESSAGE,
        ),
        ("vehicle_cards-0-plate_no", "ABC", None),
        ("room", "房" * 21, None),
        ("room", "", None),
    ],
)
def test_bad_unit_input_comes_back_with_the_typed_values(
    app, client, login_as, field, value, message
):
    login_as("clerk")
    value = value() if callable(value) else value
    response = client.post("/admin/unit/new/", data=_unit_form(app, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _has_field_error(page)
    if message:
        assert message in page
    assert 'value="刘备"' in page
    assert 'value="5栋"' in page
    assert _count(app, Unit) == 0
    assert _count(app, HouseholdMember) == 0


def test_a_member_cannot_leave_before_joining(app, client, login_as):
    login_as("clerk")
    response = client.post(
        "/admin/unit/new/", data=_unit_form(app, **{"household_members-0-left_on": "2019-01-01"})
    )
    assert response.status_code == 200
    assert _has_field_error(response.get_data(as_text=True))
    assert _count(app, Unit) == 0


def test_a_duplicate_room_is_a_plain_message(app, client, login_as):
    login_as("clerk")
    assert client.post("/admin/unit/new/", data=_unit_form(app)).status_code == 302
    data = _unit_form(app, **{"resident_cards-0-card_no": "RC-2", "vehicle_cards-0-card_no": "V2"})
    page = client.post("/admin/unit/new/", data=data).get_data(as_text=True)
    assert "与其他记录冲突" in page
    assert _count(app, Unit) == 1


def test_unit_details_show_members_escaped(app, client, login_as):
    with app.app_context():
        unit = make_unit(db.session, make_owner(db.session, name="赵业主"))
        db.session.add_all(
            [
                HouseholdMember(
                    unit=unit, name="赵小花", relation=ref_item(db.session, "relation", "child")
                ),
                HouseholdMember(unit=unit, name="<i>x</i>😀"),
            ]
        )
        db.session.commit()
        unit_id = unit.id
    login_as("clerk")
    page = client.get(f"/admin/unit/details/?id={unit_id}").get_data(as_text=True)
    assert "赵小花" in page and "子女" in page and "赵业主" in page
    assert "&lt;i&gt;x&lt;/i&gt;😀" in page and "<i>x</i>" not in page


def test_search_units_by_room_and_filter_by_project(app, client, login_as):
    with app.app_context():
        make_unit(db.session, room="7-0707")
        other = ref_item(db.session, "project", "p2")
        make_unit(db.session, room="8-0808", project=other)
        db.session.commit()
        other_id = other.id
    login_as("clerk")
    page = client.get("/admin/unit/?search=0707").get_data(as_text=True)
    assert "7-0707" in page and "8-0808" not in page
    page = client.get(f"/admin/unit/?flt0_0={other_id}").get_data(as_text=True)
    assert "8-0808" in page and "7-0707" not in page


def test_unit_ajax_lookup_finds_a_room(app, client, login_as):
    _seed(app, make_unit, room="3-0303")
    login_as("clerk")
    response = client.get("/admin/household_member/ajax/lookup/?name=unit&query=0303")
    assert response.status_code == 200
    assert "3-0303" in response.get_data(as_text=True)


# --- household members, tenants, leases ---------------------------------------------------
def test_household_member_screen_creates_and_searches(app, client, login_as):
    unit_id = _seed(app, make_unit)
    login_as("clerk")
    data = {
        "unit": str(unit_id),
        "name": "诸葛亮",
        "mobile": "13700137000",
        "joined_on": "2021-01-01",
    }
    assert client.post("/admin/household_member/new/", data=data).status_code == 302
    page = client.get("/admin/household_member/?search=诸葛").get_data(as_text=True)
    assert "诸葛亮" in page
    page = client.get("/admin/household_member/?search=13700137000").get_data(as_text=True)
    assert "诸葛亮" in page
    response = client.post("/admin/household_member/new/", data={**data, "unit": ""})
    assert response.status_code == 200
    assert 'value="诸葛亮"' in response.get_data(as_text=True)


def test_tenant_create_search_and_bad_id(app, client, login_as):
    login_as("clerk")
    data = {"name": "黄租户", "mobile": "13300001111", "id_number": valid_id(), "notes": ""}
    # A tenant is stored with the basis the data is kept on, like an owner.
    refused = client.post("/admin/tenant/new/", data=data)
    assert refused.status_code == 200 and _count(app, Tenant) == 0
    data.update(consent_basis="contract", consent_given="y")
    assert client.post("/admin/tenant/new/", data=data).status_code == 302
    with app.app_context():
        (basis,) = db.session.scalars(
            select(ConsentRecord.basis).where(ConsentRecord.subject_type == "tenant")
        ).all()
        assert basis == "contract"
    page = client.get("/admin/tenant/?search=13300001111").get_data(as_text=True)
    assert "黄租户" in page
    response = client.post("/admin/tenant/new/", data={**data, "id_number": bad_id()})
    assert response.status_code == 200
    assert ID_MESSAGE in response.get_data(as_text=True)
    assert _count(app, Tenant) == 1


def _lease_form(app, **overrides) -> dict:
    with app.app_context():
        unit = make_unit(db.session)
        tenant = make_tenant(db.session, name="马租户")
        db.session.commit()
        data = {"unit": str(unit.id), "tenant": str(tenant.id)}
    data.update(
        starts_on=office_today().isoformat(),
        ends_on=(office_today() + timedelta(days=365)).isoformat(),
        contract_seen="y",
        management_payer="owner",
        water_payer="tenant",
        electricity_payer="tenant",
        gas_payer="tenant",
    )
    data.update(overrides)
    return data


def test_clerk_registers_a_lease(app, client, login_as):
    login_as("clerk")
    assert client.post("/admin/lease/new/", data=_lease_form(app)).status_code == 302
    lease = _get(app, Lease)
    # Only the original is ticked: the lease is being registered (tests/web/property/test_lease_intake.py).
    assert (lease.status, lease.management_payer, lease.water_payer) == (
        "registering",
        "owner",
        "tenant",
    )
    assert lease.contract_seen is True and lease.contract_copy_kept is False
    page = client.get("/admin/lease/?search=马租户").get_data(as_text=True)
    assert "马租户" in page


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_on": lambda: (office_today() - timedelta(days=1)).isoformat()},
        {"water_payer": "landlord"},
        {"tenant": ""},
    ],
    ids=["ends-before-start", "unknown-payer", "no-tenant"],
)
def test_bad_lease_input_is_refused(app, client, login_as, overrides):
    login_as("clerk")
    overrides = {k: v() if callable(v) else v for k, v in overrides.items()}
    data = _lease_form(app, **overrides)
    response = client.post("/admin/lease/new/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _has_field_error(page)
    assert f'value="{data["starts_on"]}"' in page
    assert _count(app, Lease) == 0


def test_lease_filters_by_status_and_project(app, client, login_as):
    ids = _seed(app, make_everything)
    login_as("clerk")
    link = f"details/?id={ids['lease']}&"
    # Filter 0 is the project, filter 1 the status.
    assert link in client.get("/admin/lease/?flt0_1=active").get_data(as_text=True)
    assert link not in client.get("/admin/lease/?flt0_1=ended").get_data(as_text=True)
    page = client.get(f"/admin/lease/?flt0_0={_project_id(app)}").get_data(as_text=True)
    assert link in page
    page = client.get(f"/admin/lease/?flt0_0={_project_id(app) + 1}").get_data(as_text=True)
    assert link not in page


# --- ownerships, cards, parking -------------------------------------------------------------
def test_ownership_history_is_kept_by_the_supervisor(app, client, login_as):
    with app.app_context():
        unit, owner = make_unit(db.session), make_owner(db.session)
        db.session.commit()
        data = {"unit": str(unit.id), "owner": str(owner.id), "started_on": "2015-06-01"}
    login_as("clerk")
    assert client.post("/admin/ownership/new/", data=data).status_code == 403
    client.post("/logout")
    login_as("supervisor")
    bad = {**data, "ended_on": "2015-05-31"}
    response = client.post("/admin/ownership/new/", data=bad)
    assert response.status_code == 200
    assert _has_field_error(response.get_data(as_text=True))
    assert client.post("/admin/ownership/new/", data=data).status_code == 302
    assert _get(app, Ownership).started_on == date(2015, 6, 1)


def test_resident_card_search_by_card_number(app, client, login_as):
    _seed(app, make_everything)
    login_as("clerk")
    page = client.get("/admin/resident_card/?search=R0001").get_data(as_text=True)
    assert "R0001" in page


def test_vehicle_card_search_by_plate_and_bad_plate(app, client, login_as):
    ids = _seed(app, make_everything)
    login_as("clerk")
    page = client.get("/admin/vehicle_card/?search=B12345").get_data(as_text=True)
    assert "V0001" in page
    data = {
        "unit": str(ids["unit"]),
        "card_no": "V0002",
        "plate_no": "粤B1",
        "holder_name": "陈业主",
        "issued_on": office_today().isoformat(),
        "status": "active",
    }
    response = client.post("/admin/vehicle_card/new/", data=data)
    assert response.status_code == 200
    assert 'value="粤B1"' in response.get_data(as_text=True)
    assert (
        client.post("/admin/vehicle_card/new/", data={**data, "plate_no": "粤BD12345"}).status_code
        == 302
    )


def test_parking_space_tenure_is_a_choice(app, client, login_as):
    ids = _seed(app, make_everything)
    login_as("clerk")
    data = {"code": "B2-001", "tenure": "rented", "owner": str(ids["owner"])}
    assert client.post("/admin/parking_space/new/", data=data).status_code == 302
    assert _get(app, ParkingSpace, code="B2-001").tenure == "rented"
    response = client.post(
        "/admin/parking_space/new/", data={**data, "code": "B2-002", "tenure": "stolen"}
    )
    assert response.status_code == 200
    assert _get(app, ParkingSpace, code="B2-002") is None
    page = client.get("/admin/parking_space/?search=B2-001").get_data(as_text=True)
    assert "B2-001" in page and "B1-023" not in page


@pytest.mark.parametrize("key", VIEWS)
def test_every_export_renders_for_the_supervisor(app, client, login_as, key):
    _seed(app, make_everything)
    login_as("supervisor")
    for export_type in ("csv", "xlsx"):
        response = client.get(f"/admin/{key}/export/{export_type}/")
        assert response.status_code == 200, export_type
    assert valid_id() not in client.get(f"/admin/{key}/export/csv/").get_data(as_text=True)


def _unit_edit_data(app, ids) -> dict:
    with app.app_context():
        member = db.session.get(HouseholdMember, ids["household_member"])
        unit = member.unit
        data = {"project": str(unit.project_id), "building": unit.building, "room": unit.room}
        for prefix, rows in (
            ("household_members", unit.household_members),
            ("resident_cards", unit.resident_cards),
            ("vehicle_cards", unit.vehicle_cards),
        ):
            for i, row in enumerate(rows):
                for column in ("id", "name", "card_no", "plate_no", "holder_name", "status"):
                    if hasattr(row, column):
                        data[f"{prefix}-{i}-{column}"] = str(getattr(row, column))
                if hasattr(row, "issued_on"):
                    data[f"{prefix}-{i}-issued_on"] = row.issued_on.isoformat()
    return data


def test_supervisor_updates_household_members_inline(app, client, login_as):
    ids = _seed(app, make_everything)
    data = _unit_edit_data(app, ids)
    data["household_members-0-name"] = "陈大明"
    data["household_members-0-left_on"] = office_today().isoformat()
    login_as("supervisor")
    response = client.post(f"/admin/unit/edit/?id={ids['unit']}", data=data)
    assert response.status_code == 302
    with app.app_context():
        member = db.session.get(HouseholdMember, ids["household_member"])
        assert (member.name, member.left_on) == ("陈大明", office_today())
        assert member.version == 2


@pytest.mark.parametrize("change", ["rename", "remove"])
def test_a_clerk_cannot_bypass_approval_through_the_units_inline_rows(
    app, client, login_as, change
):
    ids = _seed(app, make_everything)
    data = _unit_edit_data(app, ids)
    data["building"] = "9栋"  # the unit's own change must not be saved either
    if change == "rename":
        data["household_members-0-name"] = "陈大明"
    else:
        data["del-household_members-0"] = "y"
    login_as("clerk")
    response = client.post(f"/admin/unit/edit/?id={ids['unit']}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "own page" in page or "单独页面" in page
    assert 'value="9栋"' in page  # the form keeps what was typed
    with app.app_context():
        member = db.session.get(HouseholdMember, ids["household_member"])
        assert member is not None and member.name == "陈小明" and member.version == 1
        assert db.session.get(Unit, ids["unit"]).building != "9栋"


def test_a_clerk_still_adds_a_household_member_inline(app, client, login_as):
    ids = _seed(app, make_everything)
    data = _unit_edit_data(app, ids)
    data["household_members-1-name"] = "陈小红"
    login_as("clerk")
    assert client.post(f"/admin/unit/edit/?id={ids['unit']}", data=data).status_code == 302
    with app.app_context():
        names = {m.name for m in db.session.get(Unit, ids["unit"]).household_members}
    assert names == {"陈小明", "陈小红"}


def test_supervisor_edits_a_household_member(app, client, login_as):
    ids = _seed(app, make_everything)
    reason_id = _seed(app, ref_item, "household_change_reason", "marriage")
    login_as("supervisor")
    data = {"unit": str(ids["unit"]), "name": "陈小明", "change_reason": str(reason_id)}
    response = client.post(f"/admin/household_member/edit/?id={ids['household_member']}", data=data)
    assert response.status_code == 302
    assert _get(app, HouseholdMember).change_reason_id == reason_id
