"""The sales, home and shared pages of one office (issue 18): another office's consultant,
sample, transfer or unit asked for by id is not found (404, logged as ``not_found``), and the
pages name only the office's own consultants. A supervisor of two offices takes the weekly
count and draws the spot check for each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import office_today
from extensions import db
from models.admin.offices import Office
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.privacy.audit import AccessEvent
from models.property.property import Lease, Owner, Tenant, Unit
from models.property.transfers import Transfer
from models.sales.daily import SpotCheck
from models.sales.sales import DayReport, WeeklySnapshot
from services.privacy import audit
from services.sales import spot_checks, weekly_count
from services.sales.weekly_count import week_ending
from tests.factories import make_prospect, make_user, make_visit

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive

#: Office B's consultant: never named on office A's pages.
THEIRS = "城西顾问"


@pytest.fixture
def office_b(app):
    """Office B with its project, consultant, supervisor, a card received today, a unit,
    an owner and a transfer; office A's consultant has a card received today too."""
    today = office_today()
    with app.app_context():
        s = db.session
        projects = s.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
        west = ReferenceItem(code="west", label="西园", sort_order=990)
        projects.items.append(west)
        s.flush()
        b = Office(name="城西办", kind="combined", projects=[west])
        s.add(b)
        s.flush()
        clerk_b = make_user(s, "clerk", offices=[b], full_name=THEIRS)
        sup_b = make_user(s, "supervisor", offices=[b])
        clerk_a = make_user(s, "clerk", full_name="本部顾问")
        on = {"office_id": b.id}
        card_b = make_prospect(s, consultant=clerk_b, project=west, **on)
        make_visit(s, card_b, consultant=clerk_b, **on)
        # Office A's card was first received last week: this week's draw holds none of A.
        last_week = today - timedelta(days=8)
        card_a = make_prospect(s, consultant=clerk_a, first_visit_on=last_week)
        make_visit(s, card_a, consultant=clerk_a, seq=2)
        owner = Owner(name="城西业主", **on)
        buyer = Owner(name="城西买方", **on)
        unit = Unit(project=west, building="西1栋", room="101", **on)
        tenant_a = Tenant(name="本部租户")
        s.add_all([owner, buyer, unit, tenant_a])
        s.flush()
        transfer = Transfer(unit=unit, seller=owner, buyer=buyer, opened_on=today, **on)
        s.add(transfer)
        check = spot_checks.draw(s, sup_b, audit.Actor(sup_b.id, "b", "supervisor"), today, size=1)
        s.commit()
        return {
            "clerk_b": clerk_b.id,
            "clerk_a": clerk_a.id,
            "unit": unit.id,
            "tenant_a": tenant_a.id,
            "transfer": transfer.id,
            "check": check.id,
            "office": b.id,
        }


def _not_found_logged(app, path: str) -> bool:
    with app.app_context():
        return (
            db.session.scalar(
                select(AccessEvent.id).where(
                    AccessEvent.action == "not_found", AccessEvent.path == path
                )
            )
            is not None
        )


