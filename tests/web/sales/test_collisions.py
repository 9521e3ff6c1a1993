"""Collisions (撞单) and who opens a card, through the Flask test client: a consultant's
registration of another consultant's customer, the supervisor's rulings page, and a
consultant kept to their own, shared and the pool's cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import office_today
from extensions import db
from models.admin.offices import Office
from models.privacy.audit import AccessEvent
from models.sales.ownership import Collision, OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from tests.factories import login_as as sign_in
from tests.factories import make_prospect, make_user, make_visit, ref_item
from tests.web.conftest import as_chinese_reader_sees

pytestmark = pytest.mark.day_sensitive

MOBILE = "13900001111"


def _form(app, **overrides) -> dict:
    with app.app_context():
        source = ref_item(db.session, "source_channel", "walk_in").id
    data = {
        "consent_given": "y",
        "name": "陈先生",
        "mobile": MOBILE,
        "landline": "",
        "source": str(source),
        "grade": "B",
        "progress": "follow_up",
        "notes": "想要三房",
        "visits-0-visited_on": office_today().isoformat(),
        "visits-0-summary": "二次来访，问价格",
    }
    data.update(overrides)
    return data


def _card(app, owner_id, *, days_ago=2, mobile=MOBILE, name="陈客户") -> int:
    with app.app_context():
        day = office_today() - timedelta(days=days_ago)
        card = make_prospect(
            db.session,
            name=name,
            mobile=mobile,
            consultant_id=owner_id,
            first_visit_on=day,
            last_contact_on=day,
        )
        make_visit(db.session, card, visited_on=day, consultant_id=owner_id, summary="首访")
        db.session.commit()
        return card.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def owner(app):
    with app.app_context():
        user = make_user(db.session, "clerk", full_name="张顾问")
        db.session.commit()
        return user.id


def test_registering_another_consultants_customer_files_a_collision(app, client, login_as, owner):
    card_id = _card(app, owner)
    claimant = login_as("clerk", full_name="李顾问")

    response = client.post("/admin/prospect/new/", data=_form(app))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/prospect/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    told = as_chinese_reader_sees(
        app,
        "%(name)s is already a customer of %(owner)s. No second card was made: what you "
        "registered is kept and the supervisor was asked to rule.",
        name="陈先生",
        owner="张顾问",
    )
    assert told in page and "张顾问" in told
    assert _count(app, Prospect) == 1
    with app.app_context():
        filed = db.session.scalars(select(Collision)).one()
        assert (filed.prospect_id, filed.owner_id, filed.claimant_id) == (card_id, owner, claimant)
        assert (filed.name, filed.mobile, filed.visited_on) == ("陈先生", MOBILE, office_today())
        assert "二次来访，问价格" in filed.summary and "想要三房" in filed.summary
        assert db.session.get(Prospect, card_id).consultant_id == owner
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "collision_filed")
        ).one()
        assert (event.user_id, event.record_id) == (claimant, card_id)


def test_a_pool_card_is_claimed_instead_of_a_second_card(app, client, login_as):
    card_id = _card(app, None)
    claimant = login_as("clerk")

    response = client.post("/admin/prospect/new/", data=_form(app))

    assert response.status_code == 302
    assert f"/admin/prospect/edit/?id={card_id}" in response.headers["Location"]
    assert _count(app, Prospect) == 1 and _count(app, Collision) == 0
    with app.app_context():
        card = db.session.get(Prospect, card_id)
        assert card.consultant_id == claimant
        assert [(v.seq, v.summary) for v in card.visits] == [(1, "首访"), (2, "二次来访，问价格")]
        kinds = db.session.scalars(select(OwnershipEvent.kind)).all()
        assert kinds == ["claimed"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_card_left_past_the_window_moves_to_the_registering_consultant(
    app, client, login_as, owner
):
    card_id = _card(app, owner, days_ago=90)
    claimant = login_as("clerk")
    response = client.post("/admin/prospect/new/", data=_form(app))
    assert f"/admin/prospect/edit/?id={card_id}" in response.headers["Location"]
    with app.app_context():
        assert db.session.get(Prospect, card_id).consultant_id == claimant
        kinds = db.session.scalars(select(OwnershipEvent.kind).order_by(OwnershipEvent.id)).all()
        assert kinds == ["released", "claimed"]


def test_own_customer_registered_again_makes_a_second_card_as_before(app, client, login_as):
    clerk = login_as("clerk")
    _card(app, clerk)
    response = client.post("/admin/prospect/new/", data=_form(app))
    assert response.status_code == 302
    assert _count(app, Prospect) == 2 and _count(app, Collision) == 0


def test_a_registration_without_reception_still_asks_for_it(app, client, login_as, owner):
    _card(app, owner)
    login_as("clerk")
    data = _form(app, **{"visits-0-visited_on": "", "visits-0-summary": ""})
    data = {k: v for k, v in data.items() if not k.startswith("visits-")}
    response = client.post("/admin/prospect/new/", data=data)
    assert response.status_code == 200
    assert _count(app, Collision) == 0 and _count(app, Prospect) == 1


# --- who opens a card ---------------------------------------------------------------------


def test_a_consultant_sees_own_shared_and_pool_cards_only(app, client, login_as, owner):
    clerk = login_as("clerk")
    mine = _card(app, clerk, mobile="13900000001", name="自己的客户")
    theirs = _card(app, owner, mobile="13900000002", name="别人的客户")
    pool = _card(app, None, mobile="13900000003", name="公共池客户")
    shared = _card(app, owner, mobile="13900000004", name="共享的客户")
    with app.app_context():
        db.session.add(ProspectShare(prospect_id=shared, user_id=clerk))
        db.session.commit()

    page = client.get("/admin/prospect/").get_data(as_text=True)
    assert "自己的客户" in page and "公共池客户" in page and "共享的客户" in page
    assert "别人的客户" not in page
    for card_id in (mine, pool, shared):
        assert client.get(f"/admin/prospect/details/?id={card_id}").status_code == 200
    for url in (
        f"/admin/prospect/details/?id={theirs}",
        f"/admin/prospect/edit/?id={theirs}",
        f"/admin/sales/identity/?prospect={theirs}",
        f"/admin/print/card/{theirs}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        "/admin/sales/identity/record", data={"prospect": str(theirs), "method": "on_site"}
    )
    assert response.status_code == 404


def test_the_supervisor_sees_every_card_of_the_office(app, client, login_as, owner):
    theirs = _card(app, owner, name="别人的客户")
    login_as("supervisor")
    assert "别人的客户" in client.get("/admin/prospect/").get_data(as_text=True)
    assert client.get(f"/admin/prospect/details/?id={theirs}").status_code == 200


# --- the supervisor's rulings -------------------------------------------------------------


@pytest.fixture
def filed(app, owner):
    """A pending collision: 李顾问 registered 张顾问's customer."""
    card_id = _card(app, owner)
    claimant_client = app.test_client()
    claimant = sign_in(app, claimant_client, "clerk", full_name="李顾问")
    claimant_client.post("/admin/prospect/new/", data=_form(app))
    with app.app_context():
        collision = db.session.scalars(select(Collision)).one()
        return {
            "id": collision.id,
            "version": collision.version,
            "card": card_id,
            "owner": owner,
            "claimant": claimant,
            "claimant_client": claimant_client,
        }


