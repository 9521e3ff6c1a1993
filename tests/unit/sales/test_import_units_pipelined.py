"""The unit list's import through the writer thread (services/shared/importer.py ``_Writes``,
``Writer.pipelines``): units, owners, ownerships and household members of each chunk are
written by the writer while the next chunk is checked, in the rows' order, all or nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models.privacy.audit import AccessEvent
from models.privacy.privacy import ConsentRecord
from models.property.property import HouseholdMember, Owner, Ownership, Unit
from models.shared.name_search import NameToken
from services.shared import importer, name_search
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")
HEADERS = ["项目", "楼栋", "房号", "姓名", "与业主关系", "手机"]
UNITS = 9


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "project", "lakeside")
        yield db.session
        db.session.rollback()


def _sheet(tmp_path):
    """A unit a pair of rows: its owner, then a household member with the unit filled down."""
    rows = []
    for n in range(UNITS):
        rows.append(["lakeside", f"{n}栋", f"{n}01", f"业主{n}", "本人", f"1390000{n:04d}"])
        rows.append([None, None, None, f"成员{n}", "配偶", None])
    return write_xlsx(tmp_path / "units.xlsx", rows, HEADERS)


def _pipelined(session) -> bool:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return conn.dialect.driver == "psycopg2"
    return importer._numbers_rows(conn)


def _recorded_writes(monkeypatch, fail_at: int | None = None) -> list[str]:
    """The threads the bulk writes ran on (multi-row INSERTs on SQLite, COPY on PostgreSQL);
    the ``fail_at``-th raises."""
    threads: list[str] = []
    run_inserts, send_copy = importer._run_inserts, importer.send_copy

    def recorded(original):
        def write(*args):
            threads.append(threading.current_thread().name)
            if len(threads) == fail_at:
                raise RuntimeError("the disk is full")
            return original(*args)

        return write

    monkeypatch.setattr(importer, "_run_inserts", recorded(run_inserts))
    monkeypatch.setattr(importer, "send_copy", recorded(send_copy))
    return threads


def _import(s, user, path):
    return importer.import_file(
        s,
        user,
        path,
        importer.guess_mapping(HEADERS, "unit"),
        skip_rejected=False,
        kind="unit",
        consent=CONSENT,
    )


def _writers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "import-writer"]


def test_each_chunk_is_written_by_the_writer_thread_in_the_rows_order(s, tmp_path, monkeypatch):
    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 4)  # a unit's two rows may fall in two chunks
    threads = _recorded_writes(monkeypatch)
    outcome = _import(s, user, _sheet(tmp_path))
    s.commit()
    assert outcome.inserted == UNITS and not _writers()
    if _pipelined(s):
        assert threads and set(threads) == {"import-writer"}
    units = s.execute(select(Unit.id, Unit.building).order_by(Unit.id)).all()
    assert [building for _id, building in units] == [f"{n}栋" for n in range(UNITS)]
    for unit_id, building in units:
        n = int(building.removesuffix("栋"))
        unit = s.get(Unit, unit_id)
        assert unit.current_owner.name == f"业主{n}"
        assert unit.current_owner.mobile == f"1390000{n:04d}"
        assert [m.name for m in unit.household_members] == [f"成员{n}"]
    # each indexed name's tokens carry its own record's id
    indexed = [model for model in (Owner, HouseholdMember) if name_search.kind_of(model)]
    assert Owner in indexed
    for model in indexed:
        for record_id, name in s.execute(select(model.id, model.name)):
            found = select(NameToken.token).where(
                NameToken.kind == name_search.kind_of(model),
                NameToken.record_id == record_id,
                NameToken.token == name,
            )
            assert list(s.scalars(found)) == [name]
    assert s.scalar(select(func.count(Ownership.id))) == UNITS
    owners_consent = s.scalars(
        select(ConsentRecord.subject_id).where(ConsentRecord.subject_type == "owner")
    )
    assert sorted(owners_consent) == sorted(s.scalars(select(Owner.id)))
    logged = {
        e.record_type for e in s.scalars(select(AccessEvent).where(AccessEvent.action == "import"))
    }
    assert logged == {"unit", "owner", "ownership", "household_member"}


def test_a_write_failing_in_a_later_chunk_leaves_nothing_and_no_thread(s, tmp_path, monkeypatch):
    if not _pipelined(s):
        pytest.skip("no writer thread on this database")
    user = make_user(s, "clerk")
    s.commit()
    monkeypatch.setattr(importer, "CHUNK", 4)
    _recorded_writes(monkeypatch, fail_at=7)  # within the second chunk's writes
    with pytest.raises(RuntimeError, match="the disk is full"):
        _import(s, user, _sheet(tmp_path))
    s.rollback()
    assert not _writers()
    for model in (Unit, Owner, Ownership, HouseholdMember):
        assert s.scalar(select(func.count(model.id))) == 0, model
    assert s.scalar(select(func.count()).select_from(NameToken)) == 0
    assert not s.scalars(select(AccessEvent).where(AccessEvent.action == "import")).all()


def test_an_owner_committed_by_another_connection_first_is_found_on_record(s, tmp_path):
    """The import's checks read committed data on a connection of their own, as the check
    pass does: an owner with the same mobile saved meanwhile rejects that row."""
    user = make_user(s, "clerk")
    s.add(Owner(name="老业主", mobile="13900000003"))
    s.commit()
    with pytest.raises(importer.RowsRejected):
        _import(s, user, _sheet(tmp_path))
    s.rollback()
    assert s.scalar(select(func.count(Unit.id))) == 0
    assert not _writers()
