"""The ownership pages of a sales office: the public pool and its claims, the office's
customer directory, the supervisor's handover, the card's ownership record and the
deactivation guard; roles, CSRF, the access log, and another office's cards never listed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.office_settings import OfficeSetting
from models.admin.offices import Office, default_office_id
from models.admin.people import Role, User
from models.privacy.audit import AccessEvent
from models.sales.ownership import OwnershipEvent
from models.sales.prospects import Prospect
from services.admin import office_settings
from services.sales import customer_pool
from tests.factories import make_prospect, make_user


@pytest.fixture
def csrf_on(app):
    """Turns CSRF on once called (after signing in, whose form the tests post bare)."""

    def _on():
        app.config["WTF_CSRF_ENABLED"] = True

    yield _on
    app.config["WTF_CSRF_ENABLED"] = False


def _english(client) -> None:
    client.get("/language/en")


def _cards(app):
    """Office 本部: a pool card, Zhang's card; office 城西: a pool card and its owner's card."""
    with app.app_context():
        session = db.session
        west = Office(name="城西售楼部", kind="sales", active=True)
        session.add(west)
        session.flush()
        zhang = make_user(session, "clerk", username="zhang", full_name="张顾问")
        wang = make_user(session, "clerk", username="wang", full_name="王西区", offices=[west])
        pool = make_prospect(session, name="池中客户", mobile="13900001111", consultant=None)
        owned = make_prospect(session, name="张的客户", mobile="13900002222", consultant=zhang)
        west_pool = make_prospect(session, name="西区池客", mobile="13900003333", consultant=None)
        west_pool.office_id = west.id
        west_owned = make_prospect(session, name="西区客户", mobile="13900004444", consultant=wang)
        west_owned.office_id = west.id
        session.commit()
        return {
            "pool": pool.id,
            "owned": owned.id,
            "west_pool": west_pool.id,
            "west_owned": west_owned.id,
            "zhang": zhang.id,
            "west": west.id,
        }


def _owner(app, prospect_id: int) -> int | None:
    with app.app_context():
        return db.session.scalar(select(Prospect.consultant_id).where(Prospect.id == prospect_id))


def _last_event(app, action: str) -> AccessEvent:
    with app.app_context():
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == action).order_by(AccessEvent.seq.desc())
        ).first()
        db.session.expunge(event)
        return event


def _logged_ids(event: AccessEvent) -> set[int]:
    return {int(i) for i in (event.record_ids or "").split(",") if i}


# --- the public pool ------------------------------------------------------------------------
def test_a_consultant_sees_the_offices_pool_and_claims_from_it(app, client, login_as):
    ids = _cards(app)
    me = login_as("clerk", full_name="李顾问")
    page = client.get("/admin/sales/pool/").get_data(as_text=True)
    table = page.split('id="pool"')[1].split("</table>")[0]
    assert "池中客户" in table and "139****1111" in table
    assert "13900001111" not in page
    assert "张的客户" not in table
    assert "西区池客" not in page and "西区客户" not in page
    assert 'id="claims-left"' in page and "5" in page.split('id="claims-left"')[1][:80]
    assert _logged_ids(_last_event(app, "list")) == {ids["pool"]}

    response = client.post("/admin/sales/pool/claim", data={"prospect": str(ids["pool"])})
    assert response.status_code == 302
    assert f"/admin/prospect/details/?id={ids['pool']}" in response.headers["Location"]
    assert _owner(app, ids["pool"]) == me
    event = _last_event(app, "update")
    assert (event.record_type, event.record_id) == ("prospect", ids["pool"])
    # The card's details panels show the claim in its ownership record.
    panels = f"/admin/prospect/details/panels/?id={ids['pool']}&partial=1"
    details = client.get(panels).get_data(as_text=True)
    record = details.split('id="ownership-history"')[1].split("</table>")[0]
    assert "李顾问" in record


def test_another_offices_card_or_an_owned_one_is_not_claimed(app, client, login_as):
    ids = _cards(app)
    login_as("clerk")
    _english(client)
    response = client.post(
        "/admin/sales/pool/claim", data={"prospect": str(ids["owned"])}, follow_redirects=True
    )
    assert "no longer in your office&#39;s public pool" in response.get_data(as_text=True)
    # Another office's card is not found, as one that does not exist; the look is logged.
    response = client.post("/admin/sales/pool/claim", data={"prospect": str(ids["west_pool"])})
    assert response.status_code == 404
    assert _last_event(app, "not_found").outcome == "denied"
    assert _owner(app, ids["west_pool"]) is None
    assert _owner(app, ids["owned"]) == ids["zhang"]
    assert client.post("/admin/sales/pool/claim", data={"prospect": "999999"}).status_code == 404
    assert client.post("/admin/sales/pool/claim", data={"prospect": "x"}).status_code == 400


@pytest.mark.day_sensitive
def test_the_daily_limit_is_shown_and_kept(app, client, login_as):
    ids = _cards(app)
    with app.app_context():
        db.session.add(OfficeSetting(key=office_settings.DAILY_CLAIM_LIMIT, value=1, version=1))
        extra = make_prospect(db.session, name="第二个", consultant=None)
        db.session.commit()
        extra_id = extra.id
    login_as("clerk")
    _english(client)
    client.post("/admin/sales/pool/claim", data={"prospect": str(ids["pool"])})
    page = client.get("/admin/sales/pool/").get_data(as_text=True)
    assert "Claims left today: 0" in page
    assert re.search(r'class="btn btn-sm btn-primary claim" type="submit"\s+disabled', page)
    response = client.post(
        "/admin/sales/pool/claim", data={"prospect": str(extra_id)}, follow_redirects=True
    )
    assert "the most a day" in response.get_data(as_text=True)
    assert _owner(app, extra_id) is None


def test_the_supervisor_watches_the_pool_without_claiming(app, client, login_as):
    ids = _cards(app)
    login_as("supervisor")
    page = client.get("/admin/sales/pool/").get_data(as_text=True)
    assert "池中客户" in page and "西区池客" not in page
    assert 'id="claims-left"' not in page and "/admin/sales/pool/claim" not in page
    assert (
        client.post("/admin/sales/pool/claim", data={"prospect": str(ids["pool"])}).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["custodian", "admin", "region_manager"])
def test_other_roles_have_no_ownership_pages(client, login_as, role):
    login_as(role)
    for url in ("/admin/sales/pool/", "/admin/sales/office-customers/", "/admin/sales/handover/"):
        assert client.get(url).status_code == 403


def test_a_claim_needs_the_forms_token(app, client, login_as, csrf_on):
    ids = _cards(app)
    login_as("clerk")
    csrf_on()
    assert (
        client.post("/admin/sales/pool/claim", data={"prospect": str(ids["pool"])}).status_code
        == 400
    )
    assert _owner(app, ids["pool"]) is None
    page = client.get("/admin/sales/pool/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/admin/sales/pool/claim", data={"prospect": str(ids["pool"]), "csrf_token": token}
    )
    assert response.status_code == 302
    assert _owner(app, ids["pool"]) is not None


@pytest.mark.day_sensitive
def test_the_pool_shows_when_a_card_was_released(app, client, login_as):
    today = office_today()
    with app.app_context():
        zhang = make_user(db.session, "clerk", full_name="张顾问")
        make_prospect(
            db.session,
            name="被放出的客户",
            consultant=zhang,
            first_visit_on=today - timedelta(days=60),
        )
        db.session.commit()
        assert customer_pool.release_stale(db.session, today) == 1
        db.session.commit()
    login_as("clerk")
    page = client.get("/admin/sales/pool/").get_data(as_text=True)
    row = page.split("被放出的客户")[1].split("</tr>")[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)


def test_the_pool_pages(app, client, login_as):
    with app.app_context():
        for n in range(52):
            make_prospect(db.session, name=f"池{n:02d}", consultant=None)
        db.session.commit()
    login_as("clerk")
    first = client.get("/admin/sales/pool/").get_data(as_text=True)
    assert 'id="next-page"' in first and 'id="previous-page"' not in first
    second = client.get("/admin/sales/pool/?page=1").get_data(as_text=True)
    assert 'id="next-page"' not in second and 'id="previous-page"' in second
    assert second.count('name="prospect"') == 2


# --- the office's customer directory --------------------------------------------------------
def test_the_directory_shows_who_owns_each_customer_of_the_office(app, client, login_as):
    ids = _cards(app)
    login_as("clerk")
    page = client.get("/admin/sales/office-customers/").get_data(as_text=True)
    table = page.split('id="office-customers"')[1].split("</table>")[0]
    assert "池中客户" in table and "张的客户" in table and "张顾问" in table
    assert "139****2222" in table and "13900002222" not in page
    assert "西区" not in table
    # Only the cards the consultant may open are links; Zhang's card's content stays his.
    assert f"details/?id={ids['pool']}" in table
    assert f"details/?id={ids['owned']}" not in table
    assert _logged_ids(_last_event(app, "list")) == {ids["pool"], ids["owned"]}


def test_the_directory_is_searched_by_exact_phone_or_name(app, client, login_as):
    ids = _cards(app)
    login_as("clerk")
    by_phone = client.get("/admin/sales/office-customers/?q=139 0000 2222").get_data(as_text=True)
    table = by_phone.split('id="office-customers"')[1].split("</table>")[0]
    assert "张的客户" in table and "池中客户" not in table
    event = _last_event(app, "search")
    assert _logged_ids(event) == {ids["owned"]} and event.term_hmac
    # Part of a number finds nothing: the phone is matched whole, through its blind index.
    partial = client.get("/admin/sales/office-customers/?q=1390000222").get_data(as_text=True)
    assert "张的客户" not in partial.split('id="office-customers"')[1]
    by_name = client.get("/admin/sales/office-customers/?q=池中").get_data(as_text=True)
    table = by_name.split('id="office-customers"')[1].split("</table>")[0]
    assert "池中客户" in table and "张的客户" not in table
    # Another office's customer is not found by its number either.
    other = client.get("/admin/sales/office-customers/?q=13900004444").get_data(as_text=True)
    assert "西区客户" not in other


def test_the_west_offices_consultant_sees_the_west_office_only(app, client, login_as):
    ids = _cards(app)
    with app.app_context():
        west = db.session.get(Office, ids["west"])
        make_user(db.session, "clerk", username="west2", offices=[west])
        db.session.commit()
    client.post("/login", data={"username": "west2", "password": "correct-horse-battery"})
    page = client.get("/admin/sales/office-customers/").get_data(as_text=True)
    assert "西区客户" in page and "王西区" in page and "西区池客" in page
    assert "池中客户" not in page and "张的客户" not in page
    pool = client.get("/admin/sales/pool/").get_data(as_text=True)
    assert "西区池客" in pool and "池中客户" not in pool


# --- handover -------------------------------------------------------------------------------
def _handover_ids(app):
    with app.app_context():
        session = db.session
        leaving = make_user(session, "clerk", full_name="离职顾问")
        taking = make_user(session, "clerk", full_name="接手顾问")
        cards = [make_prospect(session, name=f"交接客户{n}", consultant=leaving) for n in range(3)]
        session.commit()
        return leaving.id, taking.id, [c.id for c in cards]


def test_the_supervisor_hands_all_customers_over(app, client, login_as):
    leaving, taking, cards = _handover_ids(app)
    ids = _cards(app)
    login_as("supervisor")
    page = client.get(f"/admin/sales/handover/?owner={leaving}").get_data(as_text=True)
    assert "交接客户0" in page and "西区" not in page
    assert _logged_ids(_last_event(app, "list")) == set(cards)
    response = client.post(
        "/admin/sales/handover/submit",
        data={"from_user": leaving, "to_user": taking, "scope": "all", "note": "离职"},
    )
    assert response.status_code == 302
    assert [_owner(app, c) for c in cards] == [taking] * 3
    assert _owner(app, ids["owned"]) == ids["zhang"]
    with app.app_context():
        notes = db.session.scalars(
            select(OwnershipEvent.note).where(OwnershipEvent.kind == "handed_over")
        ).all()
    assert notes == ["离职"] * 3
    panels = f"/admin/prospect/details/panels/?id={cards[0]}&partial=1"
    details = client.get(panels).get_data(as_text=True)
    record = details.split('id="ownership-history"')[1].split("</table>")[0]
    assert "离职顾问" in record and "接手顾问" in record and "离职" in record


def test_the_supervisor_hands_ticked_customers_over(app, client, login_as):
    leaving, taking, cards = _handover_ids(app)
    login_as("supervisor")
    client.post(
        "/admin/sales/handover/submit",
        data={
            "from_user": leaving,
            "to_user": taking,
            "scope": "chosen",
            "prospects": [cards[1]],
            "note": "分流",
        },
    )
    assert [_owner(app, c) for c in cards] == [leaving, taking, leaving]


def test_a_handover_needs_a_note_and_people_of_the_office(app, client, login_as):
    leaving, taking, cards = _handover_ids(app)
    ids = _cards(app)
    with app.app_context():
        west_clerk = db.session.scalar(select(User.id).where(User.username == "wang"))
    login_as("supervisor")
    _english(client)
    response = client.post(
        "/admin/sales/handover/submit",
        data={"from_user": leaving, "to_user": taking, "scope": "all", "note": ""},
        follow_redirects=True,
    )
    assert "Write a note for the handover" in response.get_data(as_text=True)
    response = client.post(
        "/admin/sales/handover/submit",
        data={"from_user": leaving, "to_user": west_clerk, "scope": "all", "note": "x"},
        follow_redirects=True,
    )
    assert "Choose both consultants from the lists." in response.get_data(as_text=True)
    response = client.post(
        "/admin/sales/handover/submit",
        data={
            "from_user": leaving,
            "to_user": taking,
            "scope": "chosen",
            "prospects": [ids["owned"]],
            "note": "x",
        },
        follow_redirects=True,
    )
    assert "no longer" in response.get_data(as_text=True)
    assert [_owner(app, c) for c in cards] == [leaving] * 3
    assert _owner(app, ids["owned"]) == ids["zhang"]


def test_a_handover_needs_the_forms_token(app, client, login_as, csrf_on):
    leaving, taking, cards = _handover_ids(app)
    login_as("supervisor")
    csrf_on()
    data = {"from_user": leaving, "to_user": taking, "scope": "all", "note": "离职"}
    assert client.post("/admin/sales/handover/submit", data=data).status_code == 400
    page = client.get(f"/admin/sales/handover/?owner={leaving}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post("/admin/sales/handover/submit", data={**data, "csrf_token": token}).status_code
        == 302
    )
    assert [_owner(app, c) for c in cards] == [taking] * 3


# --- the deactivation guard -----------------------------------------------------------------
def test_an_account_owning_customers_is_deactivated_only_after_the_handover(app, client, login_as):
    leaving, taking, cards = _handover_ids(app)
    with app.app_context():
        user = db.session.get(User, leaving)
        role_id = db.session.scalar(select(Role.id).where(Role.code == "clerk"))
        form = {
            "username": user.username,
            "full_name": user.full_name,
            "role": str(role_id),
            "offices": str(default_office_id(db.session)),
        }
    login_as("admin")
    _english(client)
    response = client.post(f"/admin/user/edit/?id={leaving}", data=form)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "still owns 3 customers" in text and "/admin/sales/handover/" in text
    with app.app_context():
        assert db.session.get(User, leaving).active is True
        db.session.execute(
            Prospect.__table__.update().where(Prospect.id.in_(cards)).values(consultant_id=taking)
        )
        db.session.commit()
    assert client.post(f"/admin/user/edit/?id={leaving}", data=form).status_code == 302
    with app.app_context():
        assert db.session.get(User, leaving).active is False
