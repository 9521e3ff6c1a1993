"""The new owner's move-in checklist at the transfer desk: tick, finish, then read-only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.people import User
from models.privacy.audit import AccessEvent
from models.property.moves import MoveIn
from services.property import move_ins
from tests.factories import make_user
from tests.unit.property.test_transfers_service import make_unit_with_owner


def _open_move_in(app) -> int:
    with app.app_context():
        unit, owner = make_unit_with_owner(db.session)
        clerk = make_user(db.session, "clerk")
        record = MoveIn(
            unit_id=unit.id,
            owner_id=owner.id,
            moved_in_on=date(2026, 3, 2),
            created_by_id=clerk.id,
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def _state(app, move_in_id):
    with app.app_context():
        record = db.session.get(MoveIn, move_in_id)
        return record.form_done, record.cards_issued, record.status


def test_clerk_ticks_the_checklist_and_finishes_the_move_in(app, client, login_as):
    move_in_id = _open_move_in(app)
    login_as("clerk")
    desk = client.get("/admin/transfer-desk/").get_data(as_text=True)
    assert f"/admin/transfer-desk/move-in/{move_in_id}/" in desk
    base = f"/admin/transfer-desk/move-in/{move_in_id}"
    assert client.get(base + "/").status_code == 200

    client.post(base + "/items/form_done", data={"value": "1"})
    assert _state(app, move_in_id) == (True, False, "open")
    # finishing with an item left is refused with a message, nothing changes
    page = client.post(base + "/finish", follow_redirects=True).get_data(as_text=True)
    assert "Tick every item" in page or "勾选" in page
    assert _state(app, move_in_id) == (True, False, "open")

    client.post(base + "/items/cards_issued", data={"value": "1"})
    client.post(base + "/finish")
    assert _state(app, move_in_id) == (True, True, "done")
    # a finished move-in no longer changes
    page = client.post(
        base + "/items/form_done", data={"value": "0"}, follow_redirects=True
    ).get_data(as_text=True)
    assert _state(app, move_in_id) == (True, True, "done")
    assert 'id="finish-move-in"' not in page
    assert client.post(base + "/items/unknown", data={"value": "1"}).status_code == 404

    with app.app_context():
        actions = db.session.scalars(
            select(AccessEvent.action)
            .where(AccessEvent.record_type == "move_in", AccessEvent.record_id == move_in_id)
            .order_by(AccessEvent.seq)
        ).all()
    assert actions.count("move_in_tick") == 2 and actions[-1] in ("move_in_done", "details")
    assert "move_in_done" in actions


def test_a_finished_move_in_cannot_be_finished_or_changed_again(app):
    move_in_id = _open_move_in(app)
    with app.app_context():
        user = db.session.scalars(select(User)).first()
        record = db.session.get(MoveIn, move_in_id)
        move_ins.set_item(db.session, user, record, "form_done", True)
        move_ins.set_item(db.session, user, record, "cards_issued", True)
        move_ins.finish(db.session, user, record)
        with pytest.raises(move_ins.Finished):
            move_ins.finish(db.session, user, record)
        with pytest.raises(move_ins.Finished):
            move_ins.set_item(db.session, user, record, "form_done", False)
        db.session.commit()
    assert _state(app, move_in_id) == (True, True, "done")


def test_custodian_cannot_open_the_checklist(app, client, login_as):
    move_in_id = _open_move_in(app)
    login_as("custodian")
    assert client.get(f"/admin/transfer-desk/move-in/{move_in_id}/").status_code == 403
