"""The retention review's candidates per kind, at the boundary of a fixed cut-off, and what a
run does: persons anonymised, observation notes cleared, the access log's oldest events
deleted with the chain still verifiable; the admin's periods, bounded and logged."""

from __future__ import annotations

import itertools
import runpy
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models.dealers.dealers import Dealer, DealerVisit, PotentialDealerFile
from models.privacy.audit import AccessEvent
from models.privacy.privacy import RETENTION_KINDS, RetentionBatch
from models.property.property import (
    Lease,
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Tenant,
    Unit,
)
from models.property.transfers import Transfer
from models.sales.prospects import Prospect, Visit
from models.shared.approvals import RecordHistory
from services.privacy import audit, retention, retention_periods
from tests.factories import make_prospect, make_user, make_visit, ref_item

# Fixed dates below were written for this instant (tests/conftest.py WRITTEN_AT).
pytestmark = pytest.mark.instant()

CUTOFF = date(2023, 11, 26)
#: The last day that is past the period, and the first that is not.
BEFORE, ON = CUTOFF - timedelta(days=1), CUTOFF
LONG_AGO = date(2019, 3, 1)
_n = itertools.count(1)


def _candidates(kind: str) -> set[int]:
    # Every office (None): the office rule has its own tests (tests/web/privacy).
    return set(db.session.scalars(retention.candidates(kind, CUTOFF, None)))


def _unit() -> Unit:
    unit = Unit(project=ref_item(db.session, "project", "p1"), building="1栋", room=f"{next(_n)}")
    db.session.add(unit)
    return unit


def _owner(*ended: date | None, **kw) -> Owner:
    """An owner with one ownership per given end (None: still owned)."""
    owner = Owner(name=kw.pop("name", f"业主{next(_n)}"), mobile=f"139{next(_n):08d}", **kw)
    db.session.add(owner)
    for end in ended:
        db.session.add(Ownership(unit=_unit(), owner=owner, started_on=LONG_AGO, ended_on=end))
    db.session.flush()
    return owner


def _tenant(*leases: tuple[str, date | None], **kw) -> Tenant:
    """A tenant with one lease per (status, move-out day)."""
    tenant = Tenant(name=kw.pop("name", f"租户{next(_n)}"), mobile=f"137{next(_n):08d}", **kw)
    db.session.add(tenant)
    for status, moved_out in leases:
        db.session.add(
            Lease(
                unit=_unit(),
                tenant=tenant,
                starts_on=LONG_AGO,
                status=status,
                moved_out_on=moved_out,
            )
        )
    db.session.flush()
    return tenant


def _dealer(*visits: date, **kw) -> Dealer:
    values = {"name": f"经销商{next(_n)}", "status": "potential", "mobile": "13900000000"}
    values.update(kw)
    dealer = Dealer(region_id=ref_item(db.session, "region", "south").id, **values)
    db.session.add(dealer)
    for day in visits:
        dealer.visits.append(DealerVisit(visited_on=day, summary="拜访了老板"))
    db.session.flush()
    return dealer


# --- the kinds and their defaults -----------------------------------------------------------
def test_every_kind_has_a_bounded_default_and_the_migration_wrote_the_same():
    kinds = retention_periods.KINDS
    assert set(kinds) == set(RETENTION_KINDS)
    for kind in kinds.values():
        assert kind.min_days <= kind.default_days <= kind.max_days
    # The access log: never below the Cybersecurity Law's six months.
    assert kinds["access_log"].min_days >= 180
    migration = next(Path("migrations/versions").glob("*_n7e1c0de28e5_retention_periods.py"))
    frozen = runpy.run_path(str(migration))["DEFAULT_DAYS"]
    assert frozen == {code: kind.default_days for code, kind in kinds.items()}


def test_periods_fall_back_to_the_defaults(app):
    with app.app_context():
        assert retention_periods.periods(db.session)["prospect"] == 3 * 365
        assert retention_periods.cutoff_for(date(2026, 11, 25), 365) == date(2025, 11, 25)


