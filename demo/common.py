"""What several areas of the demo office share: names and mobiles, reference items, the
error, and the people, homes and office the property and tenancy areas build on.

Everything is drawn from the rng handed in, so the same seed gives the same office.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from core.clock import office_today, utc_from_office
from demo.offices import Offices
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.base import utcnow
from models.property.property import (
    HouseholdMember,
    Owner,
    ParkingSpace,
    ResidentCard,
    Unit,
    VehicleCard,
)

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
#: Birth-place codes of resident ID numbers with the first birth year they are valid for:
#: mostly the office's city (Shenzhen), then the places its buyers come from. People born
#: before a district existed carry a city-level code.
AREA_CODES = (
    *(("440303", 1983), ("440304", 1983), ("440305", 1983), ("440306", 1992)) * 3,
    *(("440307", 1992), ("440300", 0)) * 3,
    ("440106", 1985),
    ("441900", 1988),
    ("430102", 1983),
    ("420106", 1983),
    ("360102", 1983),
    ("510107", 1990),
    ("110105", 0),
    ("310104", 0),
    ("440100", 0),
    ("440500", 0),
    ("440600", 0),
    ("440800", 0),
    ("430100", 0),
    ("420100", 0),
    ("360100", 0),
    ("510100", 0),
)
#: Plates: mostly the city's own (粤B), some from the province and further away.
PLATE_PREFIXES = ("粤B",) * 8 + ("粤A", "粤S", "湘A", "赣A")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are not used on plates


class DemoDataError(RuntimeError):
    pass


def random_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def random_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def reference_items(session: Session, list_code: str) -> dict[str, ReferenceItem]:
    """The items of a reference list by item code; DemoDataError when the list is missing."""
    ref_list = session.scalar(select(ReferenceList).where(ReferenceList.code == list_code))
    if ref_list is None:
        raise DemoDataError(f"reference list {list_code!r} is missing: run the migrations first")
    return {item.code: item for item in ref_list.items}


@dataclass
class Person:
    name: str
    mobile: str
    id_number: str
    born: date


@dataclass
class Home:
    """A unit with its current owner and what the seeding gave them."""

    unit: Unit
    owner: Owner
    owner_born: date
    since: date
    members: list[HouseholdMember] = field(default_factory=list)
    resident_cards: list[ResidentCard] = field(default_factory=list)
    vehicle_cards: list[VehicleCard] = field(default_factory=list)
    parking: ParkingSpace | None = None
    #: Let to a tenant: the owner lives elsewhere.
    let: bool = False


@dataclass
class Office:
    """What every area's seeding shares: the session, the rng, the day and the lists."""

    session: Session
    rng: random.Random
    users: dict[str, User]
    today: date = field(default_factory=office_today)
    refs: dict[str, dict[str, ReferenceItem]] = field(default_factory=dict)
    next_card: int = 0
    plates: set[str] = field(default_factory=set)
    #: The group's offices (demo.offices): where each estate's rows go, who works there.
    offices: Offices | None = None

    def ref(self, list_code: str, code: str) -> ReferenceItem:
        """The item ``code`` of the reference list ``list_code``."""
        return self._list(list_code)[code]

    def items(self, list_code: str) -> list[ReferenceItem]:
        """The active items of a list, in the admin's order."""
        return [item for item in self._list(list_code).values() if item.active]

    def _list(self, list_code: str) -> dict[str, ReferenceItem]:
        if list_code not in self.refs:
            self.refs[list_code] = reference_items(self.session, list_code)
        return self.refs[list_code]

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange(max(1, (end - start).days + 1)))

    def moment_on(self, day: date) -> datetime:
        """An office-hours moment of ``day`` as naive UTC, never in the future."""
        local = datetime.combine(day, time(self.rng.randrange(9, 18), self.rng.randrange(60)))
        return min(utcnow(), utc_from_office(local))

    def card_no(self, prefix: str) -> str:
        self.next_card += 1
        return f"{prefix}{self.next_card:07d}"

    def estate_office_id(self, project_id: int) -> int | None:
        """The management office running the project's estate (None: the hook decides)."""
        if self.offices is None:
            return None
        return self.offices.holding(project_id, "management").id

    def clerk(self, office_id: int | None = None) -> User:
        """A clerk of the office (of the demo's first two clerks without one)."""
        clerks = self.offices.people(office_id, "clerk") if self.offices and office_id else []
        if not clerks:
            return self.users[self.rng.choice(("clerk1", "clerk2"))]
        return self.rng.choice(clerks)

    def first_clerk(self, office_id: int | None) -> User:
        """The office's first clerk, drawing nothing from the generator."""
        clerks = self.offices.people(office_id, "clerk") if self.offices and office_id else []
        return clerks[0] if clerks else self.users["clerk1"]


def birth_date(rng: random.Random, first_year: int, last_year: int) -> date:
    return date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def resident_id(rng: random.Random, born: date) -> str:
    """A resident ID number that passes stdnum's checks: a birth-place code in use at the
    birth, the birth date, a sequence number and the check character."""
    area = rng.choice([code for code, since in AREA_CODES if since <= born.year])
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    # calc_check_digit reads the first 17 characters of an 18-character number.
    number = body + ric.calc_check_digit(body + "0")
    if not ric.is_valid(number):
        raise DemoDataError(f"AREA_CODES: {area} is not valid for a birth in {born.year}")
    return number


def person(rng: random.Random, first_year: int, last_year: int) -> Person:
    born = birth_date(rng, first_year, last_year)
    return Person(random_name(rng), random_mobile(rng), resident_id(rng, born), born)


def licence_plate(office: Office) -> str:
    """A plate such as 粤B12345 (stored without the dot of 粤B·12345), unique in the office."""
    rng = office.rng
    while True:
        prefix = rng.choice(PLATE_PREFIXES)
        if rng.random() < 0.15:  # new-energy plates: D or F and five digits
            plate = prefix + rng.choice("DF") + f"{rng.randrange(10**5):05d}"
        else:
            chars = [rng.choice("0123456789") for _ in range(5)]
            if rng.random() < 0.5:
                chars[rng.randrange(2)] = rng.choice(PLATE_LETTERS)
            plate = prefix + "".join(chars)
        if plate not in office.plates:
            office.plates.add(plate)
            return plate
