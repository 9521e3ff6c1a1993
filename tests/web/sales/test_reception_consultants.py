"""Every reception entered on the welcome card's form belongs to the consultant who received
the customer, so the day's count per consultant and the supervisor's home page agree with
what the consultants entered."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models.sales.prospects import Prospect, Visit
from tests.factories import login_as as sign_in
from tests.factories import make_prospect, make_user, make_visit
from tests.web.sales.test_prospect_views import _form

# The receptions are dated today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


def _home_entered(html: str) -> dict[str, int]:
    rows = re.findall(r'<tr id="day-(\d+)">.*?<td class="entered">(\d+)</td>', html, re.S)
    return {int(uid): int(n) for uid, n in rows}


def _day_cards_entered(client, clerk_id: int, today) -> int:
    url = f"/admin/sales/day-cards/?consultant={clerk_id}&day={today.isoformat()}"
    html = client.get(url).get_data(as_text=True)
    return int(re.search(r'<td class="entered">(\d+)</td>', html).group(1))


def _visits(app) -> list[tuple[int | None, int | None]]:
    with app.app_context():
        return db.session.execute(
            select(Visit.consultant_id, Visit.created_by_id).order_by(Visit.id)
        ).all()


def test_a_clerks_first_reception_counts_for_the_clerk_today(app, client, today):
    supervisor = app.test_client()
    sign_in(app, supervisor, "supervisor")
    clerk_id = sign_in(app, client, "clerk")
    before_home = _home_entered(supervisor.get("/admin/").get_data(as_text=True))
    before_day = _day_cards_entered(supervisor, clerk_id, today)

    response = client.post("/admin/prospect/new/", data=_form(app))
    assert response.status_code == 302
    assert _visits(app) == [(clerk_id, clerk_id)]

    assert _home_entered(supervisor.get("/admin/").get_data(as_text=True))[clerk_id] == (
        before_home.get(clerk_id, 0) + 1
    )
    assert _day_cards_entered(supervisor, clerk_id, today) == before_day + 1


def test_the_form_offers_consultants_only_and_picks_the_signed_in_clerk(app, client, login_as):
    with app.app_context():
        for role in ("supervisor", "region_manager", "custodian", "admin"):
            make_user(db.session, role)
        colleague = make_user(db.session, "clerk").id
        db.session.commit()
    clerk_id = login_as("clerk")
    # The card's select, and the reception's in the template of a new inline row.
    page = html.unescape(client.get("/admin/prospect/new/").get_data(as_text=True))
    selects = re.findall(r'<select[^>]*name="consultant"[^>]*>.*?</select>', page, re.S)
    assert len(selects) == 2
    for select_html in selects:
        assert set(re.findall(r'value="(\d+)"', select_html)) == {str(clerk_id), str(colleague)}
        assert f'<option selected value="{clerk_id}">' in select_html


def test_a_clerk_may_name_a_colleague_who_received_the_customer(app, client, login_as):
    with app.app_context():
        colleague = make_user(db.session, "clerk").id
        db.session.commit()
    clerk_id = login_as("clerk")
    data = _form(app, **{"visits-0-consultant": str(colleague)})
    assert client.post("/admin/prospect/new/", data=data).status_code == 302
    assert _visits(app) == [(colleague, clerk_id)]


@pytest.mark.parametrize("role", ["admin", "custodian", "region_manager", "supervisor"])
def test_only_consultants_may_be_named(app, client, login_as, role):
    with app.app_context():
        outsider = make_user(db.session, role).id
        db.session.commit()
    login_as("clerk")
    for field in ("consultant", "visits-0-consultant"):
        response = client.post("/admin/prospect/new/", data=_form(app, **{field: str(outsider)}))
        assert response.status_code == 200, field
        with app.app_context():
            assert db.session.scalar(select(func.count(Prospect.id))) == 0


def test_a_supervisor_names_the_consultant_unless_the_office_lets_them_receive(
    app, client, login_as, monkeypatch
):
    with app.app_context():
        clerk_id = make_user(db.session, "clerk").id
        db.session.commit()
    supervisor_id = login_as("supervisor")
    response = client.post("/admin/prospect/new/", data=_form(app))
    assert response.status_code == 200
    assert "接待客户的置业顾问" in response.get_data(as_text=True)
    assert _visits(app) == []

    # Naming the card's consultant is enough: the reception follows the card.
    data = _form(app, consultant=str(clerk_id))
    assert client.post("/admin/prospect/new/", data=data).status_code == 302
    assert _visits(app) == [(clerk_id, supervisor_id)]

    monkeypatch.setitem(app.config, "SUPERVISOR_RECEIVES_CUSTOMERS", True)
    data = _form(app, name="李四", mobile="13912345678")
    assert client.post("/admin/prospect/new/", data=data).status_code == 302
    assert _visits(app)[-1] == (supervisor_id, supervisor_id)


def test_a_card_whose_reception_was_received_by_a_former_clerk_can_still_be_saved(
    app, client, login_as
):
    with app.app_context():
        gone = make_user(db.session, "clerk")
        gone.active = False
        card = make_prospect(db.session, consultant_id=gone.id)
        visit = make_visit(db.session, card, consultant_id=gone.id)
        db.session.commit()
        card_id, gone_id, visit_id = card.id, gone.id, visit.id
    login_as("supervisor")
    page = client.get(f"/admin/prospect/edit/?id={card_id}").get_data(as_text=True)
    assert f'value="{gone_id}"' in page
    data = {
        **_form(app, name="钱多多", mobile="13812345670", consultant=str(gone_id)),
        "visits-0-id": str(visit_id),
        "visits-0-consultant": str(gone_id),
    }
    data.pop("consent_given")
    response = client.post(f"/admin/prospect/edit/?id={card_id}", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Prospect, card_id).name == "钱多多"
    assert _visits(app)[0][0] == gone_id


def test_a_later_reception_added_on_the_card_is_the_clerks_who_entered_it(
    app, client, login_as, today
):
    clerk_id = login_as("clerk")
    with app.app_context():
        card = make_prospect(db.session, consultant_id=clerk_id)
        first = make_visit(db.session, card, consultant_id=clerk_id, visited_on=today)
        db.session.commit()
        card_id, name, mobile, first_id = card.id, card.name, card.mobile, first.id
    data = {
        **_form(app, name=name, mobile=mobile),
        "visits-0-id": str(first_id),
        "visits-1-visited_on": today.isoformat(),
        "visits-1-summary": "电话回访，约周末看房。",
    }
    data.pop("consent_given")
    response = client.post(f"/admin/prospect/edit/?id={card_id}", data=data)
    assert response.status_code == 302
    assert [consultant for consultant, _by in _visits(app)] == [clerk_id, clerk_id]