# --- candidates per kind --------------------------------------------------------------------
def test_welcome_cards_past_the_last_contact_but_never_signed_or_anonymised(app):
    with app.app_context():
        past = make_prospect(db.session, first_visit_on=LONG_AGO, last_contact_on=BEFORE).id
        on = make_prospect(db.session, first_visit_on=LONG_AGO, last_contact_on=ON).id
        signed = make_prospect(
            db.session, progress="signed", first_visit_on=LONG_AGO, last_contact_on=BEFORE
        ).id
        gone = make_prospect(
            db.session, name="已匿名", first_visit_on=LONG_AGO, last_contact_on=BEFORE
        ).id
        found = _candidates("prospect")
        assert past in found
        assert not found & {on, signed, gone}


def test_past_owners_after_their_last_ownership_never_current_ones(app):
    with app.app_context():
        past = _owner(BEFORE).id
        on = _owner(ON).id
        still = _owner(LONG_AGO, None).id  # sold one unit, still owns another
        never = _owner().id  # no ownership: not a past owner
        gone = _owner(LONG_AGO, name="已匿名").id
        parked = _owner(LONG_AGO)
        db.session.add(ParkingSpace(code=f"B1-{next(_n)}", tenure="bought", owner=parked))
        selling = _owner(LONG_AGO)
        buyer = _owner()
        db.session.add(
            Transfer(unit=_unit(), seller=selling, buyer=buyer, status="open", opened_on=LONG_AGO)
        )
        db.session.flush()
        found = _candidates("owner")
        assert found == {past}, (found, on, still, never, gone, parked.id, selling.id)


def test_ended_tenancies_after_the_move_out_never_a_lease_not_ended(app):
    with app.app_context():
        past = _tenant(("ended", BEFORE)).id
        on = _tenant(("ended", ON)).id
        living = _tenant(("ended", LONG_AGO), ("active", None)).id
        registering = _tenant(("registering", None)).id
        gone = _tenant(("ended", LONG_AGO), name="已匿名").id
        carded = _tenant(("ended", LONG_AGO))
        db.session.add(
            ResidentCard(
                unit=_unit(),
                card_no=f"R{next(_n)}",
                holder_name="持卡人",
                tenant_id=carded.id,
                issued_on=LONG_AGO,
            )
        )
        db.session.flush()
        found = _candidates("tenant")
        assert found == {past}, (found, on, living, registering, gone, carded.id)


def test_dealers_never_signed_after_the_last_visit(app):
    with app.app_context():
        past = _dealer(LONG_AGO, BEFORE).id
        on = _dealer(LONG_AGO, ON).id
        signed = _dealer(LONG_AGO, status="signed", contract_signed_on=LONG_AGO).id
        gone = _dealer(LONG_AGO, name="已匿名").id
        never_visited = _dealer(created_at=datetime(2020, 1, 1)).id
        new_unvisited = _dealer().id  # entered today, never visited
        found = _candidates("dealer")
        assert found == {past, never_visited}, (found, on, signed, gone, new_unvisited)


def test_receptions_with_observation_notes_after_the_reception(app):
    with app.app_context():
        card = make_prospect(db.session, first_visit_on=LONG_AGO)
        past = make_visit(db.session, card, visited_on=BEFORE, character="急躁").id
        on = make_visit(db.session, card, visited_on=ON, appearance="戴眼镜").id
        bare = make_visit(db.session, card, visited_on=LONG_AGO).id  # nothing to clear
        found = _candidates("visit")
        assert found == {past}, (found, on, bare)


def _event_at(monkeypatch, moment: datetime, action: str = "details") -> int:
    monkeypatch.setattr(audit, "utcnow", lambda: moment)
    audit.record(db.session, audit.SYSTEM, action, record_type="prospect", record_id=1)
    return db.session.scalar(select(func.max(AccessEvent.seq)))


def test_access_log_events_before_the_cutoff_day_in_beijing(app, monkeypatch):
    # The cut-off day starts at 00:00 in Beijing, 16:00 UTC the day before.
    start = datetime(2023, 11, 25, 16, 0)
    with app.app_context():
        old = _event_at(monkeypatch, datetime(2023, 1, 1))
        last_old = _event_at(monkeypatch, start - timedelta(microseconds=1))
        first_kept = _event_at(monkeypatch, start)
        monkeypatch.undo()
        assert retention.log_cutoff_instant(CUTOFF) == start
        assert _candidates("access_log") == {old, last_old}
        assert retention.candidate_count(db.session, "access_log", CUTOFF, None) == 2
        assert first_kept not in _candidates("access_log")


# --- runs -----------------------------------------------------------------------------------
def _approvers():
    asker = make_user(db.session, "supervisor")
    approver = make_user(db.session, "admin")
    return asker, approver


