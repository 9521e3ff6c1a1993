"""Demo paper files (纸质档案): about a hundred folders of owners, units, dealers, paper welcome
cards and the office's own registers, each with its place in the archive room. A few are
lent out, two were destroyed (one after the completed transfer).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.clock import office_today
from demo.offices import Offices
from models.admin.people import User
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer
from models.property.property import Ownership, Unit
from models.property.transfers import Transfer
from models.sales.prospects import Prospect

OWNER_FILES = 40
UNIT_FILES = 15
DEALER_FILES = 15
PROSPECT_FILES = 10
LENT_OUT = 4
#: The management offices' own registers: (year, title, the office's key in demo.offices).
OFFICE_FILES = (
    (2012, "前期物业服务合同", "cuiyuan"),
    (2012, "业主公约签署汇总", "cuiyuan"),
    (2015, "临时出入登记表", "cuiyuan"),
    (2016, "锦绣华庭竣工验收资料", "jinyuan"),
    (2019, "阳光新城交房验收记录", "cuiyuan"),
    (2022, "滨江壹号交房验收记录", "jinyuan"),
    (2023, "业主大会会议记录", "jinyuan"),
    (2023, "消防设施检查记录", "cuiyuan"),
    (2024, "装修申请及验收记录", "jinyuan"),
    (2024, "停车场管理台账", "cuiyuan"),
    (2024, "业主投诉处理登记", "jinyuan"),
    (2025, "电梯年检报告", "jinyuan"),
    (2025, "二次供水水质检测报告", "cuiyuan"),
    (2025, "业主满意度调查问卷", "jinyuan"),
    (2025, "安全巡查记录", "cuiyuan"),
)
ROOMS = ("一号档案室", "二号档案室")


def seed(
    session: Session,
    rng: random.Random,
    *,
    users: dict[str, User],
    prospect_ids: range,
    offices: Offices | None = None,
) -> None:
    """About a hundred files; the paper welcome cards are those of the first prospects.

    A file belongs to the office of what it is about (its unit, owner or card); the
    offices' registers to their management office; dealers' files, which no office holds,
    to the group's first office."""
    today = office_today()
    # (year, title, links, room, cabinet letter)
    folders: list[tuple[int, str, dict, str, str]] = []
    ownerships = list(
        session.scalars(
            select(Ownership)
            .options(selectinload(Ownership.owner), selectinload(Ownership.unit))
            .order_by(Ownership.id)
        )
    )
    picked = rng.sample(ownerships, min(OWNER_FILES, len(ownerships)))
    sold = session.scalar(select(Transfer).where(Transfer.status == "completed").limit(1))
    for o in ownerships:
        # The seller of the completed transfer has a file: it is the one destroyed.
        if sold and o.owner_id == sold.seller_id and o.unit_id == sold.unit_id and o not in picked:
            picked.append(o)
    for o in picked:
        title = f"业主档案 {o.owner.name} {_place(o.unit)}"
        links = {"owner": o.owner, "unit": o.unit}
        folders.append((o.started_on.year, title, links, ROOMS[0], "A"))
    units = list(session.scalars(select(Unit).order_by(Unit.id)))
    for unit in rng.sample(units, min(UNIT_FILES, len(units))):
        year = min((o.started_on.year for o in unit.ownerships), default=today.year)
        folders.append((year, f"房屋档案 {_place(unit)}", {"unit": unit}, ROOMS[0], "B"))
    dealers = list(session.scalars(select(Dealer).order_by(Dealer.id)))
    for dealer in rng.sample(dealers, min(DEALER_FILES, len(dealers))):
        year = (dealer.contract_signed_on or today).year
        folders.append((year, f"经销商档案 {dealer.name}", {"dealer": dealer}, ROOMS[1], "C"))
    first_cards = list(prospect_ids[:PROSPECT_FILES])
    cards = session.execute(
        select(Prospect.id, Prospect.name, Prospect.first_visit_on, Prospect.office_id).where(
            Prospect.id.in_(first_cards)
        )
    ).all()
    for prospect_id, name, first_visit, office_id in sorted(cards):
        year = (first_visit or today).year
        title = f"温馨卡 {name} {first_visit or ''}".strip()
        # Bulk-loaded cards are not ORM objects here: the file is placed by the card's office.
        links = {"prospect_id": prospect_id, "office_id": office_id}
        folders.append((year, title, links, ROOMS[1], "D"))
    for year, title, key in OFFICE_FILES:
        links = {"office_id": offices.by_key[key].id} if offices is not None else {}
        folders.append((year, f"{year}年{title}", links, ROOMS[1], "E"))

    custodian = users.get("custodian1")
    per_year: Counter[int] = Counter()
    per_cabinet: Counter[str] = Counter()
    files = []
    for year, title, links, room, letter in sorted(folders, key=lambda f: (f[0], f[1])):
        per_year[year] += 1
        per_cabinet[letter] += 1
        slot = per_cabinet[letter] - 1
        checked = today - timedelta(days=rng.randrange(180)) if rng.random() < 0.9 else None
        archive_file = ArchiveFile(
            code=f"DA-{year}-{per_year[year]:04d}",
            title=title[:200],
            room=room,
            cabinet=f"{letter}{slot // 40 + 1:02d}",
            shelf=f"第{slot // 10 % 4 + 1}层",
            box=f"{slot // 5 + 1:03d}号盒",
            custodian=custodian,
            state="in_room",
            last_checked_on=checked,
            **links,
        )
        files.append(archive_file)
    session.add_all(files)

    _destroyed(files, sold.seller_id if sold else None)
    for archive_file in rng.sample([f for f in files if f.state == "in_room"], LENT_OUT):
        archive_file.state = "lent_out"
        archive_file.notes = "借出查阅，经办人：物业文员。"
    session.flush()


def _place(unit: Unit) -> str:
    return f"{unit.project.label} {unit.building} {unit.room}"


def _destroyed(files: list[ArchiveFile], seller_id: int | None) -> None:
    """The seller's file of the completed transfer, and a register past its keeping time."""
    seller_files = [f for f in files if f.owner is not None and f.owner.id == seller_id]
    old_register = [f for f in files if f.title.endswith("临时出入登记表")]
    for archive_file, why in (
        *((f, "产权转让完成，卖方档案经批准销毁。") for f in seller_files[:1]),
        *((f, "保管期满，经批准销毁。") for f in old_register[:1]),
    ):
        archive_file.state = "destroyed"
        archive_file.notes = why
