"""Sales pages through the test client: follow-ups, not contacted, the day's cards, the
weekly count with its chart and snapshot button, dealer deadlines and identity checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer
from models.privacy.audit import AccessEvent
from models.sales.sales import DayReport, IdentityCheck, WeeklySnapshot
from services.sales.followups import office_today
from tests.factories import make_prospect, make_user, make_visit, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

PAGES = {
    "/admin/sales/followups/": {"clerk", "supervisor"},
    "/admin/sales/followups/not-contacted/": {"clerk", "supervisor"},
    "/admin/sales/day-cards/": {"supervisor"},
    "/admin/sales/weekly/": {"supervisor", "admin"},
    "/admin/sales/dealer-deadlines/": {"region_manager", "supervisor"},
}


@pytest.mark.parametrize("role", ["clerk", "supervisor", "region_manager", "custodian", "admin"])
def test_each_page_opens_for_its_roles_only(client, login_as, role):
    login_as(role)
    for url, roles in PAGES.items():
        status = client.get(url).status_code
        assert status == (200 if role in roles else 403), (role, url, status)


def test_my_followups_and_the_team_view(app, client, login_as):
    today = office_today()
    clerk_id = login_as("clerk", full_name="李顾问")
    with app.app_context():
        other = make_user(db.session, "clerk", full_name="张顾问")
        due = make_prospect(
            db.session,
            name="到期客户",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=4),
        )
        make_visit(db.session, due, visited_on=due.first_visit_on, consultant_id=clerk_id)
        late = make_prospect(
            db.session,
            name="逾期客户",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=6),
        )
        soon = make_prospect(
            db.session,
            name="将到客户",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=1),
        )
        later = make_prospect(
            db.session,
            name="预约客户",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=20),
        )
        make_visit(db.session, later, visited_on=later.first_visit_on)
        make_visit(
            db.session,
            later,
            visited_on=today - timedelta(days=2),
            next_appointment_on=today + timedelta(days=10),
            next_appointment_pretext="带家人看房",
        )
        make_prospect(
            db.session,
            name="别人的客户",
            consultant_id=other.id,
            first_visit_on=today - timedelta(days=4),
        )
        db.session.commit()
        ids = (due.id, late.id, soon.id)
    page = client.get("/admin/sales/followups/").get_data(as_text=True)
    due_table = page.split('id="followups-due"')[1].split("</table>")[0]
    late_table = page.split('id="followups-overdue"')[1].split("</table>")[0]
    soon_table = page.split('id="followups-soon"')[1].split("</table>")[0]
    assert "到期客户" in due_table and "逾期客户" in late_table and "将到客户" in soon_table
    assert "带家人看房" in page.split('id="next-appointments"')[1]
    assert "别人的客户" not in page
    with app.app_context():
        logged = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "list").order_by(AccessEvent.seq.desc())
        ).first()
        assert set(ids) <= {int(i) for i in logged.record_ids.split(",")}

    client.post("/logout")
    login_as("supervisor")
    page = client.get("/admin/sales/followups/").get_data(as_text=True)
    assert "别人的客户" in page and "到期客户" in page and "张顾问" in page
    page = client.get(f"/admin/sales/followups/?consultant={clerk_id}").get_data(as_text=True)
    assert "别人的客户" not in page and "到期客户" in page


def test_not_contacted_list(app, client, login_as):
    today = office_today()
    clerk_id = login_as("clerk")
    with app.app_context():
        make_prospect(
            db.session,
            name="久未联系",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=90),
            last_contact_on=today - timedelta(days=45),
        )
        make_prospect(
            db.session,
            name="刚联系过",
            consultant_id=clerk_id,
            first_visit_on=today - timedelta(days=90),
            last_contact_on=today,
        )
        db.session.commit()
    page = client.get("/admin/sales/followups/not-contacted/").get_data(as_text=True)
    table = page.split('id="not-contacted"')[1]
    assert "久未联系" in table and "刚联系过" not in table and ">45<" in table


def test_day_cards_and_the_reported_count(app, client, login_as):
    day = date(2026, 3, 12)
    login_as("supervisor")
    with app.app_context():
        clerk = make_user(db.session, "clerk", full_name="李顾问")
        for n in range(3):
            card = make_prospect(
                db.session, name=f"当日客户{n}", consultant=clerk, first_visit_on=day
            )
            make_visit(db.session, card, visited_on=day, consultant_id=clerk.id)
        other_day = make_prospect(db.session, name="前一天", consultant=clerk)
        make_visit(
            db.session, other_day, visited_on=day - timedelta(days=1), consultant_id=clerk.id
        )
        db.session.commit()
        clerk_id = clerk.id
    url = f"/admin/sales/day-cards/?consultant={clerk_id}&day={day.isoformat()}"
    page = client.get(url).get_data(as_text=True)
    assert page.count("当日客户") == 3 and "前一天" not in page
    assert '<td class="entered">3</td>' in page
    response = client.post(
        "/admin/sales/day-cards/report",
        data={"consultant": str(clerk_id), "day": day.isoformat(), "reported_count": "5"},
    )
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert '<td class="reported">5</td>' in page
    assert ">2</td>" in page.split('class="difference')[1]
    client.post(
        "/admin/sales/day-cards/report",
        data={"consultant": str(clerk_id), "day": day.isoformat(), "reported_count": "3"},
    )
    with app.app_context():
        rows = db.session.scalars(select(DayReport)).all()
        assert [(r.consultant_id, r.day, r.reported_count) for r in rows] == [(clerk_id, day, 3)]
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AccessEvent)
                .where(AccessEvent.action == "day_report")
            )
            == 2
        )
    bad = client.post(
        "/admin/sales/day-cards/report",
        data={"consultant": str(clerk_id), "day": day.isoformat(), "reported_count": "-1"},
    )
    assert bad.status_code == 400


def test_weekly_snapshot_button_and_chart(app, client, login_as):
    login_as("supervisor")
    with app.app_context():
        clerk = make_user(db.session, "clerk", full_name="李顾问")
        for grade in ("B", "B", "C", "D"):
            make_prospect(
                db.session, consultant=clerk, grade=grade, first_visit_on=date(2026, 3, 2)
            )
        make_prospect(
            db.session, consultant=clerk, grade="B", is_scout=True, first_visit_on=date(2026, 3, 2)
        )
        db.session.commit()
    page = client.get("/admin/sales/weekly/").get_data(as_text=True)
    assert "<svg" not in page
    response = client.post("/admin/sales/weekly/snapshot", data={"week": "2026-03-14"})
    assert response.status_code == 302
    client.post("/admin/sales/weekly/snapshot", data={"week": "2026-03-21"})
    refused = client.post("/admin/sales/weekly/snapshot", data={"week": "2026-03-20"})
    assert refused.status_code == 302
    page = client.get("/admin/sales/weekly/").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="weekly-chart"' in page
    assert page.count("<polyline") == 2
    numbers = page.split('id="weekly-numbers"')[1].split("</table>")[0]
    assert "2026-03-14</a></td><td>2</td><td>1</td>" in numbers
    assert "2026-03-21</a></td><td>2</td><td>1</td>" in numbers
    detail = page.split('id="week-detail"')[1].split("</table>")[0]
    assert "李顾问" in detail
    with app.app_context():
        weeks = db.session.scalars(select(WeeklySnapshot.week_ending).distinct()).all()
        assert sorted(weeks) == [date(2026, 3, 14), date(2026, 3, 21)]


def test_weekly_snapshot_cli(app):
    with app.app_context():
        make_prospect(db.session, grade="C", first_visit_on=date(2026, 3, 2))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["weekly-snapshot", "--date", "2026-03-18"])
    assert result.exit_code == 0, result.output
    assert "2026-03-14 本部: B 0, C 1 (saved)" in result.output
    again = runner.invoke(args=["weekly-snapshot", "--date", "2026-03-14"])
    assert "already counted" in again.output


def test_dealer_deadlines_page_is_region_scoped(app, client, login_as):
    with app.app_context():
        south = ref_item(db.session, "region", "south")
        north = ref_item(db.session, "region", "north")
        db.session.add_all(
            [
                Dealer(
                    name="南方经销商",
                    region_id=south.id,
                    status="signed",
                    contract_signed_on=date(2026, 9, 30),
                ),
                Dealer(
                    name="北方经销商",
                    region_id=north.id,
                    status="signed",
                    contract_signed_on=date(2099, 1, 2),
                ),
            ]
        )
        db.session.commit()
        south_id = south.id
    login_as("region_manager", region_id=south_id)
    page = client.get("/admin/sales/dealer-deadlines/").get_data(as_text=True)
    assert "南方经销商" in page and "2026-10-09" in page
    assert "北方经销商" not in page and 'id="uncertain-warning"' not in page
    client.post("/logout")
    login_as("supervisor")
    page = client.get("/admin/sales/dealer-deadlines/").get_data(as_text=True)
    assert "南方经销商" in page and "北方经销商" in page and 'id="uncertain-warning"' in page


def test_identity_check_is_recorded_with_who_and_when(app, client, login_as):
    clerk_id = login_as("clerk", full_name="李顾问")
    with app.app_context():
        prospect_id = make_prospect(db.session, name="待核身份").id
        db.session.commit()
    page = client.get(f"/admin/sales/identity/?prospect={prospect_id}").get_data(as_text=True)
    assert "待核身份" in page
    response = client.post(
        "/admin/sales/identity/record",
        data={"prospect": str(prospect_id), "method": "phone_callback", "note": "回拨确认"},
    )
    assert response.status_code == 302
    page = client.get(f"/admin/sales/identity/?prospect={prospect_id}").get_data(as_text=True)
    # The signed-in clerk's name is in the navbar too: look in the table of checks only.
    checks = page.split('id="identity-checks"')[1].split("</table>")[0]
    assert "回拨确认" in checks and "李顾问" in checks
    with app.app_context():
        check = db.session.scalars(select(IdentityCheck)).one()
        assert (check.checked_by_id, check.method) == (clerk_id, "phone_callback")
        assert check.checked_at is not None
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AccessEvent)
                .where(AccessEvent.action == "identity_check", AccessEvent.record_id == prospect_id)
            )
            == 1
        )
    assert (
        client.post(
            "/admin/sales/identity/record", data={"prospect": str(prospect_id), "method": "guess"}
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/admin/sales/identity/record", data={"prospect": "99999", "method": "on_site"}
        ).status_code
        == 404
    )
    assert client.get("/admin/sales/identity/?prospect=99999").status_code == 404
