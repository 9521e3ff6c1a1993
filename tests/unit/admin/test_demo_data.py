"""The demo office: every area filled with data that keeps the office's rules (SQLite and
PostgreSQL). N is small here; bench/seed_prospects.py measures the million."""

from __future__ import annotations

import re
import stat
from collections import Counter

import pytest
from sqlalchemy import func, inspect, select
from stdnum.cn import ric, uscc

from core.access import ROLES
from core.phones import is_mobile
from demo.offices import OFFICES
from demo.seed import DEMO_ACCOUNTS, DemoDataError, seed_demo
from extensions import db
from forms.property.property import PLATE_RE
from models.admin.offices import Office, default_office_id
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.archive.archives import ArchiveFile
from models.base import Base, OfficeOwnedMixin
from models.dealers.dealers import Dealer
from models.property.property import (
    HouseholdMember,
    Lease,
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Tenant,
    Unit,
    VehicleCard,
)
from models.property.transfers import Transfer, TransferItem
from models.sales.prospects import Prospect, Visit
from services.admin.accounts import authenticate
from services.admin.standard_data import install_standard_data
from tests.conftest import _wipe
from tests.factories import make_prospect, make_visit

N = 50


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _current_owner_ids() -> dict[int, int]:
    rows = db.session.execute(
        select(Ownership.unit_id, Ownership.owner_id).where(Ownership.ended_on.is_(None))
    )
    return {unit_id: owner_id for unit_id, owner_id in rows}


