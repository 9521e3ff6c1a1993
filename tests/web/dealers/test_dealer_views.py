"""Dealer screens: region scoping for region managers, forms, inline files and visits."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from tests.factories import ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _regions(app) -> tuple[int, int]:
    with app.app_context():
        south = ref_item(db.session, "region", "south")
        north = ref_item(db.session, "region", "north")
        db.session.commit()
        return south.id, north.id


def _dealer(app, region_id: int, *, with_children: bool = False, **kwargs) -> int:
    """A dealer (optionally with a data card, a potential file and a visit); returns its id."""
    values = {"name": "经销商", "status": "signed", "mobile": "13900000000"}
    values.update(kwargs)
    with app.app_context():
        dealer = Dealer(region_id=region_id, **values)
        db.session.add(dealer)
        if with_children:
            dealer.data_card = DealerDataCard(filled_on=office_today(), licence_no="LIC-1")
            dealer.potential_files.append(
                PotentialDealerFile(written_on=office_today(), interest="有兴趣")
            )
            dealer.visits.append(DealerVisit(visited_on=office_today(), summary="首次拜访"))
        db.session.commit()
        return dealer.id


def _child_ids(app, dealer_id: int) -> dict[str, int]:
    with app.app_context():
        dealer = db.session.get(Dealer, dealer_id)
        return {
            "dealer_data_card": dealer.data_card.id,
            "potential_dealer_file": dealer.potential_files[0].id,
            "dealer_visit": dealer.visits[0].id,
        }


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(region_id: int, **overrides) -> dict:
    data = {
        "name": "华南五金批发",
        "region": str(region_id),
        "status": "potential",
        "contact_name": "陈经理",
        "mobile": "13812345678",
        "landline": "020-12345678",
        "address": "广州市天河区",
        "contract_signed_on": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def _english(client) -> None:
    client.get("/language/en")


def test_every_dealer_view_renders_for_its_region_manager(app, client, login_as):
    south, _north = _regions(app)
    dealer_id = _dealer(app, south, with_children=True, name="南区一号")
    ids = {"dealer": dealer_id, **_child_ids(app, dealer_id)}
    login_as("region_manager", region_id=south)
    for key, record_id in ids.items():
        for url in (
            f"/admin/{key}/",
            f"/admin/{key}/details/?id={record_id}",
            f"/admin/{key}/new/",
            f"/admin/{key}/edit/?id={record_id}",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            if "new" not in url:
                assert "南区一号" in response.get_data(as_text=True), url


def test_dealer_details_show_card_files_and_visits(app, client, login_as):
    south, _north = _regions(app)
    dealer_id = _dealer(app, south, with_children=True, name="南区二号")
    login_as("supervisor")
    page = client.get(f"/admin/dealer/details/?id={dealer_id}").get_data(as_text=True)
    assert "有兴趣" in page and "首次拜访" in page
    assert "/admin/dealer_data_card/details/" in page


def test_manager_creates_a_dealer_with_a_potential_file_and_a_visit(app, client, login_as):
    south, _north = _regions(app)
    manager_id = login_as("region_manager", region_id=south)
    data = _form(
        south,
        manager=str(manager_id),
        in_directory="y",
        **{
            "potential_files-0-written_on": office_today().isoformat(),
            "potential_files-0-interest": "愿意试销",
            "visits-0-visited_on": office_today().isoformat(),
            "visits-0-visitor": str(manager_id),
            "visits-0-summary": "上门拜访，介绍产品。",
        },
    )
    response = client.post("/admin/dealer/new/", data=data)
    assert response.status_code == 302
    with app.app_context():
        dealer = db.session.scalars(select(Dealer)).one()
        assert (dealer.name, dealer.region_id, dealer.manager_id) == (
            "华南五金批发",
            south,
            manager_id,
        )
        assert dealer.in_directory is True
        assert dealer.mobile == "13812345678"
        assert dealer.created_by_id == manager_id
        assert [f.interest for f in dealer.potential_files] == ["愿意试销"]
        assert dealer.visits[0].visitor_id == manager_id
        assert dealer.visits[0].created_by_id == manager_id


def test_bad_mobile_comes_back_with_the_typed_values(app, client, login_as):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    response = client.post("/admin/dealer/new/", data=_form(south, mobile="12345"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入11位中国大陆手机号码" in page
    assert 'value="华南五金批发"' in page and 'value="12345"' in page
    assert _count(app, Dealer) == 0


def test_too_long_and_missing_values_are_refused(app, client, login_as):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    response = client.post("/admin/dealer/new/", data=_form(south, name="商" * 101))
    assert response.status_code == 200
    response = client.post("/admin/dealer/new/", data=_form(south, name=""))
    assert response.status_code == 200
    assert 'value="陈经理"' in response.get_data(as_text=True)
    response = client.post(
        "/admin/dealer_visit/new/", data={"dealer": "", "visited_on": "", "summary": ""}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("invalid-feedback") >= 3 or page.count("help-block") >= 3
    assert _count(app, Dealer) == 0 and _count(app, DealerVisit) == 0


def test_markup_and_emoji_are_stored_and_shown_escaped(app, client, login_as):
    south, _north = _regions(app)
    login_as("region_manager", region_id=south)
    name = "<script>alert(1)</script>五金🏪"
    response = client.post("/admin/dealer/new/", data=_form(south, name=name))
    assert response.status_code == 302
    with app.app_context():
        dealer = db.session.scalars(select(Dealer)).one()
        assert dealer.name == name
        dealer_id = dealer.id
    for url in ("/admin/dealer/", f"/admin/dealer/details/?id={dealer_id}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;五金🏪" in page


def test_region_manager_sees_and_reaches_only_own_region(app, client, login_as):
    south, north = _regions(app)
    _dealer(app, south, name="南方建材", mobile="13911112222")
    north_id = _dealer(app, north, name="北方建材", mobile="13933334444")
    login_as("region_manager", region_id=south)

    page = client.get("/admin/dealer/").get_data(as_text=True)
    assert "南方建材" in page and "北方建材" not in page
    for url in (f"/admin/dealer/details/?id={north_id}", f"/admin/dealer/edit/?id={north_id}"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/admin/dealer/edit/?id={north_id}", data=_form(north, name="改名"))
    assert response.status_code == 404
    # Nobody holds the delete right on dealers: refused before any lookup.
    assert client.post("/admin/dealer/delete/", data={"id": str(north_id)}).status_code == 403
    with app.app_context():
        assert db.session.get(Dealer, north_id).name == "北方建材"

    for term in ("北方", "13933334444", "建材"):
        response = client.get(f"/admin/dealer/?search={term}")
        assert response.status_code == 200, term
        page = response.get_data(as_text=True)
        assert "北方建材" not in page, term
    # The same searches do find the manager's own dealer.
    for term in ("南方", "13911112222", "建材"):
        page = client.get(f"/admin/dealer/?search={term}").get_data(as_text=True)
        assert "南方建材" in page, term
    body = client.get("/admin/dealer/export/csv/").get_data(as_text=True)
    assert len(_csv(body)) == 1
    assert "南方建材" in body and "北方建材" not in body
    assert "13911112222" not in body


def test_region_managers_child_lists_and_selects_are_scoped(app, client, login_as):
    south, north = _regions(app)
    south_id = _dealer(app, south, with_children=True, name="南方建材")
    north_id = _dealer(app, north, with_children=True, name="北方建材")
    north_children = _child_ids(app, north_id)
    login_as("region_manager", region_id=south)
    for key, child_id in north_children.items():
        page = client.get(f"/admin/{key}/").get_data(as_text=True)
        assert "南方建材" in page and "北方建材" not in page, key
        assert client.get(f"/admin/{key}/details/?id={child_id}").status_code == 404, key
        assert client.get(f"/admin/{key}/edit/?id={child_id}").status_code == 404, key
        body = client.get(f"/admin/{key}/export/csv/").get_data(as_text=True)
        assert "南方建材" in body and "北方建材" not in body, key
        page = client.get(f"/admin/{key}/?search=建材").get_data(as_text=True)
        assert "北方建材" not in page, key
    form = client.get("/admin/dealer_visit/new/").get_data(as_text=True)
    assert "南方建材" in form and "北方建材" not in form
    assert f'value="{north_id}"' not in form and f'value="{south_id}"' in form


def test_a_visit_for_another_regions_dealer_is_refused(app, client, login_as):
    south, north = _regions(app)
    north_id = _dealer(app, north, name="北方建材")
    login_as("region_manager", region_id=south)
    _english(client)
    response = client.post(
        "/admin/dealer_visit/new/",
        data={"dealer": str(north_id), "visited_on": office_today().isoformat(), "summary": "x"},
    )
    assert response.status_code == 200
    assert "Choose a dealer of your own region." in response.get_data(as_text=True)
    assert _count(app, DealerVisit) == 0


def test_creating_a_dealer_in_another_region_is_refused(app, client, login_as):
    south, north = _regions(app)
    login_as("region_manager", region_id=south)
    form = client.get("/admin/dealer/new/").get_data(as_text=True)
    assert f'value="{south}"' in form and f'value="{north}"' not in form
    _english(client)
    response = client.post("/admin/dealer/new/", data=_form(north))
    assert response.status_code == 200
    assert "You can only record dealers of your own region." in response.get_data(as_text=True)
    assert _count(app, Dealer) == 0


def test_moving_own_dealer_to_another_region_is_refused(app, client, login_as):
    south, north = _regions(app)
    dealer_id = _dealer(app, south, name="南方建材")
    login_as("region_manager", region_id=south)
    response = client.post(f"/admin/dealer/edit/?id={dealer_id}", data=_form(north))
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Dealer, dealer_id).region_id == south


def test_manager_without_a_region_sees_no_dealer(app, client, login_as):
    south, _north = _regions(app)
    _dealer(app, south, name="南方建材")
    login_as("region_manager")
    response = client.get("/admin/dealer/")
    assert response.status_code == 200
    assert "南方建材" not in response.get_data(as_text=True)


def test_supervisor_sees_every_region_and_filters_by_region_and_status(app, client, login_as):
    south, north = _regions(app)
    _dealer(app, south, name="南方建材", status="signed")
    _dealer(app, north, name="北方建材", status="potential", in_directory=True)
    login_as("supervisor")
    page = client.get("/admin/dealer/").get_data(as_text=True)
    assert "南方建材" in page and "北方建材" in page
    page = client.get(f"/admin/dealer/?flt0_0={north}").get_data(as_text=True)
    assert "北方建材" in page and "南方建材" not in page
    page = client.get("/admin/dealer/?flt0_1=signed").get_data(as_text=True)
    assert "南方建材" in page and "北方建材" not in page
    page = client.get("/admin/dealer/?flt0_2=1").get_data(as_text=True)
    assert "北方建材" in page and "南方建材" not in page
    # A supervisor reads but does not create.
    assert client.get("/admin/dealer/new/").status_code == 403


def test_child_lists_filter_by_the_dealers_region(app, client, login_as):
    south, north = _regions(app)
    _dealer(app, south, with_children=True, name="南方建材")
    _dealer(app, north, with_children=True, name="北方建材")
    login_as("supervisor")
    for key in ("dealer_data_card", "potential_dealer_file", "dealer_visit"):
        page = client.get(f"/admin/{key}/?flt0_0={north}").get_data(as_text=True)
        assert "北方建材" in page and "南方建材" not in page, key
    client.post("/logout")
    login_as("region_manager", region_id=south)
    for key in ("dealer_data_card", "potential_dealer_file", "dealer_visit"):
        page = client.get(f"/admin/{key}/?flt0_0={north}").get_data(as_text=True)
        assert "北方建材" not in page, key
        page = client.get(f"/admin/{key}/?flt0_0={south}&search=建材").get_data(as_text=True)
        assert "南方建材" in page, key


def test_export_has_no_phone_numbers(app, client, login_as):
    south, _north = _regions(app)
    _dealer(app, south, name="南方建材", mobile="13911112222", landline="020-87654321")
    login_as("supervisor")
    response = client.get("/admin/dealer/export/csv/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "南方建材" in body
    assert "13911112222" not in body and "87654321" not in body


def test_one_data_card_per_dealer(app, client, login_as):
    south, _north = _regions(app)
    dealer_id = _dealer(app, south, with_children=True, name="南方建材")
    login_as("region_manager", region_id=south)
    _english(client)
    response = client.post(
        "/admin/dealer_data_card/new/",
        data={"dealer": str(dealer_id), "filled_on": office_today().isoformat()},
    )
    assert response.status_code == 200
    assert "This dealer already has a customer data card." in response.get_data(as_text=True)
    assert _count(app, DealerDataCard) == 1


def test_data_card_for_a_new_signed_dealer(app, client, login_as):
    south, _north = _regions(app)
    dealer_id = _dealer(app, south, name="南方建材")
    login_as("region_manager", region_id=south)
    response = client.post(
        "/admin/dealer_data_card/new/",
        data={
            "dealer": str(dealer_id),
            "filled_on": office_today().isoformat(),
            "licence_no": "91440101MA5",
            "annual_sales_wan": "120.5",
            "outlets": "3",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Dealer, dealer_id).data_card.licence_no == "91440101MA5"


def test_inline_rows_cannot_be_deleted_from_the_dealer_form(app, client, login_as):
    south, _north = _regions(app)
    dealer_id = _dealer(app, south, with_children=True, name="南方建材")
    file_id = _child_ids(app, dealer_id)["potential_dealer_file"]
    login_as("region_manager", region_id=south)
    # The dealer's own values unchanged (an edit of them would go to approval).
    data = {
        "name": "南方建材",
        "region": str(south),
        "status": "signed",
        "mobile": "13900000000",
        **{
            "potential_files-0-id": str(file_id),
            "potential_files-0-written_on": office_today().isoformat(),
            "potential_files-0-interest": "已更新",
            "del-potential_files-0": "on",
        },
    }
    response = client.post(f"/admin/dealer/edit/?id={dealer_id}", data=data)
    assert response.status_code == 302
    with app.app_context():
        file = db.session.get(PotentialDealerFile, file_id)
        assert file is not None and file.interest == "已更新"


def test_other_roles_do_not_reach_dealers(client, login_as):
    login_as("clerk")
    assert client.get("/admin/dealer/").status_code == 403
    assert client.get("/admin/dealer_visit/").status_code == 403


def _csv(body: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body)))
