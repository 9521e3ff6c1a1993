"""The lease list's import takes the check pass's rows (``Kind.reuses_check``: the units,
leases in force and tenants on record looked up again) and writes through the writer thread
(``Writer.pipelines``), as the unit list does; a desk account renamed or the role changed
since the check makes it check the file again."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from extensions import db
from models.admin.people import Role
from models.privacy.privacy import ConsentRecord
from models.property.property import Lease, Tenant, Unit
from models.shared.name_search import NameToken
from services.shared import import_kinds, importer, name_search  # noqa: F401 (every kind)
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx
from tests.unit.sales.test_import_leases import CONSENT, HEADERS, INTAKE, _row
from tests.unit.sales.test_import_units_pipelined import _pipelined, _recorded_writes, _writers

pytestmark = pytest.mark.instant()
TOKEN = "ef" * 16
ROOMS = [f"{n}01" for n in range(1, 8)]


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def kept(tmp_path):
    return importer.CheckedRows(tmp_path / f"{TOKEN}-checked.sealed", TOKEN)


@pytest.fixture
def world(s):
    user = make_user(s, "clerk")
    desk = make_user(s, "supervisor", full_name="郑主管")
    project = ref_item(s, "project", "lakeside")
    s.add_all(Unit(project_id=project.id, building="1栋", room=room) for room in ROOMS)
    s.commit()
    return {"user": user, "desk": desk}


def _sheet(tmp_path):
    """A lease a unit; 周租 on the first, third and sixth rows (one tenant)."""
    rows = []
    for n, room in enumerate(ROOMS):
        name, mobile = ("周租", "13900000101") if n in (0, 2, 5) else (f"租{n}", f"1390000{n:04d}")
        rows.append(_row(room, name, mobile, "2026-01-01", 原件查验人="郑主管", **INTAKE))
    return write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)


def _mapping():
    return importer.guess_mapping(HEADERS, "lease")


def _check(s, user, path, kept):
    return importer.check_file(s, path, _mapping(), kind="lease", user=user, checked=kept)


def _import(s, user, path, kept=None):
    return importer.import_file(
        s, user, path, _mapping(), skip_rejected=False, kind="lease", consent=CONSENT, checked=kept
    )


def test_the_kind_takes_the_checked_rows_and_pipelines():
    assert importer._reuses_check("lease")
    assert importer.KINDS["lease"].writer.pipelines


def test_leases_are_written_by_the_writer_thread_from_the_checked_rows(
    s, world, tmp_path, kept, monkeypatch
):
    monkeypatch.setattr(importer, "CHUNK", 2)  # 周租's rows fall in three chunks
    user = world["user"]
    assert _check(s, user, _sheet(tmp_path), kept).valid == len(ROOMS)
    threads = _recorded_writes(monkeypatch)
    # the upload is not read again: an empty stream in its place imports the same rows
    outcome = _import(s, user, io.BytesIO(b""), kept)
    s.commit()
    assert outcome.inserted == len(ROOMS) and not _writers()
    if _pipelined(s):
        assert threads and set(threads) == {"import-writer"}
    zhou = s.scalar(select(Tenant).where(Tenant.name == "周租"))
    assert sorted(lease.unit.room for lease in zhou.leases) == ["101", "301", "601"]
    assert s.scalar(select(func.count(Tenant.id))) == len(ROOMS) - 2
    assert {lease.original_seen_by_id for lease in s.scalars(select(Lease))} == {world["desk"].id}
    consents = s.scalar(
        select(func.count(ConsentRecord.id)).where(ConsentRecord.subject_type == "tenant")
    )
    assert consents == len(ROOMS) - 2
    if name_search.kind_of(Tenant):
        tokens = select(NameToken.record_id).where(
            NameToken.kind == name_search.kind_of(Tenant), NameToken.token == "周租"
        )
        assert list(s.scalars(tokens)) == [zhou.id]


def test_a_desk_account_renamed_since_the_check_makes_the_import_check_again(
    s, world, tmp_path, kept
):
    path = _sheet(tmp_path)
    assert _check(s, world["user"], path, kept).valid == len(ROOMS)
    world["desk"].full_name = "郑新名"
    s.commit()
    with pytest.raises(importer.RowsRejected):
        _import(s, world["user"], path, kept)
    s.rollback()
    with pytest.raises(importer.ImportFileError):  # the upload is read again
        _import(s, world["user"], io.BytesIO(b""), kept)


def test_a_role_changed_since_the_check_makes_the_import_check_again(s, world, tmp_path, kept):
    user = world["user"]
    path = _sheet(tmp_path)
    assert _check(s, user, path, kept).valid == len(ROOMS)
    user.role_id = s.scalar(select(Role.id).where(Role.code == "supervisor"))
    s.commit()
    with pytest.raises(importer.ImportFileError):  # the upload is read again
        _import(s, s.get(type(user), user.id), io.BytesIO(b""), kept)


def test_a_lease_in_force_put_on_record_since_the_check_is_refused(s, world, tmp_path, kept):
    user = world["user"]
    assert _check(s, user, _sheet(tmp_path), kept).valid == len(ROOMS)
    other = Tenant(name="插队租户")
    s.add(other)
    s.flush()
    unit = s.scalar(select(Unit).where(Unit.room == "401"))
    s.add(Lease(unit_id=unit.id, tenant_id=other.id, starts_on=unit.created_at.date(),
                status="active"))  # fmt: skip
    s.commit()
    with pytest.raises(importer.RowsRejected, match="5"):
        _import(s, user, io.BytesIO(b""), kept)
    s.rollback()
    assert not _writers()


def test_a_tenant_refused_on_record_at_the_check_is_looked_up_again_with_its_rows(
    s, world, tmp_path, kept, monkeypatch
):
    """The first row's unit was missing at the check, which refused the tenant's second row
    (in another chunk) with it; the unit added, the import takes both, as a new check."""
    monkeypatch.setattr(importer, "CHUNK", 1)
    user = world["user"]
    s.delete(s.scalar(select(Unit).where(Unit.room == "101")))
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2024-01-01", 退租日期="2024-12-31"),
        _row("201", "周租", "13900000101", "2025-01-01", 退租日期="2025-12-31"),
    ]
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    report = _check(s, user, path, kept)
    assert [r.row_number for r in report.rejected] == [2, 3]
    project_id = s.scalar(select(Unit.project_id).where(Unit.room == "201"))
    s.add(Unit(project_id=project_id, building="1栋", room="101"))
    s.commit()
    outcome = _import(s, user, io.BytesIO(b""), kept)
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (2, 0)