def test_seed_fills_every_area_by_the_rules(app, tmp_path):
    accounts_file = tmp_path / "demo-accounts.txt"
    with app.app_context():
        indexes_before = {i["name"] for i in inspect(db.engine).get_indexes("prospects")}
        result = seed_demo(db.session, prospect_count=N, accounts_file=str(accounts_file))
        db.session.remove()

        assert result is not None and result.prospects == N
        assert {u.role_code for u in db.session.scalars(select(User))} == set(ROLES)
        assert _count(User) == len(DEMO_ACCOUNTS)
        assert _count(Prospect) == N and _count(Visit) >= N
        assert result.counts["prospects"] == N and result.counts["units"] == _count(Unit)
        assert "units" in result.describe() and "archive files" in result.describe()
        # The bulk load builds the indexes it set aside again, and new cards get fresh ids.
        assert {i["name"] for i in inspect(db.engine).get_indexes("prospects")} == indexes_before
        card = make_prospect(db.session)
        make_visit(db.session, card)
        assert card.id > max(db.session.scalars(select(Prospect.id).where(Prospect.id != card.id)))
        db.session.rollback()
        for prospect in db.session.scalars(select(Prospect)):
            assert is_mobile(prospect.mobile)
            visits = [v.visited_on for v in prospect.visits]
            assert [v.seq for v in prospect.visits] == list(range(1, len(visits) + 1))
            assert prospect.last_contact_on == max(visits, default=prospect.first_visit_on)

        # Units: about 120, each with exactly one current owner; some were resold before.
        assert 100 <= _count(Unit) <= 140
        current = Counter(
            db.session.scalars(select(Ownership.unit_id).where(Ownership.ended_on.is_(None)))
        )
        assert set(current) == set(db.session.scalars(select(Unit.id)))
        assert set(current.values()) == {1}
        assert _count(Ownership, Ownership.ended_on.is_not(None)) >= 5

        # People: valid resident ID numbers and mainland mobiles.
        people = [
            *db.session.execute(select(Owner.id_number, Owner.mobile)),
            *db.session.execute(select(HouseholdMember.id_number, HouseholdMember.mobile)),
            *db.session.execute(select(Tenant.id_number, Tenant.mobile)),
        ]
        assert len(people) > 250
        for id_number, mobile in people:
            assert ric.is_valid(id_number), id_number
            assert mobile is None or is_mobile(mobile), mobile
        relations = set(
            db.session.scalars(select(ReferenceItem.code).join(HouseholdMember.relation))
        )
        assert {"spouse", "child"} <= relations

        # Cards: no number twice, plates as the office stores them.
        numbers = [*db.session.scalars(select(ResidentCard.card_no))]
        numbers += db.session.scalars(select(VehicleCard.card_no))
        assert len(numbers) == len(set(numbers)) > 150
        plates = list(db.session.scalars(select(VehicleCard.plate_no)))
        assert len(plates) == len(set(plates)) > 20
        assert all(PLATE_RE.fullmatch(plate) for plate in plates)
        assert _count(ResidentCard, ResidentCard.tenant_id.is_not(None)) >= 15
        tenures = Counter(db.session.scalars(select(ParkingSpace.tenure)))
        assert all(tenures[t] > 0 for t in ("bought", "rented", "free"))
        assert not _count(
            ParkingSpace, ParkingSpace.tenure != "free", ParkingSpace.owner_id.is_(None)
        )

        # Leases: about fifteen active, a few ended.
        assert 12 <= _count(Lease, Lease.status == "active") <= 18
        ended = list(db.session.scalars(select(Lease).where(Lease.status == "ended")))
        assert len(ended) >= 3 and all(lease.moved_out_on for lease in ended)

        # Transfers: open ones sold by the unit's current owner, one completed, one cancelled.
        owners_now = _current_owner_ids()
        open_transfers = list(db.session.scalars(select(Transfer).where(Transfer.status == "open")))
        assert 4 <= len(open_transfers) <= 5
        checklist = set(
            db.session.scalars(
                select(ReferenceItem.id)
                .join(ReferenceList)
                .where(ReferenceList.code == "transfer_item")
            )
        )
        for transfer in open_transfers:
            assert transfer.seller_id == owners_now[transfer.unit_id]
            assert transfer.buyer_id != transfer.seller_id
            assert transfer.items and {i.kind_id for i in transfer.items} <= checklist
        ticked = [i for t in open_transfers for i in t.items if i.done_at is not None]
        assert ticked and all(i.done_by_id for i in ticked)
        assert any(i.note for i in ticked)
        assert any(i.done_at is None for t in open_transfers for i in t.items)
        (completed,) = db.session.scalars(select(Transfer).where(Transfer.status == "completed"))
        assert all(item.done_at for item in completed.items)
        assert owners_now[completed.unit_id] == completed.buyer_id
        assert _count(
            Ownership,
            Ownership.owner_id == completed.seller_id,
            Ownership.unit_id == completed.unit_id,
            Ownership.ended_on == completed.completed_on,
        )
        (cancelled,) = db.session.scalars(select(Transfer).where(Transfer.status == "cancelled"))
        assert cancelled.cancel_reason
        assert _count(TransferItem, TransferItem.resident_card_id.is_not(None)) > 0

        # Dealers: every region, the region manager where there is one.
        dealers = list(db.session.scalars(select(Dealer)))
        managers = {
            u.region_id: u.id
            for u in db.session.scalars(select(User))
            if u.has_role("region_manager")
        }
        assert len({d.region_id for d in dealers}) == 4
        for dealer in dealers:
            assert dealer.manager_id == managers.get(dealer.region_id)
            assert is_mobile(dealer.mobile)
        signed = [d for d in dealers if d.status == "signed"]
        assert all(d.contract_signed_on for d in signed)
        cards = [d.data_card for d in signed if d.data_card]
        assert len(signed) / 2 < len(cards) < len(signed)
        assert all(uscc.is_valid(card.licence_no) for card in cards)
        potential = [d for d in dealers if d.status == "potential"]
        assert any(d.in_directory for d in potential)
        assert any(d.in_directory is False for d in potential)
        assert sum(len(d.potential_files) for d in potential) > 0
        assert sum(len(d.visits) for d in dealers) > len(dealers)

        # Paper files: about a hundred, pointing to every kind of record.
        files = list(db.session.scalars(select(ArchiveFile)))
        assert 80 <= len(files) <= 120
        assert all(re.fullmatch(r"DA-20\d\d-\d{4}", f.code) for f in files)
        assert all(f.room and f.cabinet and f.shelf and f.box for f in files)
        for link in ("owner_id", "unit_id", "prospect_id", "dealer_id"):
            assert any(getattr(f, link) for f in files), link
        states = Counter(f.state for f in files)
        assert states["lent_out"] >= 3 and states["destroyed"] == 2

        # The accounts file: owner-only, every account, passwords that work.
        assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o600
        lines = [line.split("\t") for line in accounts_file.read_text("utf-8").splitlines()]
        assert [(name, role) for name, role, _ in lines] == [
            (name, role) for name, _, role, _ in DEMO_ACCOUNTS
        ]
        name, _, password = lines[0]
        assert authenticate(db.session, name, password) is not None
        db.session.remove()


def test_seeding_twice_is_refused_or_skipped(app, tmp_path):
    with app.app_context():
        assert seed_demo(db.session, prospect_count=N) is not None
        with pytest.raises(DemoDataError):
            seed_demo(db.session, prospect_count=N)
        db.session.rollback()
        assert seed_demo(db.session, prospect_count=N, skip_if_not_empty=True) is None
        assert _count(Prospect) == N
        db.session.remove()


def _fingerprint() -> tuple:
    return (
        list(db.session.execute(select(Owner.name, Owner.id_number).order_by(Owner.id))),
        list(db.session.execute(select(Unit.building, Unit.room).order_by(Unit.id))),
        list(db.session.scalars(select(VehicleCard.plate_no).order_by(VehicleCard.id))),
        list(db.session.scalars(select(Dealer.name).order_by(Dealer.id))),
        list(db.session.scalars(select(ArchiveFile.title).order_by(ArchiveFile.id))),
        list(db.session.execute(select(Prospect.name, Prospect.mobile).order_by(Prospect.id))),
    )


def test_the_same_seed_gives_the_same_office(app):
    with app.app_context():
        seed_demo(db.session, prospect_count=N, seed=7)
        first = _fingerprint()
        _wipe(db.session)
        install_standard_data(db.session)
        db.session.commit()
        seed_demo(db.session, prospect_count=N, seed=7)
        assert _fingerprint() == first
        db.session.remove()


