"""The lease-list import: a row per lease of a unit already in the panel, its tenant (one
tenant on several rows), its terms and intake."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import BindParameter, event, func, select, text
from sqlalchemy.sql import visitors

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.property.property import Lease, Tenant, Unit
from services.property import import_property
from services.shared import importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx
from tests.unit.sales.test_import_units import id_number

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")
HEADERS = ["楼盘", "楼栋", "房号", "租户姓名", "手机", "身份证号", "起租日期", "到期日期",
           "退租日期", "物业费", "水费", "电费", "燃气费", "双方到场日期", "原件查验人",
           "合同原件已查验", "合同复印件", "入住登记表", "费用已缴", "备注"]  # fmt: skip


def _row(room, name, mobile, start, **more):
    values = dict.fromkeys(HEADERS)
    values.update({"楼盘": "lakeside", "楼栋": "1栋", "房号": room, "租户姓名": name,
                   "手机": mobile, "起租日期": start})  # fmt: skip
    values.update(more)
    return [values[h] for h in HEADERS]


INTAKE = {"双方到场日期": "2025-12-28", "合同原件已查验": "是", "合同复印件": "是",
          "入住登记表": "是", "费用已缴": "是"}  # fmt: skip


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def test_leases_and_their_tenants_round_trip(s, tmp_path):
    user = make_user(s, "clerk")
    desk = make_user(s, "supervisor", full_name="郑主管")
    project = ref_item(s, "project", "lakeside")
    units = {room: Unit(project_id=project.id, building="1栋", room=room)
             for room in ("101", "102", "104", "105")}  # fmt: skip
    s.add_all(units.values())
    s.add(Tenant(name="老租户", mobile="13900000999"))
    s.flush()
    old = Tenant(name="前租户")
    s.add(old)
    s.flush()
    s.add(Lease(unit_id=units["105"].id, tenant_id=old.id, starts_on=date(2025, 1, 1),
                status="active"))  # fmt: skip
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2026-01-01", 到期日期="2026-12-31", 物业费="业主",
             水费="租户", 身份证号=id_number(3), 备注="押一付三", **INTAKE),
        _row("102", "周租", "13900000101", "2024-01-01", 到期日期="2024-12-31",
             退租日期="2024-12-31"),  # the same tenant, an ended lease
        _row("103", "钱租", "13900000103", "2026-01-01"),  # no such unit
        _row("101", "孙租", "13900000104", "2026-02-01", **INTAKE),  # a second lease in force
        _row("104", "老租户", "13900000999", "2026-01-01"),  # already a tenant
        _row("102", "吴租", "13900000106", "2025-01-01", 原件查验人="郑主管",
             合同原件已查验="是"),  # intake not complete: registering
        _row("105", "李租", "13900000107", "2026-01-01", **INTAKE),  # 105 is let already
        _row("104", "郑租", "13900000108", "2026-01-01", 物业费="物业"),  # bad payer
        _row("104", "王租", "13900000109", "2026-01-01", 到期日期="2025-01-01"),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    assert len(mapping) == len(HEADERS)
    report = importer.check_file(s, path, mapping, kind="lease", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {4, 5, 6, 8, 9, 10}, errors
    assert "103" in errors[4]
    assert "第 2 行" in errors[5] or "row 2" in errors[5]
    assert "139****0999" in errors[6] and "13900000999" not in errors[6]
    assert "物业" in errors[9] and "物业管理费" in errors[9]
    with pytest.raises(importer.RowsRejected):
        importer.import_file(
            s, user, path, mapping, skip_rejected=False, kind="lease", consent=CONSENT
        )
    s.rollback()
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="lease", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (3, 6)
    zhou = s.scalar(select(Tenant).where(Tenant.name == "周租"))
    assert zhou.id_number == id_number(3) and zhou.notes == "押一付三"
    assert zhou.office_id == units["101"].office_id
    leases = {lease.unit.room: lease for lease in zhou.leases}
    active = leases["101"]
    assert (active.status, active.starts_on, active.ends_on) == (
        "active",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert (active.management_payer, active.water_payer, active.gas_payer) == (
        "owner",
        "tenant",
        "tenant",
    )
    assert active.original_seen_by_id == user.id and active.fees_paid
    assert leases["102"].status == "ended" and leases["102"].moved_out_on == date(2024, 12, 31)
    wu = s.scalar(select(Tenant).where(Tenant.name == "吴租"))
    assert wu.leases[0].status == "registering"
    assert wu.leases[0].original_seen_by_id == desk.id
    assert s.scalar(select(func.count(Tenant.id))) == 4
    consents = s.scalar(
        select(func.count(ConsentRecord.id)).where(ConsentRecord.subject_type == "tenant")
    )
    assert consents == 2


def test_a_tenant_on_rows_of_two_chunks_is_one_tenant(s, tmp_path, monkeypatch):
    # A chunk a row, and the import's look-ups on its own connection (no writer thread):
    # the import writes the tenant with the first row's chunk, and the later rows' look-up
    # on record must not take it for a tenant already in the panel.
    monkeypatch.setattr(importer, "CHUNK", 1)
    monkeypatch.setattr(importer, "_numbers_rows", lambda conn: False)
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    s.add_all(Unit(project_id=project.id, building="1栋", room=r) for r in ("101", "102", "103"))
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2026-01-01", 身份证号=id_number(3), **INTAKE),
        _row("102", "周租", "13900000101", "2024-01-01", 退租日期="2024-12-31"),
        _row("103", "周租", None, "2023-01-01", 退租日期="2023-12-31", 身份证号=id_number(3)),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    assert importer.check_file(s, path, mapping, kind="lease", user=user).valid == 3
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=False, kind="lease", consent=CONSENT
    )
    s.commit()
    assert outcome.inserted == 3
    (zhou,) = s.scalars(select(Tenant).where(Tenant.name == "周租"))
    assert sorted(lease.unit.room for lease in zhou.leases) == ["101", "102", "103"]
    assert zhou.id_number == id_number(3)


def test_a_later_row_of_a_tenant_brings_no_number_its_first_row_lacks(s, tmp_path):
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    s.add_all(Unit(project_id=project.id, building="1栋", room=r) for r in ("101", "102", "103"))
    s.add(Tenant(name="周租", mobile="13900000202"))
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2026-01-01", **INTAKE),
        # the tenant of row 2 with an ID number row 2 does not give: it would be lost
        _row("102", "周租", "13900000101", "2024-01-01", 退租日期="2024-12-31",
             身份证号=id_number(3)),
        # a row naming two tenants of the file (row 2's by the mobile, row 5's by the ID)
        _row("103", "周租", "13900000101", "2023-01-01", 退租日期="2023-12-31",
             身份证号=id_number(4)),
        _row("103", "周租", "13900000105", "2022-01-01", 退租日期="2022-12-31",
             身份证号=id_number(4)),
    ]  # fmt: skip
    rows[2], rows[3] = rows[3], rows[2]
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    report = importer.check_file(s, path, mapping, kind="lease", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {3, 5}, errors
    assert "第 2 行" in errors[3] and "身份证" in errors[3]
    assert "第 2 行" in errors[5] and "第 4 行" in errors[5]


def test_a_number_on_a_rejected_later_row_keeps_its_third_row_to_that_tenant(s, tmp_path):
    # Row 3 gives the tenant of row 2 an ID number row 2 lacks: rejected. Row 4 gives that
    # number alone: it is the same tenant (row 3 says so), not a second 周租 with that ID;
    # row 5 gives both again: the same message as row 3, not "two tenants".
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    rooms = ("101", "102", "103", "104")
    s.add_all(Unit(project_id=project.id, building="1栋", room=r) for r in rooms)
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2026-01-01", **INTAKE),
        _row("102", "周租", "13900000101", "2024-01-01", 退租日期="2024-12-31",
             身份证号=id_number(3)),
        _row("103", "周租", None, "2023-01-01", 退租日期="2023-12-31", 身份证号=id_number(3)),
        _row("104", "周租", "13900000101", "2022-01-01", 退租日期="2022-12-31",
             身份证号=id_number(3)),
    ]  # fmt: skip
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    report = importer.check_file(s, path, mapping, kind="lease", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {3, 4, 5}, errors
    for row in (3, 4, 5):
        assert "第 2 行" in errors[row] and "身份证" in errors[row], errors[row]
    outcome = importer.import_file(
        s, user, path, mapping, skip_rejected=True, kind="lease", consent=CONSENT
    )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (1, 3)
    assert s.scalar(select(func.count(Tenant.id)).where(Tenant.name == "周租")) == 1


@pytest.mark.parametrize("chunk", [1, 1000])
def test_the_notes_of_a_tenants_rows_are_joined(s, tmp_path, monkeypatch, chunk):
    # The tenant is made from its first row; a later row's other notes are added to it (they
    # were dropped), each once, also when the rows are in chunks of their own (then updated,
    # a batch of tenants a statement); in one chunk, before the tenant is written.
    monkeypatch.setattr(importer, "CHUNK", chunk)
    updates = _tenant_updates()

    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    rooms = ("101", "102", "103", "104", "105")
    s.add_all(Unit(project_id=project.id, building="1栋", room=r) for r in rooms)
    s.commit()
    rows = [
        _row("101", "周租", "13900000101", "2026-01-01", 备注="押一付三", **INTAKE),
        _row("102", "周租", "13900000101", "2024-01-01", 退租日期="2024-12-31", 备注="押一付三"),
        _row("103", "周租", "13900000101", "2023-01-01", 退租日期="2023-12-31", 备注="已退租"),
        _row("104", "吴租", "13900000104", "2023-01-01", 退租日期="2023-12-31"),
        _row("105", "吴租", "13900000104", "2022-01-01", 退租日期="2022-12-31",
             备注="x" * importer.NOTES_MAX),
        _row("105", "周租", "13900000101", "2022-01-01", 退租日期="2022-12-31", 备注="已退租"),
        # rejected (it ends before it starts): its notes do not count against row 9's
        _row("104", "周租", "13900000101", "2021-01-01", 到期日期="2020-01-01",
             备注="z" * (importer.NOTES_MAX - 20)),
        _row("104", "周租", "13900000101", "2020-01-01", 退租日期="2020-12-31", 备注="w" * 10),
    ]  # fmt: skip
    rows.append(_row("104", "周租", "13900000101", "2021-01-01", 退租日期="2021-12-31",
                     备注="y" * (importer.NOTES_MAX - 5)))  # fmt: skip
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    report = importer.check_file(s, path, mapping, kind="lease", user=user)
    errors = {r.row_number: " ".join(r.errors) for r in report.rejected}
    assert set(errors) == {8, 10}, errors  # 10: too long with the others
    assert "第 2 行" in errors[10] and "2000" in errors[10]
    with updates:
        outcome = importer.import_file(
            s, user, path, mapping, skip_rejected=True, kind="lease", consent=CONSENT
        )
    s.commit()
    assert (outcome.inserted, outcome.skipped) == (7, 2)
    # chunks of a row: 周租's rows 4 and 9, 吴租's row 6; one chunk: none, joined before
    assert len(updates.statements) == {1: 3, 1000: 0}[chunk], updates.statements
    s.expire_all()
    zhou = s.scalar(select(Tenant).where(Tenant.name == "周租"))
    assert zhou.notes == "押一付三；已退租；" + "w" * 10 and len(zhou.leases) == 5
    wu = s.scalar(select(Tenant).where(Tenant.name == "吴租"))
    assert wu.notes == "x" * importer.NOTES_MAX
    stored = s.execute(text("SELECT notes FROM tenants WHERE id = :id"), {"id": zhou.id}).scalar()
    assert "已退租" not in str(stored)  # kept encrypted


class _tenant_updates:
    """The UPDATEs of ``tenants`` sent within the ``with`` block."""

    def __init__(self):
        self.statements: list[str] = []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE TENANTS"):
            # an executemany is a statement a parameter set (psycopg2 sends them one by one)
            self.statements += [statement] * (len(parameters) if executemany else 1)

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)


@pytest.mark.parametrize(("batch", "statements"), [(500, 1), (2, 2)])
def test_tenants_of_an_earlier_chunk_get_their_notes_a_batch_a_statement(
    s, tmp_path, monkeypatch, batch, statements
):
    # Three tenants' first rows in one chunk, their later rows' notes in the next: their
    # notes are set by one UPDATE a batch (an UPDATE a tenant was most of the writing).
    monkeypatch.setattr(importer, "CHUNK", 3)
    monkeypatch.setattr(import_property, "NOTES_UPDATE_BATCH", batch)
    user = make_user(s, "clerk")
    project = ref_item(s, "project", "lakeside")
    rooms = ("101", "102", "103", "104", "105", "106")
    s.add_all(Unit(project_id=project.id, building="1栋", room=r) for r in rooms)
    s.commit()
    names = ("周租", "吴租", "郑租")
    rows = [
        _row(room, name, f"1390000010{i}", "2026-01-01", 备注=f"首{i}", **INTAKE)
        for i, (room, name) in enumerate(zip(rooms[:3], names, strict=True))
    ]
    rows += [
        _row(room, name, f"1390000010{i}", "2024-01-01", 退租日期="2024-12-31", 备注=f"后{i}")
        for i, (room, name) in enumerate(zip(rooms[3:], names, strict=True))
    ]
    path = write_xlsx(tmp_path / "leases.xlsx", rows, HEADERS)
    mapping = importer.guess_mapping(HEADERS, "lease")
    with _tenant_updates() as updates:
        outcome = importer.import_file(
            s, user, path, mapping, skip_rejected=False, kind="lease", consent=CONSENT
        )
    s.commit()
    assert outcome.inserted == 6
    assert len(updates.statements) == statements, updates.statements
    # the engine's statement cache keeps no notes (a kept statement lives with the process)
    kept = [
        element.value
        for compiled in list((db.engine._compiled_cache or {}).values())
        for element in visitors.iterate(compiled.statement)
        if isinstance(element, BindParameter)
    ]
    assert not any("后" in str(value) for value in kept), "notes in the statement cache"
    s.expire_all()
    notes = {t.name: t.notes for t in s.scalars(select(Tenant))}
    assert notes == {"周租": "首0；后0", "吴租": "首1；后1", "郑租": "首2；后2"}
