"""The retention review through the pages: every kind with its period, cut-off and count; a
batch asked by one supervisor or admin and run only when another approves; the admin sets
the periods (bounded, with a reason, recorded); other roles are refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import RetentionBatch
from models.property.property import Owner, Ownership, Unit
from models.sales.prospects import Prospect
from services.privacy import audit, retention_periods
from tests.factories import make_prospect, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

TODAY = date(2026, 11, 25)
OLD = TODAY - timedelta(days=4 * 365)


def _batch(app) -> RetentionBatch:
    with app.app_context():
        batch = db.session.scalars(select(RetentionBatch)).one()
        db.session.expunge(batch)
        return batch


def test_the_page_lists_every_kind_with_its_period_cutoff_and_count(app, client, login_as):
    with app.app_context():
        make_prospect(db.session, first_visit_on=OLD, last_contact_on=OLD)
        db.session.commit()
    login_as("supervisor")
    page = client.get("/admin/retention/").get_data(as_text=True)
    for code in retention_periods.KINDS:
        assert f'data-kind="{code}"' in page
    assert "早于 2023-11-26" in page  # welcome cards: 3 years before today
    assert "早于 2024-11-25" in page  # dealers and observation notes: 2 years
    assert '<td id="retention-count-prospect"><strong>1</strong></td>' in page
    assert '<td id="retention-count-owner"><strong>0</strong></td>' in page
    assert 'id="ask-prospect"' in page and 'id="ask-owner"' not in page
    assert 'id="edit-periods"' not in page  # the admin's


def test_retention_anonymises_old_cards_only_after_another_approves(app, client, login_as):
    with app.app_context():
        stale = make_prospect(
            db.session, name="久未联系", first_visit_on=OLD, last_contact_on=OLD
        ).id
        fresh = make_prospect(db.session, name="近期客户").id
        signed = make_prospect(
            db.session, name="已成交", progress="signed", first_visit_on=OLD, last_contact_on=OLD
        ).id
        db.session.commit()
    asker_id = login_as("supervisor", username="ret_a")
    client.post("/admin/retention/request/", data={"kind": "prospect"})
    batch = _batch(app)
    assert batch.requested_by_id == asker_id and batch.status == "pending"
    assert batch.record_type == "prospect" and batch.expected == 1
    page = client.get("/admin/retention/").get_data(as_text=True)
    assert "另一位主管或管理员批准您提出的申请" in page  # no buttons for the asker
    # The asker cannot approve their own batch, even by posting.
    client.post(f"/admin/retention/decide/{batch.id}/", data={"decision": "approve"})
    assert _batch(app).status == "pending"

    client.post("/logout")
    login_as("admin", username="ret_b")
    client.post(f"/admin/retention/decide/{batch.id}/", data={"decision": "approve"})
    with app.app_context():
        assert db.session.get(RetentionBatch, batch.id).status == "done"
        names = {pid: db.session.get(Prospect, pid).name for pid in (stale, fresh, signed)}
        assert names == {stale: "已匿名", fresh: "近期客户", signed: "已成交"}
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "retention_anonymise")
        ).one()
        assert event.record_ids == str(stale)
    history = client.get("/admin/retention/").get_data(as_text=True)
    assert "已执行" in history and "测试ret_b" in history


def test_past_owners_are_anonymised_through_the_pages(app, client, login_as):
    with app.app_context():
        owner = Owner(name="前业主", mobile="13912345678")
        unit = Unit(project=ref_item(db.session, "project", "p1"), building="1栋", room="101")
        db.session.add(Ownership(unit=unit, owner=owner, started_on=OLD, ended_on=OLD))
        current = Owner(name="现业主")
        db.session.add(Ownership(unit=unit, owner=current, started_on=OLD))
        db.session.commit()
        owner_id, current_id = owner.id, current.id
    login_as("admin", username="ret_admin")
    client.post("/admin/retention/request/", data={"kind": "owner"})
    batch = _batch(app)
    client.post("/logout")
    login_as("supervisor", username="ret_sup")
    response = client.post(f"/admin/retention/decide/{batch.id}/", data={"decision": "approve"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Owner, owner_id).name == "已匿名"
        assert db.session.get(Owner, owner_id).mobile is None
        assert db.session.get(Owner, current_id).name == "现业主"
        assert db.session.get(RetentionBatch, batch.id).anonymised == 1


def test_old_access_log_events_are_purged_and_the_purge_is_logged(
    app, client, login_as, monkeypatch
):
    with app.app_context():
        monkeypatch.setattr(audit, "utcnow", lambda: datetime(2022, 5, 1, 8, 0))
        for _ in range(4):
            audit.record(db.session, audit.SYSTEM, "details", record_type="prospect", record_id=9)
        db.session.commit()
        monkeypatch.undo()
    login_as("supervisor", username="log_a")
    page = client.get("/admin/retention/").get_data(as_text=True)
    assert '<td id="retention-count-access_log"><strong>4</strong></td>' in page
    client.post("/admin/retention/request/", data={"kind": "access_log"})
    batch = _batch(app)
    assert batch.expected == 4
    client.post("/logout")
    login_as("supervisor", username="log_b")
    response = client.post(
        f"/admin/retention/decide/{batch.id}/", data={"decision": "approve"}, follow_redirects=True
    )
    assert "已完成：4 条记录。" in response.get_data(as_text=True)
    with app.app_context():
        assert not db.session.scalar(
            select(AccessEvent.id).where(AccessEvent.at < datetime(2023, 1, 1))
        )
        purge = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == audit.PURGE_ACTION)
        ).one()
        assert purge.username == "log_b" and "4 events before 2023-11-26" in purge.path
        assert audit.verify(db.session).ok


def test_a_rejected_batch_changes_nothing(app, client, login_as):
    with app.app_context():
        card = make_prospect(db.session, first_visit_on=OLD, last_contact_on=OLD).id
        db.session.commit()
    login_as("supervisor")
    client.post("/admin/retention/request/", data={"kind": "prospect"})
    batch = _batch(app)
    client.post("/logout")
    login_as("admin")
    client.post(f"/admin/retention/decide/{batch.id}/", data={"decision": "reject"})
    assert _batch(app).status == "rejected"
    with app.app_context():
        assert db.session.get(Prospect, card).name != "已匿名"


def test_the_admin_changes_a_period_with_a_reason(app, client, login_as):
    login_as("admin", username="ret_periods")
    form = client.get("/admin/retention/periods/").get_data(as_text=True)
    assert 'name="owner"' in form and 'value="1095"' in form
    seen = {f"seen_{code}": str(k.default_days) for code, k in retention_periods.KINDS.items()}
    days = {code: str(k.default_days) for code, k in retention_periods.KINDS.items()}

    # Out of bounds: refused, the page keeps what was typed.
    response = client.post(
        "/admin/retention/periods/",
        data={**seen, **days, "access_log": "90", "reason": "试试"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="90"' in body and "180" in body
    # No reason: refused.
    response = client.post(
        "/admin/retention/periods/", data={**seen, **days, "owner": "1825", "reason": ""}
    )
    assert "请写明修改保存期限的原因" in response.get_data(as_text=True)
    with app.app_context():
        assert retention_periods.periods(db.session)["owner"] == 1095

    response = client.post(
        "/admin/retention/periods/",
        data={**seen, **days, "owner": "1825", "reason": "法律顾问建议延长"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert retention_periods.periods(db.session)["owner"] == 1825
    page = client.get("/admin/retention/").get_data(as_text=True)
    assert "1095 → 1825 天" in page and "法律顾问建议延长" in page
    assert "1825 天（5 年）" in page


@pytest.mark.parametrize("role", ["clerk", "custodian", "region_manager"])
def test_other_roles_are_refused(client, login_as, role):
    login_as(role)
    assert client.get("/admin/retention/").status_code == 403
    assert client.post("/admin/retention/request/", data={"kind": "prospect"}).status_code == 403
    assert client.get("/admin/retention/periods/").status_code == 403


def test_a_supervisor_may_not_set_the_periods(client, login_as):
    login_as("supervisor")
    assert client.get("/admin/retention/periods/").status_code == 403
    assert client.post("/admin/retention/periods/", data={"owner": "400"}).status_code == 403