def _actor(user) -> audit.Actor:
    return audit.Actor(user.id, user.username, user.role_code)


def _run(kind: str, today: date):
    asker, approver = _approvers()
    batch = retention.request_batch(db.session, asker, _actor(asker), kind, today)
    with pytest.raises(retention.RetentionError):
        retention.decide_batch(db.session, batch, asker, _actor(asker), True)
    done = retention.decide_batch(db.session, batch, approver, _actor(approver), True)
    db.session.commit()
    return batch, done


def test_a_dealer_run_clears_the_contact_the_files_and_the_visits(app):
    with app.app_context():
        dealer = _dealer(LONG_AGO, contact_name="钱老板", in_directory=True, notes="老板姓钱")
        dealer.potential_files.append(
            PotentialDealerFile(written_on=LONG_AGO, business_profile="夫妻店")
        )
        kept = _dealer(date(2026, 11, 1)).id
        db.session.commit()
        batch, done = _run("dealer", date(2026, 11, 25))
        assert done == 1 and batch.status == "done" and batch.anonymised == 1
        db.session.expire_all()
        gone = db.session.get(Dealer, dealer.id)
        assert (gone.name, gone.contact_name, gone.mobile, gone.mobile_bidx, gone.notes) == (
            "已匿名",
            None,
            None,
            None,
            None,
        )
        assert gone.in_directory is False and gone.status == "potential"
        assert gone.potential_files[0].business_profile is None
        assert gone.visits[0].summary == "（已匿名）" and gone.visits[0].visited_on == LONG_AGO
        assert db.session.get(Dealer, kept).name != "已匿名"
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "retention_anonymise")
        ).one()
        assert (event.record_type, event.record_ids) == ("dealer", str(dealer.id))


def test_a_tenant_run_anonymises_the_tenant_and_the_returned_cards(app):
    with app.app_context():
        tenant = _tenant(("ended", LONG_AGO), id_number="110105199003070011")
        card = ResidentCard(
            unit=_unit(),
            card_no="R-9",
            holder_name=tenant.name,
            tenant_id=tenant.id,
            issued_on=LONG_AGO,
            status="returned",
        )
        db.session.add(card)
        db.session.commit()
        _run("tenant", date(2026, 11, 25))
        db.session.expire_all()
        gone = db.session.get(Tenant, tenant.id)
        assert (gone.name, gone.mobile, gone.id_number) == ("已匿名", None, None)
        assert db.session.get(ResidentCard, card.id).holder_name == "已匿名"
        assert gone.leases[0].moved_out_on == LONG_AGO  # the tenancy itself stays


def test_an_owner_run_keeps_the_ownerships(app):
    with app.app_context():
        owner = _owner(LONG_AGO, address="某路1号")
        db.session.commit()
        _run("owner", date(2026, 11, 25))
        db.session.expire_all()
        gone = db.session.get(Owner, owner.id)
        assert (gone.name, gone.address) == ("已匿名", None)
        assert gone.ownerships[0].ended_on == LONG_AGO


def test_a_visit_run_clears_only_the_observations(app):
    with app.app_context():
        card = make_prospect(db.session, name="张三", first_visit_on=LONG_AGO)
        old = make_visit(db.session, card, visited_on=LONG_AGO, character="急躁", concerns="价格")
        new = make_visit(db.session, card, visited_on=date(2026, 11, 1), character="爽快")
        db.session.commit()
        _, done = _run("visit", date(2026, 11, 25))
        assert done == 1
        db.session.expire_all()
        cleared = db.session.get(Visit, old.id)
        assert (cleared.character, cleared.concerns) == (None, None)
        assert cleared.summary and cleared.visited_on == LONG_AGO
        assert db.session.get(Visit, new.id).character == "爽快"
        assert db.session.get(Prospect, card.id).name == "张三"
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "retention_cleared")
        ).one()
        assert event.record_ids == str(old.id)


def test_many_ids_are_logged_in_events_of_at_most_max_ids(app):
    with app.app_context():
        card = make_prospect(db.session, first_visit_on=LONG_AGO)
        ids = [
            make_visit(db.session, card, visited_on=LONG_AGO, reflection="x").id
            for _ in range(audit.MAX_IDS + 5)
        ]
        db.session.commit()
        _run("visit", date(2026, 11, 25))
        logged = db.session.scalars(
            select(AccessEvent.record_ids).where(AccessEvent.action == "retention_cleared")
        ).all()
        assert len(logged) == 2
        assert sorted(int(i) for text in logged for i in text.split(",")) == sorted(ids)


