"""Throughput and memory of the imports of potential-dealer files and dealer visits (check pass +
import pass, one transaction), as a region manager of 南区 imports them.

    .venv/bin/python bench/dealer_files_import_bench.py [--kind KIND] [ROWS ...]
    # KIND: potential_dealer, dealer_visit or all (the default); ROWS default: 10000 50000
    .venv/bin/python bench/dealer_files_import_bench.py --kind dealer_visit 2000 10000

Before the timed import, ROWS dealers are put in (untimed) by the dealer import, the list
bench/dealer_import_bench.py builds: odd rows signed dealers with a data card (licence number
9144MA…), even rows potential dealers with their first file, each with a mobile. Then:

``potential_dealer``: 潜在经销商档案, two more files per potential dealer (经销商名称, 区域, 建档日期
a week to three months back, 经营规模, 现经营产品及供应商, 合作意向, 下一步), each dealer found by
its name in the region.

``dealer_visit``: 拜访记录, a visit per dealer (拜访日期 within the last year, 经销商名称, 区域,
营业执照号, 手机, 拜访人, 拜访内容): a signed dealer named with its licence number, a potential
one with its contact's mobile (by the blind index), every fifth row without the name (found
by the licence number or mobile alone); the visitor one of three accounts of the region, every
fourth row blank (the importing region manager).

Each size and kind runs in a fresh subprocess on a new SQLite file migrated like `flask db
upgrade`, so peak memory (ru_maxrss) belongs to that size alone; with BENCH_DATABASE_URL (an
empty PostgreSQL database) it runs there instead, its schema dropped after each size
(bench/import_timing.py).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import import_timing  # noqa: E402 (after the path is set)
from bench.dealer_import_bench import HEADERS as DEALER_HEADERS  # noqa: E402
from bench.dealer_import_bench import dealer_rows  # noqa: E402

KINDS = ("potential_dealer", "dealer_visit")

FILE_HEADERS = ["经销商名称", "区域", "建档日期", "经营规模", "现经营产品及供应商", "合作意向",
                "下一步"]  # fmt: skip
VISIT_HEADERS = ["拜访日期", "经销商名称", "区域", "营业执照号", "手机", "拜访人", "拜访内容"]
#: The region's accounts a visit names as its visitor: (username, full name).
VISITORS = [("zhangwei", "张伟"), ("lina", "李娜"), ("wangqiang", "王强")]
#: The first file each potential dealer of the seeded list has (dealer_import_bench.py).
SEEDED_FILE_DAY = date(2026, 10, 8)


def file_rows(rows: int, today: date):
    """Two files per potential dealer of the seeded list (its even rows), a month apart."""
    for n in range(rows):
        dealer, second = 2 * (n // 2), n % 2
        day = today - timedelta(days=7 + 30 * second + (n // 2) % 50)
        if day == SEEDED_FILE_DAY:  # the dealer's seeded file: a day earlier
            day -= timedelta(days=1)
        yield [f"经销商{dealer}", "南区", f"{day.year}/{day.month}/{day.day}",
               f"门店{n % 7 + 1}家，年销售约{100 + n % 400}万元", "本地品牌瓷砖、卫浴，供应商三家",
               "有意试销，顾虑账期" if second else "愿意试销", "寄样品，下月再访"]  # fmt: skip


def visit_rows(rows: int, today: date):
    """A visit per seeded dealer: signed ones by licence number, potential ones by mobile."""
    for n in range(rows):
        day = today - timedelta(days=n % 365)
        name = None if n % 5 == 4 else f"经销商{n}"
        licence = f"9144MA{n:010d}" if n % 2 else None
        mobile = None if n % 2 else f"139{n:08d}"
        visitor = None if n % 4 == 3 else VISITORS[n % 3][1]
        yield [day, name, "南区", licence, mobile, visitor,
               f"了解第{n % 12 + 1}月销售情况，商谈新品进货与促销支持"]  # fmt: skip


def one_size(rows: int, kind: str) -> None:
    from sqlalchemy import select

    from core.clock import office_today
    from extensions import db
    from models.admin.reference import ReferenceItem, ReferenceList
    from services.admin.accounts import create_user
    from services.shared import import_kinds, importer
    from tests.importing import write_xlsx

    assert kind in KINDS and kind in import_kinds.KINDS, kind
    headers = FILE_HEADERS if kind == "potential_dealer" else VISIT_HEADERS
    mapping = importer.guess_mapping(headers, kind)
    assert sorted(mapping.values()) == list(range(len(headers))), mapping  # every header mapped
    assert set(mapping) == set(importer.KINDS[kind].fields), mapping  # every field has one
    folder = import_timing.bench_folder()
    dealers = folder / "dealers.xlsx"
    write_xlsx(dealers, dealer_rows(rows), headers=DEALER_HEADERS)
    with import_timing.bench_app(folder):
        regions = db.session.scalar(select(ReferenceList).where(ReferenceList.code == "region"))
        south = ReferenceItem(code="bench_south", label="南区", sort_order=1)
        regions.items.append(south)
        db.session.flush()
        for username, full_name in VISITORS:
            create_user(
                db.session,
                username=username,
                full_name=full_name,
                role_code="region_manager",
                password="bench-password-123",  # noqa: S106 (throw-away bench accounts)
                region_id=south.id,
            )
        user = import_timing.bench_user("region_manager", region_id=south.id)
        # the dealers the rows name, untimed
        seeded = importer.import_file(
            db.session,
            user,
            dealers,
            importer.guess_mapping(DEALER_HEADERS, "dealer"),
            skip_rejected=False,
            kind="dealer",
            consent=importer.ConsentBasis("contract", "bench", "bench"),
        )
        db.session.commit()
        assert seeded.inserted == rows, seeded
        path = folder / f"{kind}.xlsx"
        today = office_today()
        write_xlsx(path, (file_rows if kind == "potential_dealer" else visit_rows)(rows, today),
                   headers=headers)  # fmt: skip
        basis = "consent" if kind == "potential_dealer" else "contract"
        timing = import_timing.timed_import(
            rows, path, headers, kind, user, importer.ConsentBasis(basis, "bench", "bench")
        )
    report, outcome = timing.report, timing.outcome
    rejected = [(r.row_number, r.errors) for r in report.rejected[:5]]
    assert report.valid == rows and outcome.inserted == rows, (report.valid, outcome, rejected)
    print(timing.line(kind))


def kinds(chosen: str | None) -> list[str]:
    if chosen is None or chosen == "all":
        return list(KINDS)
    assert chosen in KINDS, f"--kind: {' '.join(KINDS)} or all, not {chosen}"
    return [chosen]


if __name__ == "__main__":
    import_timing.main(__file__, __doc__, one_size, kinds)
