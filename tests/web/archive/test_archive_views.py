"""Paper-file screens: codes, places, states, and who may change them."""

from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer
from tests.factories import make_prospect, ref_item


def _file(app, **kwargs) -> int:
    values = {"code": "DA-0001", "title": "业主档案", "room": "一号档案室", "state": "in_room"}
    values.update(kwargs)
    with app.app_context():
        record = ArchiveFile(**values)
        db.session.add(record)
        db.session.commit()
        return record.id


def _form(**overrides) -> dict:
    data = {
        "code": "DA-2024-001",
        "title": "张三 购房档案",
        "room": "一号档案室",
        "cabinet": "A柜",
        "shelf": "3层",
        "box": "12盒",
        "state": "in_room",
        "notes": "",
    }
    data.update(overrides)
    return data


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ArchiveFile))


def test_every_page_renders_for_the_custodian(app, client, login_as):
    file_id = _file(app, cabinet="B柜", shelf="2层", box="7盒")
    login_as("custodian")
    for url in (
        "/admin/archive_file/",
        f"/admin/archive_file/details/?id={file_id}",
        "/admin/archive_file/new/",
        f"/admin/archive_file/edit/?id={file_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if "new" not in url:
            assert "DA-0001" in response.get_data(as_text=True), url
    page = client.get("/admin/archive_file/").get_data(as_text=True)
    assert "一号档案室 / B柜 / 2层 / 7盒" in page


def test_custodian_files_a_folder_of_a_prospect_and_a_dealer(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session, name="王小明")
        dealer = Dealer(name="南方建材", region=ref_item(db.session, "region", "south"))
        db.session.add(dealer)
        db.session.commit()
        prospect_id, dealer_id = prospect.id, dealer.id
    custodian_id = login_as("custodian")
    data = _form(prospect=str(prospect_id), dealer=str(dealer_id), custodian=str(custodian_id))
    response = client.post("/admin/archive_file/new/", data=data)
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalars(select(ArchiveFile)).one()
        assert (record.code, record.prospect_id, record.dealer_id) == (
            "DA-2024-001",
            prospect_id,
            dealer_id,
        )
        assert record.custodian_id == custodian_id
        assert record.place == "一号档案室 / A柜 / 3层 / 12盒"
        assert record.created_by_id == custodian_id
    page = client.get("/admin/archive_file/").get_data(as_text=True)
    assert "王小明" in page and "南方建材" in page


def test_the_prospect_select_searches_instead_of_listing_everyone(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, name="欧阳娜娜")
        make_prospect(db.session, name="李四")
        db.session.commit()
    login_as("custodian")
    form = client.get("/admin/archive_file/new/").get_data(as_text=True)
    assert "欧阳娜娜" not in form and "李四" not in form
    response = client.get("/admin/archive_file/ajax/lookup/?name=prospect&query=欧阳")
    assert response.status_code == 200
    assert [label for _id, label in response.get_json()] == ["欧阳娜娜"]


def test_duplicate_code_is_a_clear_message_not_an_error_page(app, client, login_as):
    _file(app, code="DA-2024-001")
    login_as("custodian")
    client.get("/language/en")
    response = client.post("/admin/archive_file/new/", data=_form(code=" DA-2024-001 "))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Another paper file already has this code." in page
    assert 'value="张三 购房档案"' in page
    assert _count(app) == 1


def test_editing_a_file_keeps_its_own_code(app, client, login_as):
    file_id = _file(app, code="DA-0009")
    login_as("custodian")
    response = client.post(
        f"/admin/archive_file/edit/?id={file_id}", data=_form(code="DA-0009", state="lent_out")
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ArchiveFile, file_id).state == "lent_out"


def test_missing_and_too_long_values_are_refused(app, client, login_as):
    login_as("custodian")
    response = client.post("/admin/archive_file/new/", data=_form(code="", title="", room=""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("invalid-feedback") >= 3 or page.count("help-block") >= 3
    assert 'value="A柜"' in page
    response = client.post("/admin/archive_file/new/", data=_form(code="X" * 31))
    assert response.status_code == 200
    response = client.post("/admin/archive_file/new/", data=_form(state="burnt"))
    assert response.status_code == 200
    assert _count(app) == 0


def test_markup_and_emoji_are_stored_and_shown_escaped(app, client, login_as):
    login_as("custodian")
    title = "<script>alert(1)</script>档案📁"
    response = client.post("/admin/archive_file/new/", data=_form(title=title))
    assert response.status_code == 302
    with app.app_context():
        record = db.session.scalars(select(ArchiveFile)).one()
        assert record.title == title
        file_id = record.id
    for url in ("/admin/archive_file/", f"/admin/archive_file/details/?id={file_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;档案📁" in page


def test_search_by_code_and_title_filter_by_state_and_room(app, client, login_as):
    _file(app, code="DA-0001", title="业主甲档案", room="一号档案室", state="in_room")
    _file(app, code="DA-0002", title="业主乙档案", room="二号档案室", state="lent_out")
    login_as("clerk")
    page = client.get("/admin/archive_file/?search=DA-0002").get_data(as_text=True)
    assert "业主乙档案" in page and "业主甲档案" not in page
    page = client.get("/admin/archive_file/?search=甲").get_data(as_text=True)
    assert "业主甲档案" in page and "业主乙档案" not in page
    page = client.get("/admin/archive_file/?flt0_0=lent_out").get_data(as_text=True)
    assert "业主乙档案" in page and "业主甲档案" not in page
    page = client.get("/admin/archive_file/?flt0_1=一号档案室").get_data(as_text=True)
    assert "业主甲档案" in page and "业主乙档案" not in page
    page = client.get("/admin/archive_file/?flt0_2=二号").get_data(as_text=True)
    assert "业主乙档案" in page and "业主甲档案" not in page


def test_clerk_reads_but_does_not_change_files(app, client, login_as):
    file_id = _file(app)
    login_as("clerk")
    assert client.get(f"/admin/archive_file/details/?id={file_id}").status_code == 200
    assert client.get("/admin/archive_file/new/").status_code == 403
    assert client.post("/admin/archive_file/new/", data=_form()).status_code == 403
    assert client.get(f"/admin/archive_file/edit/?id={file_id}").status_code == 403
    assert client.post("/admin/archive_file/delete/", data={"id": str(file_id)}).status_code == 403
    assert client.get("/admin/archive_file/export/csv/").status_code == 403


def test_supervisor_exports_the_register(app, client, login_as):
    _file(app, code="DA-0001", title="业主甲档案")
    login_as("supervisor")
    response = client.get("/admin/archive_file/export/csv/")
    assert response.status_code == 200
    assert "DA-0001" in response.get_data(as_text=True)
