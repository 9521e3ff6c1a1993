"""The archive desk's rules, tested on the service (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extensions import db
from models.admin.people import User
from models.archive.archive_desk import FileDestruction, LookupRequest
from models.archive.archives import ArchiveFile
from models.privacy.audit import AccessEvent
from services.archive import archive_desk as desk
from services.archive import archive_register
from tests.factories import PASSWORD, make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def people(app):
    with app.app_context():
        supervisor = make_user(db.session, "supervisor")
        ids = {
            "supervisor": supervisor.id,
            "supervisor2": make_user(db.session, "supervisor").id,
            "clerk": make_user(db.session, "clerk").id,
            "clerk2": make_user(db.session, "clerk").id,
            "custodian": make_user(db.session, "custodian").id,
            "custodian2": make_user(db.session, "custodian").id,
            "admin": make_user(db.session, "admin").id,
        }
        db.session.get(User, ids["clerk"]).superior_id = supervisor.id
        archive_file = ArchiveFile(code="DA-0100", title="张三 购房档案", room="一号档案室")
        db.session.add(archive_file)
        db.session.flush()
        ids["file"] = archive_file.id
        db.session.commit()
    return ids


def _user(people, key) -> User:
    return db.session.get(User, people[key])


def _request(app, people, mode="take_out", days=3, by="clerk") -> int:
    with app.app_context():
        lookup = desk.request_lookup(
            db.session,
            _user(people, by),
            file_id=people["file"],
            reason="核对产权资料",
            mode=mode,
            days=days,
        )
        db.session.commit()
        return lookup.id


def _step(app, fn, people, key, *args, **kwargs):
    """Run one service step as ``key`` and commit; on an error roll back and re-raise."""
    with app.app_context():
        try:
            result = fn(db.session, _user(people, key), *args, **kwargs)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise


def _state(app, people, request_id):
    with app.app_context():
        lookup = db.session.get(LookupRequest, request_id)
        return lookup.status, db.session.get(ArchiveFile, people["file"]).state


def _approved(app, people, **kwargs) -> int:
    request_id = _request(app, people, **kwargs)
    _step(app, desk.custodian_decide, people, "custodian", request_id, approve=True)
    return request_id


def test_happy_path_of_a_copy(app, people):
    request_id = _request(app, people, mode="copy", days=2)
    # the custodian cannot approve a copy before the superior
    with pytest.raises(desk.InvalidTransition):
        _step(app, desk.custodian_decide, people, "custodian", request_id, approve=True)
    _step(app, desk.superior_decide, people, "supervisor", request_id, approve=True)
    _step(app, desk.custodian_decide, people, "custodian", request_id, approve=True)
    _step(app, desk.hand_out, people, "custodian", request_id, today=date(2026, 3, 2))
    assert _state(app, people, request_id) == ("handed_out", "lent_out")
    _step(app, desk.take_back, people, "custodian2", request_id, condition="完好")
    assert _state(app, people, request_id) == ("returned", "in_room")
    with app.app_context():
        lookup = db.session.get(LookupRequest, request_id)
        assert lookup.superior_id == people["supervisor"] and lookup.superior_at
        assert lookup.decided_by_id == people["custodian"] and lookup.decided_at
        assert lookup.handed_to_id == people["clerk"] and lookup.handed_out_at
        assert lookup.due_on == date(2026, 3, 4)
        assert lookup.returned_to_id == people["custodian2"]
        assert lookup.return_condition == "完好"
        actions = db.session.scalars(
            select(AccessEvent.action)
            .where(AccessEvent.record_type == "lookup_request")
            .order_by(AccessEvent.seq)
        ).all()
        assert actions == [
            "lookup_request",
            "lookup_sup_approve",
            "lookup_approve",
            "lookup_hand_out",
            "lookup_take_back",
        ]


def test_a_request_needs_a_reason_and_a_known_mode(app, people):
    with app.app_context():
        clerk = _user(people, "clerk")
        with pytest.raises(desk.MissingReason):
            desk.request_lookup(db.session, clerk, file_id=people["file"], reason="  ", mode="copy")
        with pytest.raises(desk.InvalidInput):
            desk.request_lookup(db.session, clerk, file_id=people["file"], reason="r", mode="burn")
        with pytest.raises(desk.NotAllowed):
            desk.request_lookup(
                db.session,
                _user(people, "custodian"),
                file_id=people["file"],
                reason="r",
                mode="copy",
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(LookupRequest)) == 0


def test_nobody_approves_their_own_request_and_only_the_superior_approves(app, people):
    own = _request(app, people, mode="excerpt", by="supervisor")
    with pytest.raises(desk.OwnRequest):
        _step(app, desk.superior_decide, people, "supervisor", own, approve=True)
    request_id = _request(app, people, mode="copy")
    with pytest.raises(desk.NotTheSuperior):  # the clerk's superior is "supervisor"
        _step(app, desk.superior_decide, people, "supervisor2", request_id, approve=True)
    for role in ("custodian", "clerk2", "admin"):
        with pytest.raises(desk.NotAllowed):
            _step(app, desk.superior_decide, people, role, request_id, approve=True)
    assert _state(app, people, request_id) == ("requested", "in_room")
    # a clerk without a named superior: any supervisor but themselves
    other = _request(app, people, mode="copy", by="clerk2")
    _step(app, desk.superior_decide, people, "supervisor2", other, approve=True)
    assert _state(app, people, other)[0] == "approved_by_superior"


def test_only_custodians_decide_and_hand_out(app, people):
    request_id = _request(app, people)
    for role in ("clerk", "supervisor", "admin"):
        with pytest.raises(desk.NotAllowed):
            _step(app, desk.custodian_decide, people, role, request_id, approve=True)
    _step(app, desk.custodian_decide, people, "custodian", request_id, approve=True)
    for role in ("clerk", "supervisor", "admin"):
        with pytest.raises(desk.NotAllowed):
            _step(app, desk.hand_out, people, role, request_id)
    assert _state(app, people, request_id) == ("approved", "in_room")


def test_refusal_needs_a_reason_and_a_refused_request_cannot_be_handed_out(app, people):
    request_id = _request(app, people)
    with pytest.raises(desk.MissingReason):
        _step(app, desk.custodian_decide, people, "custodian", request_id, approve=False)
    assert _state(app, people, request_id) == ("requested", "in_room")
    _step(
        app,
        desk.custodian_decide,
        people,
        "custodian",
        request_id,
        approve=False,
        reason="理由不足",
    )
    for step in (desk.hand_out, desk.take_back):
        with pytest.raises(desk.InvalidTransition):
            _step(app, step, people, "custodian", request_id)
    with pytest.raises(desk.InvalidTransition):
        _step(app, desk.custodian_decide, people, "custodian", request_id, approve=True)
    assert _state(app, people, request_id) == ("refused", "in_room")


def test_an_expired_request_cannot_be_handed_out(app, people):
    request_id = _approved(app, people)
    with app.app_context():
        # decided "today"; still valid on the 5th working day, expired after it
        assert desk.expire_unclaimed(db.session, today=desk.office_today()) == 0
        assert desk.expire_unclaimed(db.session, today=date(2099, 1, 1)) == 1
        db.session.commit()
    with pytest.raises(desk.InvalidTransition):
        _step(app, desk.hand_out, people, "custodian", request_id)
    assert _state(app, people, request_id) == ("expired", "in_room")


def test_a_file_cannot_be_returned_twice_nor_lent_twice(app, people):
    first = _approved(app, people)
    second = _approved(app, people, by="clerk2")
    _step(app, desk.hand_out, people, "custodian", first)
    with pytest.raises(desk.FileNotAvailable):  # promised to, and now held by, someone else
        _step(app, desk.hand_out, people, "custodian", second)
    assert _state(app, people, second) == ("approved", "lent_out")
    _step(app, desk.take_back, people, "custodian", first)
    with pytest.raises(desk.InvalidTransition):
        _step(app, desk.take_back, people, "custodian", first)
    assert _state(app, people, first) == ("returned", "in_room")
    _step(app, desk.hand_out, people, "custodian", second)  # back in the room: now it can go


def test_destroyed_file_keeps_its_row_and_cannot_be_lent(app, people):
    request_id = _approved(app, people)
    with pytest.raises(desk.MissingReason):
        _step(app, desk.destroy, people, "custodian", people["file"], reason="", approved_by_id=1)
    _step(
        app,
        desk.destroy,
        people,
        "custodian",
        people["file"],
        reason="产权已转让，原业主档案销毁",
        approved_by_id=people["supervisor"],
        destroyed_on=date(2026, 5, 6),
    )
    with pytest.raises(desk.FileNotAvailable):
        _step(app, desk.hand_out, people, "custodian", request_id)
    with pytest.raises(desk.FileNotAvailable):
        _request(app, people)
    with app.app_context():
        assert db.session.get(ArchiveFile, people["file"]).state == "destroyed"
        record = db.session.scalars(select(FileDestruction)).one()
        assert (record.approved_by_id, record.recorded_by_id, record.destroyed_on) == (
            people["supervisor"],
            people["custodian"],
            date(2026, 5, 6),
        )


def test_due_date_skips_the_national_day_holidays_and_overdue_starts_the_day_after(app, people):
    request_id = _approved(app, people, days=3)
    _step(app, desk.hand_out, people, "custodian", request_id, today=date(2025, 9, 30))
    with app.app_context():
        lookup = db.session.get(LookupRequest, request_id)
        # 1-8 October 2025 off; Thursday 9, Friday 10, Saturday 11 (a swapped working day)
        assert lookup.due_on == date(2025, 10, 11)
        assert not lookup.is_overdue(date(2025, 10, 11))
        assert lookup.is_overdue(date(2025, 10, 12))
        custodian = db.session.get(User, people["custodian"])
        overdue = archive_register.overdue_count
        assert overdue(db.session, user=custodian, today=date(2025, 10, 11)) == 0
        assert overdue(db.session, user=custodian, today=date(2025, 10, 12)) == 1
        queues = archive_register.queues(db.session, user=custodian, today=date(2025, 10, 12))
        assert [r.id for r in queues["overdue"]] == [request_id] and not queues["out_now"]


def _race(app, actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        with app.app_context():
            session = Session(bind=db.engine)
            try:
                barrier.wait()
                action(session)
                session.commit()
                outcomes.append("ok")
            except desk.InvalidTransition:
                session.rollback()
                outcomes.append("refused")
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def _hand_out_as(people, key, request_id):
    def action(session):
        desk.hand_out(session, session.get(User, people[key]), request_id)

    return action


@pytest.mark.parametrize("round_", range(6))
def test_two_custodians_handing_out_the_same_request_at_once(app, people, round_):
    request_id = _approved(app, people)
    outcomes = _race(
        app,
        [
            _hand_out_as(people, "custodian", request_id),
            _hand_out_as(people, "custodian2", request_id),
        ],
    )
    assert sorted(outcomes) == ["ok", "refused"]
    assert _state(app, people, request_id) == ("handed_out", "lent_out")
    with app.app_context():
        events = db.session.scalar(
            select(func.count())
            .select_from(AccessEvent)
            .where(AccessEvent.action == "lookup_hand_out")
        )
        assert events == 1


@pytest.mark.parametrize("round_", range(6))
def test_two_custodians_handing_the_same_file_to_two_people_at_once(app, people, round_):
    first = _approved(app, people)
    second = _approved(app, people, by="clerk2")
    outcomes = _race(
        app,
        [_hand_out_as(people, "custodian", first), _hand_out_as(people, "custodian2", second)],
    )
    assert sorted(outcomes) == ["ok", "refused"]
    with app.app_context():
        statuses = sorted(
            db.session.scalars(select(LookupRequest.status).order_by(LookupRequest.id)).all()
        )
        assert statuses == ["approved", "handed_out"]
        assert db.session.get(ArchiveFile, people["file"]).state == "lent_out"


def test_the_expiry_command_expires_old_unclaimed_lookups_once(app, people):
    request_id = _approved(app, people)
    with app.app_context():
        db.session.get(LookupRequest, request_id).decided_at = datetime(2020, 1, 2, 3, 0)
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["archive", "expire-unclaimed"])
    assert first.exit_code == 0 and "1 unclaimed" in first.output, first.output
    again = runner.invoke(args=["archive", "expire-unclaimed"])
    assert again.exit_code == 0 and "0 unclaimed" in again.output, again.output
    assert _state(app, people, request_id) == ("expired", "in_room")


def test_custodians_see_overdue_files_in_the_navbar_and_clerks_do_not(app, people, client):
    request_id = _approved(app, people, days=3)
    _step(app, desk.hand_out, people, "custodian", request_id, today=date(2025, 9, 30))
    with app.app_context():
        custodian = db.session.get(User, people["custodian"]).username
        clerk = db.session.get(User, people["clerk"]).username
    client.post("/login", data={"username": custodian, "password": PASSWORD})
    page = client.get("/admin/").get_data(as_text=True)
    assert 'id="overdue-badge"' in page
    assert '<span class="badge badge-danger">1</span>' in page
    client.post("/logout")
    signed_in = client.post("/login", data={"username": clerk, "password": PASSWORD})
    assert signed_in.status_code == 302  # the clerk is signed in...
    home = client.get("/admin/")
    assert home.status_code == 200  # ...and sees the home page, without the badge
    assert 'id="overdue-badge"' not in home.get_data(as_text=True)
