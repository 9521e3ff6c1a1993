"""A realistic demo office: accounts for every role, regions, projects and prospects.

Prospects go in with bulk inserts so that a million load in well under two minutes.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.people import User
from models.prospects import Prospect, Visit
from models.reference import ReferenceItem, ReferenceList
from services.accounts import create_user

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华文辉力志红玉兰海燕鹏飞宇浩然子涵欣怡梓轩思远婷雪梅晓东春生国庆"
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)
REGIONS = [
    ("south", "华南区", "South"),
    ("east", "华东区", "East"),
    ("north", "华北区", "North"),
    ("southwest", "西南区", "Southwest"),
]
PROJECTS = [
    ("cuihu", "翠湖花园", "Cuihu Garden"),
    ("jinxiu", "锦绣华庭", "Jinxiu Court"),
    ("yangguang", "阳光新城", "Sunshine New Town"),
    ("binjiang", "滨江壹号", "Riverside One"),
]
DEMO_ACCOUNTS = [
    ("clerk1", "李文静", "clerk", None),
    ("clerk2", "王海涛", "clerk", None),
    ("supervisor1", "陈国庆", "supervisor", None),
    ("region_south", "赵志强", "region_manager", "south"),
    ("region_east", "周晓东", "region_manager", "east"),
    ("custodian1", "孙秀兰", "custodian", None),
    ("admin1", "刘建华", "admin", None),
]
GRADE_WEIGHTS = (("A", 1), ("B", 3), ("C", 4), ("D", 2))
OBSERVATIONS = (
    "首次来访，关注学区和交通。",
    "电话咨询，预算有限，想看小户型。",
    "网络留言，询问开盘时间和优惠。",
    "带父母看房，关心电梯和医院。",
    "改善型需求，现住老小区，想换三房。",
)


class DemoDataError(RuntimeError):
    pass


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    prospects: int = 0
    accounts_file: str = ""

    def describe(self) -> str:
        lines = [f"demo data loaded: {self.prospects} prospects"]
        if self.accounts:
            lines.append(f"demo accounts (also written to {self.accounts_file}):")
            lines += [f"  {name:<14} {role:<15} {pw}" for name, role, pw in self.accounts]
        return "\n".join(lines)


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def random_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _list_items(session: Session, code: str) -> list[ReferenceItem]:
    return list(
        session.scalars(select(ReferenceItem).join(ReferenceList).where(ReferenceList.code == code))
    )


def _ensure_items(session: Session, code: str, entries) -> dict[str, ReferenceItem]:
    ref_list = session.scalar(select(ReferenceList).where(ReferenceList.code == code))
    if ref_list is None:
        raise DemoDataError(f"reference list {code!r} is missing: run the migrations first")
    have = {item.code: item for item in ref_list.items}
    for position, (item_code, label, label_en) in enumerate(entries, start=1):
        if item_code not in have:
            item = ReferenceItem(
                code=item_code, label=label, label_en=label_en, sort_order=position * 10
            )
            ref_list.items.append(item)
            have[item_code] = item
    session.flush()
    return have


def seed_demo(
    session: Session,
    *,
    prospect_count: int = 300,
    accounts_file: str | None = None,
    skip_if_not_empty: bool = False,
    seed: int = 20261123,
) -> DemoResult | None:
    """Load the demo office and commit; None when skipped because data exists."""
    if session.scalar(select(func.count()).select_from(User)):
        if skip_if_not_empty:
            return None
        raise DemoDataError("the database already holds accounts; demo data goes into an empty one")
    rng = random.Random(seed)
    result = DemoResult(accounts_file=accounts_file or "")

    regions = _ensure_items(session, "region", REGIONS)
    projects = _ensure_items(session, "project", PROJECTS)

    users: dict[str, User] = {}
    for username, full_name, role, region in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        users[username] = create_user(
            session,
            username=username,
            full_name=full_name,
            role_code=role,
            password=password,
            region_id=regions[region].id if region else None,
        )
        result.accounts.append((username, role, password))
    for username in ("clerk1", "clerk2"):
        users[username].superior = users["supervisor1"]
    session.flush()

    from services import demo_property

    demo_property.seed(session, rng, users=users, regions=regions, projects=projects)

    result.prospects = _bulk_prospects(session, rng, prospect_count, users, projects)
    session.commit()

    if accounts_file:
        path = Path(accounts_file)
        path.write_text(
            "".join(f"{name}\t{role}\t{pw}\n" for name, role, pw in result.accounts),
            encoding="utf-8",
        )
        path.chmod(0o600)
    return result


def _bulk_prospects(session, rng, count, users, projects) -> int:
    consultants = [users["clerk1"].id, users["clerk2"].id]
    ref = {
        code: [i.id for i in _list_items(session, code)]
        for code in (
            "source_channel",
            "purpose",
            "timeframe",
            "age_band",
            "housing",
            "awareness",
            "area_band",
            "price_band",
            "customer_type",
            "need",
            "district",
            "contact_channel",
        )
    }
    project_ids = [p.id for p in projects.values()]
    grades = [g for g, w in GRADE_WEIGHTS for _ in range(w)]
    today = date.today()
    now = utcnow()
    # Visits only for the first cards: a million cards with visits would be a different demo.
    with_visits = min(count, 20_000)
    batch: list[dict] = []
    visits: list[dict] = []
    batch_size = 20_000
    for n in range(count):
        first = today - timedelta(days=rng.randrange(0, 365))
        row = {
            "name": random_name(rng),
            "mobile": random_mobile(rng),
            "source_id": rng.choice(ref["source_channel"]),
            "project_id": rng.choice(project_ids),
            "purpose_id": rng.choice(ref["purpose"]),
            "timeframe_id": rng.choice(ref["timeframe"]),
            "age_band_id": rng.choice(ref["age_band"]),
            "housing_id": rng.choice(ref["housing"]),
            "awareness_id": rng.choice(ref["awareness"]),
            "area_band_id": rng.choice(ref["area_band"]),
            "price_band_id": rng.choice(ref["price_band"]),
            "customer_type_id": rng.choice(ref["customer_type"]),
            "need_id": rng.choice(ref["need"]),
            "district_id": rng.choice(ref["district"]),
            "grade": rng.choice(grades),
            "progress": rng.choice(("follow_up", "follow_up", "viewed", "signed")),
            "is_scout": rng.random() < 0.01,
            "consultant_id": rng.choice(consultants),
            "first_visit_on": first,
            "last_contact_on": first,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        batch.append(row)
        if n < with_visits:
            for seq in range(1, rng.choice((1, 1, 2, 3)) + 1):
                visited = first + timedelta(days=(seq - 1) * rng.randrange(3, 6))
                row["last_contact_on"] = visited
                visits.append(
                    {
                        "prospect_index": len(batch) - 1,
                        "seq": seq,
                        "visited_on": visited,
                        "channel_id": rng.choice(ref["contact_channel"]),
                        "consultant_id": row["consultant_id"],
                        "summary": rng.choice(OBSERVATIONS),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        if len(batch) >= batch_size:
            _flush_batch(session, batch, visits)
    _flush_batch(session, batch, visits)
    return count


def _flush_batch(session, batch, visits) -> None:
    if not batch:
        return
    # RETURNING in parameter order gives each card its id so its visits can point to it.
    ids = session.scalars(
        insert(Prospect).returning(Prospect.id, sort_by_parameter_order=True), batch
    ).all()
    batch.clear()
    if visits:
        for visit in visits:
            visit["prospect_id"] = ids[visit.pop("prospect_index")]
        session.execute(insert(Visit), visits)
        visits.clear()
