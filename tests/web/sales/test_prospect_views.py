"""The welcome-card screens through the Flask test client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from tests.factories import make_prospect, make_user, make_visit, ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _source_id(app) -> int:
    with app.app_context():
        return ref_item(db.session, "source_channel", "walk_in").id


def _form(app, **overrides) -> dict:
    data = {
        "consent_given": "y",
        "name": "张三丰",
        "mobile": "13812345678",
        "landline": "",
        "source": str(_source_id(app)),
        "grade": "B",
        "progress": "follow_up",
        "notes": "",
        "visits-0-visited_on": office_today().isoformat(),
        "visits-0-summary": "首次来访，关注三房。",
    }
    data.update(overrides)
    return data


def _one(app, **where) -> Prospect | None:
    with app.app_context():
        query = select(Prospect)
        for key, value in where.items():
            query = query.where(getattr(Prospect, key) == value)
        prospect = db.session.scalars(query).first()
        if prospect is not None:
            db.session.expunge(prospect)
        return prospect


def test_clerk_creates_a_card_with_its_first_visit(app, client, login_as):
    clerk_id = login_as("clerk")
    response = client.post("/admin/prospect/new/", data=_form(app))
    assert response.status_code == 302
    with app.app_context():
        prospect = db.session.scalars(select(Prospect)).one()
        assert prospect.name == "张三丰"
        assert prospect.created_by_id == clerk_id
        assert prospect.consultant_id == clerk_id  # defaults to the clerk who entered it
        assert [v.seq for v in prospect.visits] == [1]
        assert prospect.visits[0].created_by_id == clerk_id
        assert prospect.first_visit_on == office_today()
        assert prospect.last_contact_on == office_today()


def test_mobile_is_normalised(app, client, login_as):
    login_as("clerk")
    client.post("/admin/prospect/new/", data=_form(app, mobile="+86 138 1234 5678"))
    assert _one(app).mobile == "13812345678"


def test_bad_mobile_comes_back_with_a_chinese_message_and_the_typed_values(app, client, login_as):
    login_as("clerk")
    response = client.post("/admin/prospect/new/", data=_form(app, mobile="12345"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入11位中国大陆手机号码" in page
    assert 'value="张三丰"' in page
    assert 'value="12345"' in page
    assert _one(app) is None


def test_a_short_reception_needs_name_phone_and_what_was_learned(app, client, login_as):
    login_as("clerk")
    response = client.post(
        "/admin/prospect/new/", data=_form(app, name="", mobile="", **{"visits-0-summary": ""})
    )
    assert response.status_code == 200
    assert _one(app) is None
    page = response.get_data(as_text=True)
    assert page.count("invalid-feedback") >= 3 or page.count("help-block") >= 3


def test_too_long_name_is_refused(app, client, login_as):
    login_as("clerk")
    response = client.post("/admin/prospect/new/", data=_form(app, name="王" * 51))
    assert response.status_code == 200
    assert _one(app) is None


def test_markup_and_emoji_are_stored_and_shown_escaped(app, client, login_as):
    with app.app_context():
        clerk_id = make_user(db.session, "clerk").id
        db.session.commit()
    login_as("supervisor")
    name = "<script>alert(1)</script>李🏠"
    data = _form(app, name=name, notes="<b>x</b>", consultant=str(clerk_id))
    response = client.post("/admin/prospect/new/", data=data)
    assert response.status_code == 302
    prospect = _one(app)
    assert prospect.name == name
    for url in ("/admin/prospect/", f"/admin/prospect/details/?id={prospect.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;李🏠" in page


def test_search_by_name_part_and_phone(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="欧阳娜娜", mobile="13912340000")
        make_prospect(db.session, name="李四", mobile="13712340000")
        db.session.commit()
    login_as("clerk")
    page = client.get("/admin/prospect/?search=欧阳").get_data(as_text=True)
    assert "欧阳娜娜" in page and "李四" not in page
    page = client.get("/admin/prospect/?search=13712340000").get_data(as_text=True)
    assert "李四" in page and "欧阳娜娜" not in page


def test_filter_by_grade_and_page_size(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="甲客户", grade="B")
        make_prospect(db.session, name="乙客户", grade="C")
        db.session.commit()
    login_as("clerk")
    page = client.get("/admin/prospect/?flt0_0=B&page_size=50").get_data(as_text=True)
    assert "甲客户" in page and "乙客户" not in page


def test_details_show_the_receptions(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session, name="赵敏")
        make_visit(db.session, prospect, summary="第二次来访，带家人看样板间。")
        db.session.commit()
        prospect_id = prospect.id
    login_as("clerk")
    # The receptions are one of the card's panels, read after its details page.
    page = client.get(f"/admin/prospect/details/?id={prospect_id}").get_data(as_text=True)
    assert "第二次来访" not in page and 'id="details-panels"' in page
    url = f"/admin/prospect/details/panels/?id={prospect_id}&partial=1"
    assert "第二次来访" in client.get(url).get_data(as_text=True)
    assert client.get("/admin/prospect/details/panels/?id=999999").status_code == 404


def test_missing_or_malformed_ids_are_404(client, login_as):
    login_as("clerk")
    assert client.get("/admin/prospect/details/?id=999999").status_code == 404
    assert client.get("/admin/prospect/edit/?id=abc").status_code == 404


def test_extra_fields_in_a_crafted_post_change_nothing(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session, name="钱多多")
        db.session.commit()
        prospect_id, version = prospect.id, prospect.version
    login_as("clerk")
    data = _form(
        app,
        name="钱多多",
        version="99",
        created_by="1",
        is_scout="y",
        id="5",
        approval_reason="核对",
    )
    data.pop("visits-0-visited_on")
    data.pop("visits-0-summary")
    # Accepted (a reason is given), so the crafted fields reach the save and are ignored.
    assert client.post(f"/admin/prospect/edit/?id={prospect_id}", data=data).status_code == 302
    with app.app_context():
        stored = db.session.get(Prospect, prospect_id)
        assert stored.is_scout is False
        assert stored.created_by_id is None
        assert stored.version == version  # the clerk's edit is gated: nothing applied
        requests = db.session.scalars(select(ChangeRequest)).all()
        assert requests  # the changed mobile is filed for approval, the crafted fields are not
        crafted = {"is_scout", "version", "created_by", "created_by_id", "id"}
        assert all(not crafted & set(r.fields) for r in requests)


def test_export_csv_for_supervisor_only_and_without_phones(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="孙悟空", mobile="13600001111")
        db.session.commit()
    login_as("clerk")
    assert client.get("/admin/prospect/export/csv/").status_code == 403
    client.post("/logout")
    login_as("supervisor")
    response = client.get("/admin/prospect/export/csv/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "孙悟空" in body
    assert "13600001111" not in body


def test_export_xlsx(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="猪八戒")
        db.session.commit()
    login_as("supervisor")
    response = client.get("/admin/prospect/export/xlsx/")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"


def test_ajax_update_is_refused_without_edit_right(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session, name="沙和尚", grade="B")
        db.session.commit()
        prospect_id = prospect.id
    login_as("custodian")
    response = client.post(
        "/admin/prospect/ajax/update/", data={"list_form_pk": str(prospect_id), "grade": "A"}
    )
    assert response.status_code == 403
    assert _one(app, id=prospect_id).grade == "B"


def test_a_new_card_without_its_first_reception_is_refused_and_keeps_the_typing(
    app, client, login_as
):
    login_as("clerk")
    data = _form(app, name="无接待")
    del data["visits-0-visited_on"], data["visits-0-summary"]
    response = client.post("/admin/prospect/new/", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "新温馨卡须录入首次接待" in page
    assert 'value="无接待"' in page
    assert _one(app, name="无接待") is None