def _ruling(filed, ruling="reassign", note="客户指定李顾问") -> dict:
    prefix = f"c{filed['id']}-"
    return {
        prefix + "ruling": ruling,
        prefix + "note": note,
        prefix + "version": str(filed["version"]),
    }


def test_the_page_shows_both_consultants_receptions_and_the_registration(
    app, client, login_as, filed
):
    login_as("supervisor")
    response = client.get("/admin/sales/collisions/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="collision-{filed["id"]}"' in page
    assert "张顾问" in page and "李顾问" in page and "陈先生" in page
    assert "二次来访，问价格" in page
    assert MOBILE not in page and "139****1111" in page
    assert 'name="csrf_token"' in page or "csrf_token" in page
    with app.app_context():
        event = db.session.scalars(
            select(AccessEvent)
            .where(AccessEvent.action == "list", AccessEvent.path == "/admin/sales/collisions/")
            .order_by(AccessEvent.seq.desc())
        ).first()
        assert event is not None and str(filed["card"]) in event.record_ids.split(",")
    assert 'id="collisions-badge"' in page


def test_reassign_moves_the_card(app, client, login_as, filed):
    supervisor = login_as("supervisor")
    response = client.post(f"/admin/sales/collisions/{filed['id']}/rule", data=_ruling(filed))
    assert response.status_code == 302
    with app.app_context():
        card = db.session.get(Prospect, filed["card"])
        assert card.consultant_id == filed["claimant"]
        assert card.visits[-1].consultant_id == filed["claimant"]
        assert card.visits[-1].visited_on == office_today()
        collision = db.session.get(Collision, filed["id"])
        assert (collision.status, collision.ruling, collision.ruled_by_id) == (
            "ruled",
            "reassign",
            supervisor,
        )
        event = db.session.scalars(select(OwnershipEvent)).one()
        assert (event.kind, event.from_user_id, event.to_user_id, event.note) == (
            "reassigned",
            filed["owner"],
            filed["claimant"],
            "客户指定李顾问",
        )
        assert db.session.scalar(
            select(func.count())
            .select_from(AccessEvent)
            .where(AccessEvent.action == "collision_ruled")
        )
    claimant_client = filed["claimant_client"]
    assert claimant_client.get(f"/admin/prospect/details/?id={filed['card']}").status_code == 200
    page = client.get("/admin/sales/collisions/").get_data(as_text=True)
    assert 'id="no-collisions"' in page


def test_share_and_keep(app, client, login_as, filed):
    login_as("supervisor")
    client.post(f"/admin/sales/collisions/{filed['id']}/rule", data=_ruling(filed, "share"))
    with app.app_context():
        assert db.session.get(ProspectShare, (filed["card"], filed["claimant"])) is not None
        assert db.session.get(Prospect, filed["card"]).consultant_id == filed["owner"]
    assert (
        filed["claimant_client"].get(f"/admin/prospect/details/?id={filed['card']}").status_code
        == 200
    )


def test_a_second_ruling_gets_a_clear_message(app, client, login_as, filed):
    login_as("supervisor")
    url = f"/admin/sales/collisions/{filed['id']}/rule"
    client.post(url, data=_ruling(filed, "keep"))
    response = client.post(url, data=_ruling(filed, "reassign"), follow_redirects=True)
    told = as_chinese_reader_sees(
        app, "This collision was already ruled by someone else; nothing was changed."
    )
    assert told in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Prospect, filed["card"]).consultant_id == filed["owner"]
        assert db.session.get(Collision, filed["id"]).ruling == "keep"


