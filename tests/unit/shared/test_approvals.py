"""The approval rules, tested on the service without a browser (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from extensions import db
from models.admin.people import User
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest, PendingField, RecordHistory
from services.shared import approvals
from services.shared.approval_policy import gated_fields, is_downgrade
from tests.factories import make_prospect, make_user


def _change(old, new, label_old=None, label_new=None):
    return {"old": old, "new": new, "old_label": label_old or old, "new_label": label_new or new}


@pytest.fixture
def people(app):
    with app.app_context():
        ids = {
            "clerk": make_user(db.session, "clerk").id,
            "supervisor": make_user(db.session, "supervisor").id,
            "supervisor2": make_user(db.session, "supervisor").id,
            "admin": make_user(db.session, "admin").id,
            "custodian": make_user(db.session, "custodian").id,
        }
        ids["prospect"] = make_prospect(db.session, name="王五", mobile="13800000001", grade="B").id
        db.session.commit()
    return ids


def _file(app, people, field="mobile", new="13900000002", by="clerk") -> int:
    with app.app_context():
        user = db.session.get(User, people[by])
        prospect = db.session.get(Prospect, people["prospect"])
        request = approvals.file_update(
            db.session,
            user=user,
            record_type="prospect",
            record=prospect,
            changes={field: _change(getattr(prospect, field), new)},
            reason="客户来电更正号码",
        )
        db.session.commit()
        return request.id


def test_policy_downgrades_are_gated_even_for_supervisors():
    assert is_downgrade("B", "C") and is_downgrade("A", "D") and not is_downgrade("C", "B")
    assert not is_downgrade(None, "C")
    assert gated_fields("prospect", "supervisor", {"grade": ("B", "C")}) == {"grade"}
    assert gated_fields("prospect", "supervisor", {"grade": ("C", "B")}) == set()
    assert gated_fields("prospect", "supervisor", {"is_scout": (False, True)}) == {"is_scout"}
    assert gated_fields("prospect", "clerk", {"mobile": ("1", "2"), "grade": ("C", "B")}) == {
        "mobile",
        "grade",
    }
    assert gated_fields("unit", "clerk", {"room": ("1", "2")}) == set()


def test_filing_needs_a_reason_and_remembers_the_version(app, people):
    with app.app_context():
        user = db.session.get(User, people["clerk"])
        prospect = db.session.get(Prospect, people["prospect"])
        with pytest.raises(approvals.MissingReason):
            approvals.file_update(
                db.session,
                user=user,
                record_type="prospect",
                record=prospect,
                changes={"mobile": _change("1", "2")},
                reason="  ",
            )
        db.session.rollback()
    request_id = _file(app, people)
    with app.app_context():
        request = db.session.get(ChangeRequest, request_id)
        assert request.status == "pending"
        assert request.record_version == 1
        assert request.changes["mobile"]["new"] == "13900000002"
        assert db.session.get(Prospect, people["prospect"]).mobile == "13800000001"


def test_second_request_for_the_same_field_points_to_the_first(app, people):
    first = _file(app, people)
    with pytest.raises(approvals.DuplicatePending) as caught:
        _file(app, people, new="13700000003")
    assert caught.value.request_id == first
    _file(app, people, field="name", new="王六")  # another field is fine


def test_approval_applies_the_change_and_writes_history(app, people):
    request_id = _file(app, people)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"])
        decision = approvals.approve(db.session, user=supervisor, request_id=request_id)
        db.session.commit()
        assert decision.status == "approved"
        prospect = db.session.get(Prospect, people["prospect"])
        assert prospect.mobile == "13900000002"
        assert prospect.version == 2
        events = [
            h.event for h in approvals.history_for_record(db.session, "prospect", prospect.id)
        ]
        assert events == ["requested", "approved"]
        assert db.session.scalars(select(PendingField)).all() == []


def test_requester_can_never_decide_their_own_request(app, people):
    request_id = _file(app, people, by="admin")
    with app.app_context():
        admin = db.session.get(User, people["admin"])
        with pytest.raises(approvals.SelfDecision):
            approvals.approve(db.session, user=admin, request_id=request_id)
        db.session.commit()  # the refusal is recorded
        with pytest.raises(approvals.SelfDecision):
            approvals.reject(db.session, user=admin, request_id=request_id, comment="no")
        db.session.commit()
        assert db.session.get(ChangeRequest, request_id).status == "pending"
        refused = db.session.scalars(
            select(RecordHistory).where(RecordHistory.event == "refused")
        ).all()
        assert len(refused) == 2


def test_only_approver_roles_decide(app, people):
    request_id = _file(app, people)
    with app.app_context():
        custodian = db.session.get(User, people["custodian"])
        with pytest.raises(approvals.NotAnApprover):
            approvals.approve(db.session, user=custodian, request_id=request_id)


def test_rejection_needs_a_comment_and_leaves_the_record(app, people):
    request_id = _file(app, people)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"])
        with pytest.raises(approvals.MissingComment):
            approvals.reject(db.session, user=supervisor, request_id=request_id, comment="")
        approvals.reject(db.session, user=supervisor, request_id=request_id, comment="号码无误")
        db.session.commit()
        assert db.session.get(ChangeRequest, request_id).status == "rejected"
        assert db.session.get(Prospect, people["prospect"]).mobile == "13800000001"
    _file(app, people)  # the field is free again


def test_a_request_whose_record_changed_is_stale(app, people):
    request_id = _file(app, people)
    with app.app_context():
        db.session.get(Prospect, people["prospect"]).notes = "supervisor edited meanwhile"
        db.session.commit()
        supervisor = db.session.get(User, people["supervisor"])
        decision = approvals.approve(db.session, user=supervisor, request_id=request_id)
        db.session.commit()
        assert decision.status == "stale"
        assert db.session.get(ChangeRequest, request_id).status == "stale"
        assert db.session.get(Prospect, people["prospect"]).mobile == "13800000001"


def test_deciding_twice_is_refused(app, people):
    request_id = _file(app, people)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"])
        approvals.approve(db.session, user=supervisor, request_id=request_id)
        db.session.commit()
        with pytest.raises(approvals.AlreadyDecided):
            approvals.reject(db.session, user=supervisor, request_id=request_id, comment="late")


def test_an_error_while_applying_rolls_everything_back(app, people, monkeypatch):
    request_id = _file(app, people)

    def broken(model, column, value):
        raise RuntimeError("disk full")

    monkeypatch.setattr(approvals, "from_json", broken)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"])
        with pytest.raises(RuntimeError, match="disk full"):
            approvals.approve(db.session, user=supervisor, request_id=request_id)
        db.session.rollback()
        assert db.session.get(ChangeRequest, request_id).status == "pending"
        assert db.session.get(Prospect, people["prospect"]).mobile == "13800000001"
        events = [
            h.event
            for h in approvals.history_for_record(db.session, "prospect", people["prospect"])
        ]
        assert events == ["requested"]


def test_deletion_request(app, people):
    with app.app_context():
        clerk = db.session.get(User, people["clerk"])
        prospect = db.session.get(Prospect, people["prospect"])
        request = approvals.file_delete(
            db.session, user=clerk, record_type="prospect", record=prospect, reason="重复录入"
        )
        db.session.commit()
        with pytest.raises(approvals.DuplicatePending):
            approvals.file_delete(
                db.session, user=clerk, record_type="prospect", record=prospect, reason="again"
            )
        db.session.rollback()
        supervisor = db.session.get(User, people["supervisor"])
        approvals.approve(db.session, user=supervisor, request_id=request.id)
        db.session.commit()
        assert db.session.get(Prospect, people["prospect"]) is None


def _race(app, request_id, actions):
    """Run each action(session) in its own thread and connection at the same moment."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        with app.app_context():
            session = Session(bind=db.engine)
            try:
                barrier.wait()
                outcomes.append(action(session))
                session.commit()
            except approvals.AlreadyDecided:
                session.rollback()
                outcomes.append("already_decided")
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("round_", range(8))
def test_two_approvers_at_once_exactly_one_wins(app, people, round_):
    request_id = _file(app, people, new=f"1390000{round_:04d}")

    def approve_as(key):
        def action(session):
            user = session.get(User, people[key])
            return approvals.approve(session, user=user, request_id=request_id).status

        return action

    outcomes = _race(app, request_id, [approve_as("supervisor"), approve_as("supervisor2")])
    assert sorted(outcomes) == ["already_decided", "approved"]
    with app.app_context():
        prospect = db.session.get(Prospect, people["prospect"])
        assert prospect.version == 2  # applied once
        applied = db.session.scalars(
            select(RecordHistory).where(RecordHistory.event == "approved")
        ).all()
        assert len(applied) == 1


@pytest.mark.parametrize("round_", range(8))
def test_approve_racing_reject_has_one_final_state(app, people, round_):
    request_id = _file(app, people, new=f"1370000{round_:04d}")

    def do_approve(session):
        user = session.get(User, people["supervisor"])
        return approvals.approve(session, user=user, request_id=request_id).status

    def do_reject(session):
        user = session.get(User, people["supervisor2"])
        return approvals.reject(session, user=user, request_id=request_id, comment="不同意").status

    outcomes = _race(app, request_id, [do_approve, do_reject])
    assert "already_decided" in outcomes and len(outcomes) == 2
    with app.app_context():
        final = db.session.get(ChangeRequest, request_id).status
        assert final in ("approved", "rejected")
        assert [o for o in outcomes if o != "already_decided"] == [final]
        mobile = db.session.get(Prospect, people["prospect"]).mobile
        assert (mobile == f"1370000{round_:04d}") == (final == "approved")