def test_another_offices_records_by_id_are_not_found(app, client, login_as, office_b):
    login_as("supervisor")
    today = office_today().isoformat()
    for path in (
        f"/admin/sales/day-cards/?consultant={office_b['clerk_b']}&day={today}",
        f"/admin/sales/followups/?consultant={office_b['clerk_b']}",
        f"/admin/spot-checks/{office_b['check']}/",
    ):
        assert client.get(path).status_code == 404, path
        assert _not_found_logged(app, path.partition("?")[0]), path
    response = client.post(
        "/admin/sales/day-cards/report",
        data={"consultant": office_b["clerk_b"], "day": today, "reported_count": "3"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(DayReport.id)) is None


def test_a_clerk_prints_no_transfer_of_another_office(app, client, login_as, office_b):
    login_as("clerk")
    path = f"/admin/print/transfer/{office_b['transfer']}/"
    assert client.get(path).status_code == 404
    assert _not_found_logged(app, path)


def test_pages_name_only_the_offices_consultants(app, client, login_as, office_b):
    login_as("supervisor")
    for path in ("/admin/", "/admin/sales/day-cards/", "/admin/sales/followups/"):
        page = client.get(path).get_data(as_text=True)
        assert THEIRS not in page, path
    page = client.get(f"/admin/sales/day-cards/?consultant={office_b['clerk_a']}")
    assert "本部顾问" in page.get_data(as_text=True)


def test_the_other_offices_sample_is_not_shown(app, client, login_as, office_b):
    login_as("supervisor")
    page = client.get("/admin/spot-checks/").get_data(as_text=True)
    assert f"/admin/spot-checks/{office_b['check']}/" not in page
    assert 'id="draw-form"' in page
    # Drawing finds nothing of office A this week, and says so; B's sample stays as it was.
    drawn = client.post("/admin/spot-checks/draw", data={"size": "2", "unit": "cards"})
    assert drawn.status_code == 302
    with app.app_context():
        assert db.session.get(SpotCheck, office_b["check"]).sample_size == 1


def _join_office_b(app, user_id: int, office_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        user.offices.append(db.session.get(Office, office_id))
        db.session.commit()


def test_a_supervisor_of_two_offices_counts_each_and_reads_them_apart(
    app, client, login_as, office_b
):
    _join_office_b(app, login_as("supervisor"), office_b["office"])
    page = client.get("/admin/sales/weekly/").get_data(as_text=True)
    assert 'name="office"' in page and "城西办" in page
    saturday = week_ending(office_today()).isoformat()
    taken = client.post("/admin/sales/weekly/snapshot", data={"week": saturday, "office": "0"})
    assert taken.status_code == 302
    with app.app_context():
        offices = db.session.scalars(
            select(WeeklySnapshot.office_id).where(WeeklySnapshot.consultant_id.is_(None))
        ).all()
        assert len(offices) == 2 and office_b["office"] in offices
    page = client.get(f"/admin/sales/weekly/?week={saturday}").get_data(as_text=True)
    breakdown = page.split('id="week-offices"')[1].split("</table>")[0]
    assert "城西办" in breakdown and "本部" in breakdown
    assert THEIRS in page  # their own consultant in office B, named now


def test_a_supervisor_of_two_offices_draws_the_office_still_to_draw(
    app, client, login_as, office_b
):
    _join_office_b(app, login_as("supervisor"), office_b["office"])
    page = client.get("/admin/spot-checks/").get_data(as_text=True)
    assert f"/admin/spot-checks/{office_b['check']}/" in page  # B's draw is theirs now
    choices = page.split('name="office"')[1].split("</select>")[0]
    assert "本部" in choices and "城西办" not in choices  # B is drawn already
    again = client.post(
        "/admin/spot-checks/draw",
        data={"size": "2", "unit": "cards", "office": str(office_b["office"])},
        follow_redirects=True,
    )
    assert "本周样本已抽取" in again.get_data(as_text=True)


def test_the_admin_reads_every_offices_figures_office_by_office(app, client, login_as, office_b):
    saturday = week_ending(office_today())
    with app.app_context():
        office_a = db.session.scalar(select(Office.id).where(Office.name == "本部"))
        for office_id in (office_a, office_b["office"]):
            weekly_count.take_snapshot(db.session, None, saturday, office_id)
        db.session.commit()
    login_as("admin")
    page = client.get(f"/admin/sales/weekly/?week={saturday.isoformat()}").get_data(as_text=True)
    assert 'id="snapshot-form"' not in page  # the office's supervisor takes it
    breakdown = page.split('id="week-offices"')[1].split("</table>")[0]
    assert "城西办" in breakdown and "本部" in breakdown
    listing = client.get("/admin/spot-checks/").get_data(as_text=True)
    assert f"/admin/spot-checks/{office_b['check']}/" in listing
    assert 'id="draw-form"' not in listing
    sample = client.get(f"/admin/spot-checks/{office_b['check']}/").get_data(as_text=True)
    assert "城西办" in sample and 'name="result"' not in sample
    denied = client.post("/admin/spot-checks/draw", data={"size": "1", "unit": "cards"})
    assert denied.status_code == 403


def test_a_unit_of_another_office_is_neither_offered_nor_accepted(app, client, login_as, office_b):
    login_as("clerk")
    found = client.get("/admin/lease/ajax/lookup/?name=unit&query=西1栋")
    assert found.status_code == 200 and found.get_json() == []
    response = client.post(
        "/admin/lease/new/",
        data={
            "unit": str(office_b["unit"]),
            "tenant": str(office_b["tenant_a"]),
            "starts_on": office_today().isoformat(),
            "contract_seen": "y",
            "management_payer": "owner",
            "water_payer": "tenant",
            "electricity_payer": "tenant",
            "gas_payer": "tenant",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    with app.app_context():
        assert db.session.scalar(select(Lease.id)) is None
