"""A realistic demo office group: four offices, accounts for every role, regions, projects,
owners and units, dealers, paper files and prospects (``flask --app app seed-demo
[--prospects N]``).

This module holds the accounts and the order of the areas; each area is seeded by its own
module: demo.offices (two sales offices, two management offices), demo.property (owners, units, households, cards, parking; leases and transfers through
demo.tenancy), demo.dealers, demo.prospects (the bulk load), demo.archives. See
docs/demo-data.md.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from config import DefaultConfig
from core.clock import office_today
from demo import archives, complaints, dealers, partners, prospects
from demo import property as property_area
from demo.common import DemoDataError
from demo.offices import record_staff, seed_offices
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from models.privacy.privacy import ConsentRecord
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
from services.admin.accounts import create_user
from services.admin.staff import record_starting_clearance
from services.admin.staff_clearance import add_months

__all__ = ["DEMO_ACCOUNTS", "DemoDataError", "DemoResult", "seed_demo"]

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
#: (username, full name, role, region). The first seven are the accounts of the one-office
#: demo, kept under their names; the others staff the second sales office and the two
#: management offices.
#: The demo account whose training runs out within the month (the admin's home page shows it).
TRAINING_DUE_SOON = "clerk6"


def _record_clearance(session: Session, users: dict[str, User]) -> None:
    """Every demo account has signed the current agreement and passed training (the gate of
    services/admin/staff_clearance.py): two months ago, one of them eleven months and some
    days ago, so it is due within the month."""
    today = office_today()
    for username, user in users.items():
        if username == TRAINING_DUE_SOON:
            on = add_months(today, -12) + timedelta(days=20)
        else:
            on = add_months(today, -2)
        record_starting_clearance(session, user, on)


DEMO_ACCOUNTS = [
    ("clerk1", "李文静", "clerk", None),
    ("clerk2", "王海涛", "clerk", None),
    ("supervisor1", "陈国庆", "supervisor", None),
    ("region_south", "赵志强", "region_manager", "south"),
    ("region_east", "周晓东", "region_manager", "east"),
    ("custodian1", "孙秀兰", "custodian", None),
    ("admin1", "刘建华", "admin", None),
    ("clerk3", "张丽娟", "clerk", None),
    ("clerk4", "黄志明", "clerk", None),
    ("supervisor2", "吴建国", "supervisor", None),
    ("clerk5", "林晓燕", "clerk", None),
    ("supervisor3", "郑国华", "supervisor", None),
    ("clerk6", "何静怡", "clerk", None),
    ("supervisor4", "马永强", "supervisor", None),
    # the outside auditor: read-only, every office, valid for the engagement (90 days)
    ("auditor1", "高文博", "auditor", None),
]
ALL_OFFICES = ("chengdong", "chengxi", "jinyuan", "cuiyuan")
#: username -> the offices (demo.offices keys) the account works for. Consultants and their
#: supervisor at each sales office, a clerk and a supervisor at each management office; the
#: custodian keeps the group's archive room. The admin and region managers have none.
ACCOUNT_OFFICES = {
    "clerk1": ("chengdong",),
    "clerk2": ("chengdong",),
    "supervisor1": ("chengdong",),
    "clerk3": ("chengxi",),
    "clerk4": ("chengxi",),
    "supervisor2": ("chengxi",),
    "clerk5": ("jinyuan",),
    "supervisor3": ("jinyuan",),
    "clerk6": ("cuiyuan",),
    "supervisor4": ("cuiyuan",),
    "custodian1": ALL_OFFICES,
}
#: username -> the superior who approves their copy requests and corrections.
SUPERIORS = {
    "clerk1": "supervisor1",
    "clerk2": "supervisor1",
    "clerk3": "supervisor2",
    "clerk4": "supervisor2",
    "clerk5": "supervisor3",
    "clerk6": "supervisor4",
}
#: (label, model) for the per-area counts of DemoResult.describe.
AREA_COUNTS = (
    ("owners", Owner),
    ("units", Unit),
    ("ownerships", Ownership),
    ("household members", HouseholdMember),
    ("resident cards", ResidentCard),
    ("vehicle cards", VehicleCard),
    ("parking spaces", ParkingSpace),
    ("tenants", Tenant),
    ("leases", Lease),
    ("transfers", Transfer),
    ("transfer items", TransferItem),
    ("dealers", Dealer),
    ("dealer data cards", DealerDataCard),
    ("potential-dealer files", PotentialDealerFile),
    ("dealer visits", DealerVisit),
    ("archive files", ArchiveFile),
    ("prospects", Prospect),
    ("prospect visits", Visit),
)


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    prospects: int = 0
    accounts_file: str = ""
    #: Rows per area after seeding, in AREA_COUNTS order.
    counts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"demo data loaded: {self.prospects:,} prospects"]
        lines += [f"  {label:<24} {count:>9,}" for label, count in self.counts.items()]
        if self.accounts:
            lines.append(f"demo accounts (also written to {self.accounts_file}):")
            lines += [f"  {name:<14} {role:<15} {pw}" for name, role, pw in self.accounts]
        return "\n".join(lines)


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
    # One generator per area, split off first, so the office is the same for any N.
    property_rng, prospect_rng, archive_rng = (random.Random(rng.getrandbits(64)) for _ in range(3))
    result = DemoResult(accounts_file=accounts_file or "")

    regions = _ensure_items(session, "region", REGIONS)
    projects = _ensure_items(session, "project", PROJECTS)

    offices = seed_offices(session, projects)

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
            offices=offices.of(ACCOUNT_OFFICES.get(username, ())),
            valid_until=office_today() + timedelta(days=90) if role == "auditor" else None,
        )
        result.accounts.append((username, role, password))
    for username, superior in SUPERIORS.items():
        users[username].superior = users[superior]
    record_staff(offices, users.values())
    session.flush()
    _record_clearance(session, users)

    property_area.seed(session, property_rng, users=users, projects=projects, offices=offices)
    # The dealers draw from the property generator where it stopped, as they always have,
    # so the office stays the same for a given seed.
    dealers.seed(session, property_rng, users=users, regions=regions)
    prospect_ids = prospects.bulk_prospects(
        session, prospect_rng, prospect_count, users, projects, offices=offices
    )
    archives.seed(session, archive_rng, users=users, prospect_ids=prospect_ids, offices=offices)
    complaints.seed(session, offices=offices)
    _record_demo_consents(session)
    partners.seed(session, users=users)
    result.prospects = len(prospect_ids)
    result.counts = {
        label: session.scalar(select(func.count()).select_from(model))
        for label, model in AREA_COUNTS
    }
    session.commit()

    if accounts_file:
        path = Path(accounts_file)
        # Created owner-only before the passwords go in, so they are never world-readable.
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(
            "".join(f"{name}\t{role}\t{pw}\n" for name, role, pw in result.accounts),
            encoding="utf-8",
        )
    return result


def _record_demo_consents(session: Session) -> None:
    """The basis each demo customer is kept on, as a real office would have recorded it:
    a card's consent when it was entered, by its consultant; an owner's contract. One
    INSERT ... SELECT each, so a million cards cost seconds."""
    purpose, version = DefaultConfig.PRIVACY_PURPOSE, DefaultConfig.PRIVACY_POLICY_VERSION
    if has_app_context():
        purpose = current_app.config.get("PRIVACY_PURPOSE", purpose)
        version = current_app.config.get("PRIVACY_POLICY_VERSION", version)
    columns = [
        "subject_type",
        "subject_id",
        "basis",
        "purpose",
        "policy_version",
        "given_at",
        "recorded_by_id",
    ]
    for subject_type, model, basis, recorder in (
        ("prospect", Prospect, "consent", Prospect.consultant_id),
        ("owner", Owner, "contract", Owner.created_by_id),
    ):
        rows = select(
            literal(subject_type),
            model.id,
            literal(basis),
            literal(purpose),
            literal(version),
            model.created_at,
            recorder,
        )
        session.execute(insert(ConsentRecord).from_select(columns, rows))