def test_the_access_log_purge_deletes_the_oldest_events_and_the_chain_still_verifies(
    app, monkeypatch
):
    with app.app_context():
        old = [_event_at(monkeypatch, datetime(2022, 1, 1, 0, 0, i)) for i in range(3)]
        monkeypatch.undo()
        kept = _event_at(monkeypatch, datetime(2026, 11, 1))
        monkeypatch.undo()
        db.session.commit()
        batch, done = _run("access_log", date(2026, 11, 25))
        assert done == 3 and batch.anonymised == 3
        seqs = set(db.session.scalars(select(AccessEvent.seq)))
        assert not seqs & set(old) and kept in seqs
        purge = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == audit.PURGE_ACTION)
        ).one()
        assert purge.record_id == old[-1]
        assert "3 events before 2023-11-26" in purge.path
        assert audit.verify(db.session).ok
        # The append-only trigger is back: nothing else deletes.
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(AccessEvent.__table__.delete())
        db.session.rollback()
        # A gap no purge event vouches for is found.
        audit.delete_through(db.session, kept)
        db.session.commit()
        result = audit.verify(db.session)
        assert not result.ok and result.problem == "events missing at the start"


def test_a_batch_is_refused_when_nothing_is_due_or_one_is_already_waiting(app):
    with app.app_context():
        asker, approver = _approvers()
        clerk = make_user(db.session, "clerk")
        today = date(2026, 11, 25)
        with pytest.raises(retention.RetentionError):
            retention.request_batch(db.session, asker, _actor(asker), "owner", today)
        _owner(LONG_AGO)
        with pytest.raises(retention.RetentionError):
            retention.request_batch(db.session, clerk, _actor(clerk), "owner", today)
        with pytest.raises(retention.RetentionError):
            retention.request_batch(db.session, asker, _actor(asker), "nonsense", today)
        batch = retention.request_batch(db.session, asker, _actor(asker), "owner", today)
        with pytest.raises(retention.RetentionError):
            retention.request_batch(db.session, approver, _actor(approver), "owner", today)
        retention.decide_batch(db.session, batch, approver, _actor(approver), False)
        assert batch.status == "rejected"
        with pytest.raises(retention.RetentionError):
            retention.decide_batch(db.session, batch, approver, _actor(approver), True)
        assert db.session.get(RetentionBatch, batch.id).anonymised is None


# --- periods --------------------------------------------------------------------------------
def test_periods_are_the_admins_bounded_with_a_reason_and_recorded(app):
    with app.app_context():
        admin = make_user(db.session, "admin")
        supervisor = make_user(db.session, "supervisor")
        seen = retention_periods.periods(db.session)
        set_ = retention_periods.set_periods
        with pytest.raises(retention_periods.RetentionError):
            set_(db.session, supervisor, _actor(supervisor), {"owner": 400}, seen, "r")
        with pytest.raises(retention_periods.RetentionError):
            set_(db.session, admin, _actor(admin), {"access_log": 179}, seen, "r")
        with pytest.raises(retention_periods.RetentionError):
            set_(db.session, admin, _actor(admin), {"owner": 400}, seen, " ")
        assert set_(db.session, admin, _actor(admin), dict(seen), seen, "") == []
        changed = set_(
            db.session, admin, _actor(admin), {**seen, "owner": 5 * 365}, seen, "律师建议"
        )
        db.session.commit()
        assert changed == ["owner"]
        assert retention_periods.periods(db.session)["owner"] == 5 * 365
        (entry,) = db.session.scalars(select(RecordHistory)).all()
        assert entry.changes == {"days": {"old": 3 * 365, "new": 5 * 365}}
        assert entry.note == "律师建议" and entry.actor_id == admin.id
        assert db.session.scalar(
            select(AccessEvent.id).where(
                AccessEvent.action == "update", AccessEvent.record_type == "retention_period"
            )
        )
        # A page opened before that change cannot overwrite it.
        with pytest.raises(retention_periods.RetentionError, match="已被他人修改"):
            set_(db.session, admin, _actor(admin), {**seen, "owner": 4 * 365}, seen, "再改")