def test_a_ruling_needs_a_note(app, client, login_as, filed):
    login_as("supervisor")
    response = client.post(
        f"/admin/sales/collisions/{filed['id']}/rule",
        data=_ruling(filed, note=""),
        follow_redirects=True,
    )
    told = as_chinese_reader_sees(app, "Write why: a ruling needs a note.")
    assert told in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Collision, filed["id"]).status == "pending"


def test_the_admin_reads_but_does_not_rule(app, client, login_as, filed):
    login_as("admin")
    page = client.get("/admin/sales/collisions/").get_data(as_text=True)
    assert f'id="collision-{filed["id"]}"' in page
    assert f'id="ruling-{filed["id"]}"' not in page
    response = client.post(f"/admin/sales/collisions/{filed['id']}/rule", data=_ruling(filed))
    assert response.status_code == 403


def test_another_offices_supervisor_neither_sees_nor_rules(app, client, filed):
    with app.app_context():
        elsewhere = Office(name="城西售楼部", kind="sales", active=True)
        db.session.add(elsewhere)
        db.session.commit()
        db.session.refresh(elsewhere)
    # Detached when its context closed: the account's own context takes it up.
    sign_in(app, client, "supervisor", offices=[elsewhere])
    page = client.get("/admin/sales/collisions/").get_data(as_text=True)
    assert f'id="collision-{filed["id"]}"' not in page and "陈先生" not in page
    response = client.post(f"/admin/sales/collisions/{filed['id']}/rule", data=_ruling(filed))
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Collision, filed["id"]).status == "pending"