def test_every_demo_customer_has_the_basis_it_is_kept_on(app):
    from models.privacy.privacy import ConsentRecord

    with app.app_context():
        seed_demo(db.session, prospect_count=N)
        for subject_type, model, basis in (
            ("prospect", Prospect, "consent"),
            ("owner", Owner, "contract"),
        ):
            people = db.session.scalar(select(func.count()).select_from(model))
            kept = db.session.scalar(
                select(func.count(func.distinct(ConsentRecord.subject_id))).where(
                    ConsentRecord.subject_type == subject_type, ConsentRecord.basis == basis
                )
            )
            assert people and kept == people, subject_type
        record = db.session.scalars(select(ConsentRecord)).first()
        assert record.policy_version == app.config["PRIVACY_POLICY_VERSION"] and record.purpose


def _office_owned_models() -> list[type]:
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, OfficeOwnedMixin)),
        key=lambda model: model.__name__,
    )


def test_the_demo_group_has_four_offices_each_with_its_records_and_people(app):
    with app.app_context():
        seed_demo(db.session, prospect_count=N)
        db.session.remove()
        offices = {o.name: o for o in db.session.scalars(select(Office).order_by(Office.id))}
        # The first office of a new database became one of the four: none stays empty.
        assert sorted(offices) == sorted(name for _, name, _, _ in OFFICES)
        assert db.session.get(Office, default_office_id(db.session)).name == OFFICES[0][1]
        kinds = Counter(o.kind for o in offices.values())
        assert kinds == {"sales": 2, "management": 2}
        project_codes = {o.name: {p.code for p in o.projects} for o in offices.values()}
        for kind in ("sales", "management"):
            held = [
                code for o in offices.values() if o.kind == kind for code in project_codes[o.name]
            ]
            # Every project has exactly one office of each kind.
            assert sorted(held) == sorted(
                db.session.scalars(
                    select(ReferenceItem.code)
                    .join(ReferenceList)
                    .where(ReferenceList.code == "project")
                )
            )

        # Every office has people and records; sales records in sales offices, the rest in
        # management offices.
        for office in offices.values():
            roles = {u.role_code for u in office.members}
            assert {"clerk", "supervisor"} <= roles, office.name
            if office.kind == "sales":
                assert _count(Prospect, Prospect.office_id == office.id), office.name
                assert _count(Visit, Visit.office_id == office.id), office.name
            else:
                for model in (Owner, Unit, Ownership, ResidentCard, ParkingSpace, ArchiveFile):
                    assert _count(model, model.office_id == office.id), (office.name, model)
        sales_ids = {o.id for o in offices.values() if o.kind == "sales"}
        for model in (Prospect, Visit):
            assert not _count(model, model.office_id.not_in(sales_ids)), model
        management_ids = {o.id for o in offices.values() if o.kind == "management"}
        for model in (Owner, Unit, Ownership, HouseholdMember, Tenant, Lease, Transfer):
            assert not _count(model, model.office_id.not_in(management_ids)), model
        for model in _office_owned_models():
            assert not _count(model, model.office_id.is_(None)), model

        # Each row goes with its unit: the management office running the unit's estate.
        units = {u.id: u for u in db.session.scalars(select(Unit))}
        runs = {p.id: o.id for o in offices.values() if o.kind == "management" for p in o.projects}
        for unit in units.values():
            assert unit.office_id == runs[unit.project_id]
        for model in (Ownership, HouseholdMember, Lease, ResidentCard, VehicleCard, Transfer):
            for office_id, unit_id in db.session.execute(select(model.office_id, model.unit_id)):
                assert office_id == units[unit_id].office_id, model
        for ownership in db.session.scalars(select(Ownership)):
            assert ownership.owner.office_id == ownership.unit.office_id
        for lease in db.session.scalars(select(Lease)):
            assert lease.tenant.office_id == lease.unit.office_id
        for space in db.session.scalars(
            select(ParkingSpace).where(ParkingSpace.unit_id.is_not(None))
        ):
            assert space.office_id == space.unit.office_id

        # No consultant owns a card, or received a visit, of another office.
        member_of = {u.id: {o.id for o in u.offices} for u in db.session.scalars(select(User))}
        for model in (Prospect, Visit):
            rows = db.session.execute(select(model.office_id, model.consultant_id))
            for office_id, consultant_id in rows:
                assert consultant_id is None or office_id in member_of[consultant_id], model
        # And each sales office's consultants have cards of their own.
        for office in offices.values():
            if office.kind == "sales":
                consultants = [u for u in office.members if u.role_code == "clerk"]
                assert all(_count(Prospect, Prospect.consultant_id == u.id) for u in consultants), (
                    office.name
                )

        # Accounts: staff in offices, the admin, the outside auditor and region managers in
        # none; a superior works where the clerk works.
        for user in db.session.scalars(select(User)):
            if user.role_code in ("admin", "region_manager", "auditor"):
                assert user.offices == [], user.username
            else:
                assert user.offices, user.username
            if user.superior is not None:
                assert {o.id for o in user.offices} <= {o.id for o in user.superior.offices}
        db.session.remove()
