"""Throughput and memory of the property imports (check pass + import pass, one transaction).

    .venv/bin/python bench/property_import_bench.py [--kind KIND|all] [ROWS ...]
    .venv/bin/python bench/property_import_bench.py --kind lease 2000 10000

KIND (default ``all``: each in turn):

``owner``: an owner list, a row per owner: name, mobile, ID number, every fourth a landline,
an address and a note. Nothing is put in first.

``lease``: a lease list, a row per lease of a unit already in the panel: its tenant (name,
mobile, ID number), the term, who pays each fee, the date both parties came, who saw the
original contract (a supervisor of the office) and the four intake ticks: a lease in force
on three rows of four; the fourth is an ended earlier lease (moved out) of the tenant of the
row above, on a unit of its own (a tenant on two rows is one tenant). A unit per row is put
in first, with its owner.

``parking_space``: a parking-space list: its code, its tenure and, for a bought or rented
space, its unit and the date its fees are paid until; a row in three is a free space (no
unit). A unit per three rows is put in first, with its owner (a bought space's owner is the
unit's).

``resident_card``: a resident-card list: card number, holder, issue date, every tenth card
returned (its return date), the holder's unit; three cards a unit, the units put in first.

``vehicle_card``: a vehicle-card list: as the resident cards plus the licence plate (unique;
every fifth a new-energy plate); two cards a unit, the units put in first.

The units are put in (untimed) by the unit import, a row per unit with its owner, by the
same clerk who then imports the sheet with the contract as the basis. People have real 2-4
character names (bench/names.py; ``BENCH_NAMES=numbered``: numbered ones). Each size and kind
runs in a fresh subprocess on a new SQLite file migrated like `flask db upgrade`, so peak
memory (ru_maxrss) belongs to that size alone; with BENCH_DATABASE_URL (an empty PostgreSQL
database) it runs there instead, its schema dropped after each size (bench/import_timing.py).
Default sizes: 10000 and 50000 rows.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import import_timing  # noqa: E402 (after the path is set)
from bench.names import bench_names  # noqa: E402

KINDS = ("owner", "lease", "parking_space", "resident_card", "vehicle_card")
PROJECT = "湖畔"
#: Birth places python-stdnum knows down to the county (an ID number must name one).
ID_PLACES = ("110105", "310104")
#: The plate's letter after the province: one per 100,000 rows.
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"

OWNER_HEADERS = ["业主姓名", "手机", "身份证号", "座机", "联系地址", "备注"]
UNIT_HEADERS = ["项目", "楼栋", "房号", "楼层", "建筑面积", "业主姓名", "手机"]
LEASE_HEADERS = ["项目", "楼栋", "房号", "租户姓名", "租户手机", "身份证号", "起租日期",
                 "到期日期", "退租日期", "物业费缴纳方", "水费缴纳方", "电费缴纳方",
                 "燃气费缴纳方", "双方到场日期", "原件查验人", "合同原件已查验", "合同复印件",
                 "入住登记表", "费用已缴", "备注"]  # fmt: skip
PARKING_HEADERS = ["车位编号", "车位性质", "项目", "楼栋", "房号", "停车费缴至"]
RESIDENT_HEADERS = ["卡号", "持卡人", "发卡日期", "退卡日期", "项目", "楼栋", "房号"]
VEHICLE_HEADERS = ["卡号", "车牌号", "持卡人", "发卡日期", "退卡日期", "项目", "楼栋", "房号"]
#: The desk account named as having seen the original contracts.
DESK_NAME = "郑主管"


def unit_of(u: int) -> list:
    """Project, building and room of the ``u``-th unit: 30 floors of 4 flats a building."""
    floor, flat = divmod(u % 120, 4)
    return [PROJECT, f"{u // 120 + 1}栋", f"{floor + 1}{flat + 1:02d}"]


def id_number(n: int) -> str:
    """A valid, unique mainland ID number for row ``n``."""
    m = n // len(ID_PLACES)
    born = date(1955, 1, 1) + timedelta(days=(m // 999) * 7)
    body = f"{ID_PLACES[n % len(ID_PLACES)]}{born:%Y%m%d}{m % 999 + 1:03d}"
    from stdnum.cn import ric

    # calc_check_digit reads the first 17 characters of an 18-character number.
    return body + ric.calc_check_digit(body + "0")


def owner_rows(rows: int):
    names = bench_names(rows, prefix="业主")
    for n in range(rows):
        yield [names[n], f"138{n:08d}", id_number(n),
               f"020-8{n % 10_000_000:07d}" if n % 4 == 0 else None,
               f"广州市天河区湖畔路{n % 500 + 1}号", "老业主" if n % 7 == 0 else None]  # fmt: skip


def unit_rows(units: int):
    names = bench_names(units, prefix="业主")
    for u in range(units):
        yield [*unit_of(u), u % 120 // 4 + 1, "98.5㎡", names[u], f"139{u:08d}"]


def lease_rows(rows: int, today: date):
    names = bench_names(rows, prefix="租户")
    for n in range(rows):
        if n % 4 == 3:  # an ended earlier lease of the tenant of the row above
            t = n - 1
            start = today - timedelta(days=900 + n % 300)
            end = start + timedelta(days=364)
            yield [*unit_of(n), names[t], f"137{t:08d}", id_number(t), start.isoformat(),
                   end.isoformat(), end.isoformat(), "租户", "租户", "租户", "租户", None, None,
                   None, None, None, None, "已退租"]  # fmt: skip
            continue
        start = today - timedelta(days=30 + n % 700)
        yield [*unit_of(n), names[n], f"137{n:08d}", id_number(n), start.isoformat(),
               (start + timedelta(days=729)).isoformat(), None,
               "业主" if n % 3 == 0 else "租户", "租户", "租户", "租户",
               (start - timedelta(days=3)).isoformat(), DESK_NAME, "是", "是", "是", "是",
               "押一付三" if n % 5 == 0 else None]  # fmt: skip


def parking_rows(rows: int, today: date):
    paid_until = date(today.year, 12, 31).isoformat()
    for n in range(rows):
        code = f"B{n % 3 + 1}-{n:06d}"
        if n % 3 == 0:
            yield [code, "空置", None, None, None, None]
        else:
            yield [code, "已购" if n % 3 == 1 else "月租", *unit_of(n // 3), paid_until]


def resident_rows(rows: int, today: date):
    names = bench_names(rows, prefix="住户")
    for n in range(rows):
        issued = today - timedelta(days=60 + n % 1000)
        returned = issued + timedelta(days=30) if n % 10 == 9 else None
        yield [f"ZH{n:08d}", names[n], issued.isoformat(),
               returned and returned.isoformat(), *unit_of(n // 3)]  # fmt: skip


def plate(n: int) -> str:
    letter, number = PLATE_LETTERS[n // 100_000], n % 100_000
    return f"粤{letter}D{number:05d}" if n % 5 == 4 else f"粤{letter}{number:05d}"


def vehicle_rows(rows: int, today: date):
    names = bench_names(rows, prefix="车主")
    for n in range(rows):
        issued = today - timedelta(days=60 + n % 1000)
        returned = issued + timedelta(days=30) if n % 10 == 9 else None
        yield [f"CL{n:08d}", plate(n), names[n], issued.isoformat(),
               returned and returned.isoformat(), *unit_of(n // 2)]  # fmt: skip


#: kind -> (headers, rows function (rows, today), units to put in first (rows)).
SHEETS = {
    "owner": (OWNER_HEADERS, lambda rows, _today: owner_rows(rows), lambda rows: 0),
    "lease": (LEASE_HEADERS, lease_rows, lambda rows: rows),
    "parking_space": (PARKING_HEADERS, parking_rows, lambda rows: (rows + 2) // 3),
    "resident_card": (RESIDENT_HEADERS, resident_rows, lambda rows: (rows + 2) // 3),
    "vehicle_card": (VEHICLE_HEADERS, vehicle_rows, lambda rows: (rows + 1) // 2),
}


def full_mapping(headers: list[str], kind: str) -> dict[str, int]:
    from services.shared import importer

    mapping = importer.guess_mapping(headers, kind)
    assert sorted(mapping.values()) == list(range(len(headers))), (kind, mapping)
    return mapping


def seed_units(folder: Path, user, units: int, basis) -> None:
    """``units`` units with their owners, by the unit import (untimed)."""
    from extensions import db
    from services.shared import importer
    from tests.importing import write_xlsx

    path = write_xlsx(folder / "units.xlsx", unit_rows(units), headers=UNIT_HEADERS)
    outcome = importer.import_file(
        db.session,
        user,
        path,
        full_mapping(UNIT_HEADERS, "unit"),
        skip_rejected=False,
        kind="unit",
        consent=basis,
    )
    db.session.commit()
    assert outcome.inserted == units, outcome


def one_size(rows: int, kind: str = "owner") -> None:
    from sqlalchemy import select

    from core.clock import office_today
    from extensions import db
    from models.admin.reference import ReferenceItem, ReferenceList
    from services.admin.accounts import create_user
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert kind in import_kinds.KINDS, kind
    headers, make_rows, units = SHEETS[kind]
    full_mapping(headers, kind)
    folder = import_timing.bench_folder()
    path = folder / f"{kind}.xlsx"
    with import_timing.bench_app(folder):
        projects = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "project"))
        projects.items.append(ReferenceItem(code="lakeside", label=PROJECT, sort_order=10))
        if kind == "lease":  # the supervisor the sheet names as having seen the originals
            create_user(
                db.session,
                username="bench-desk",
                full_name=DESK_NAME,
                role_code="supervisor",
                password="bench-password-123",  # noqa: S106 (a throw-away bench account)
            )
        user = import_timing.bench_user("clerk")
        basis = importer.ConsentBasis("contract", "bench", "bench")
        assert basis.basis in importer.KINDS[kind].consent_bases
        if units(rows):
            seed_units(folder, user, units(rows), basis)
        write_xlsx(path, make_rows(rows, office_today()), headers=headers)
        timing = import_timing.timed_import(rows, path, headers, kind, user, basis)
    report, outcome = timing.report, timing.outcome
    rejected = [(r.row_number, r.errors) for r in report.rejected[:3]]
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome, rejected)
    print(timing.line(kind))


def kinds(chosen: str | None) -> list[str]:
    if chosen is None or chosen == "all":
        return list(KINDS)
    assert chosen in KINDS, f"--kind: one of {', '.join(KINDS)} or all"
    return [chosen]


if __name__ == "__main__":
    import_timing.main(__file__, __doc__, one_size, kinds)
