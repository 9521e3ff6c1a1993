"""Demo owners, units and what hangs off a unit: ownerships with their history, household
members, resident smart cards, vehicle IC cards and parking spaces. Tenants, leases and
transfers follow in demo.tenancy; the people, homes and office it builds are demo.common's.

Everything is drawn from the rng handed in, so the same seed gives the same office.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session
from stdnum.cn import ric

from demo import tenancy
from demo.common import (
    Home,
    Office,
    birth_date,
    licence_plate,
    person,
    random_mobile,
    random_name,
    resident_id,
)
from demo.offices import GARAGES, Offices
from models.admin.reference import ReferenceItem
from models.property.property import (
    HouseholdMember,
    Owner,
    Ownership,
    ParkingSpace,
    ResidentCard,
    Unit,
    VehicleCard,
)

#: project code: (buildings, entrances per building, top floor, flat areas m², delivery year)
PROJECT_LAYOUT = {
    "cuihu": (("1栋", "2栋", "3栋", "5栋"), 2, 7, ("78.56", "89.20", "112.63"), 2012),
    "jinxiu": (("A座", "B座"), 2, 18, ("89.62", "118.35", "136.80"), 2016),
    "yangguang": (("6栋", "7栋", "8栋"), 3, 26, ("76.40", "95.12", "128.77"), 2019),
    "binjiang": (("1号楼", "2号楼"), 1, 33, ("143.20", "168.55", "210.08"), 2022),
}
UNITS_PER_PROJECT = 30
#: Units with a transfer: five open, one completed, one cancelled.
UNITS_FOR_SALE = 7
#: Units let: fifteen now (some after an earlier tenant), four let before and no more.
UNITS_LET = 19


def seed(session: Session, rng: random.Random, *, users, projects, offices: Offices) -> None:
    """Seed units, owners, households, cards, parking, leases and transfers (the dealers
    follow on the same rng, the archive files after the prospects: demo.seed). Every row
    belongs to the management office running its unit's estate."""
    office = Office(session, rng, users, offices=offices)
    homes = seed_homes(office, projects)
    plan = rng.sample(homes, len(homes))
    # Units for sale and let units are chosen first: their owners' households differ.
    for_sale, let = plan[:UNITS_FOR_SALE], plan[UNITS_FOR_SALE : UNITS_FOR_SALE + UNITS_LET]
    for home in let:
        home.let = True
    for home in plan:
        if not home.let:
            seed_household(office, home)
        seed_cards(office, home)
    seed_parking(office, homes)
    session.flush()
    tenancy.seed_leases(office, let)
    tenancy.seed_transfers(office, for_sale)


def seed_homes(office: Office, projects: dict[str, ReferenceItem]) -> list[Home]:
    """About 120 units across the projects, each with its current owner; some resold."""
    rng, homes = office.rng, []
    owners: list[tuple[Owner, date]] = []
    for code, (buildings, entrances, top, areas, delivered) in PROJECT_LAYOUT.items():
        # Given, not derived: the units name their project by id, the owners have none.
        office_id = office.estate_office_id(projects[code].id)
        rooms: set[tuple[str, int, int, int]] = set()
        while len(rooms) < UNITS_PER_PROJECT:
            floor, flat = rng.randint(2, top), rng.randrange(len(areas))
            rooms.add((rng.choice(buildings), rng.randint(1, entrances), floor, flat))
        for building, entrance, floor, flat in sorted(rooms):
            unit = Unit(
                project_id=projects[code].id,
                office_id=office_id,
                building=building,
                room=f"{entrance}-{floor}{flat + 1:02d}",
                floor=floor,
                area_m2=Decimal(areas[flat]),
            )
            moved_in = office.day_between(date(delivered, 6, 1), date(delivered + 1, 6, 30))
            if rng.random() < 0.15 and moved_in < office.today - timedelta(days=800):
                # Resold before: the first owner's record stays as history.
                resold = office.day_between(moved_in + timedelta(days=365), office.today)
                resold = min(resold, office.today - timedelta(days=400))
                first_owner, _ = _owner(office, 1955, 1985, office_id)
                office.session.add(
                    Ownership(unit=unit, owner=first_owner, started_on=moved_in, ended_on=resold)
                )
                moved_in = resold
            # An owner's record is kept by one office: an investor buys again in the same one.
            same_office = [(o, b) for o, b in owners if o.office_id == office_id]
            if same_office and rng.random() < 0.04:
                # An investor buying a second unit.
                owner, born = rng.choice(same_office)
            else:
                owner, born = _owner(office, 1955, 1995, office_id)
                owners.append((owner, born))
            office.session.add(Ownership(unit=unit, owner=owner, started_on=moved_in))
            homes.append(Home(unit, owner, born, moved_in))
    office.session.flush()
    return homes


def _owner(
    office: Office, first_year: int, last_year: int, office_id: int | None
) -> tuple[Owner, date]:
    p = person(office.rng, first_year, last_year)
    owner = Owner(name=p.name, mobile=p.mobile, id_number=p.id_number, office_id=office_id)
    office.session.add(owner)
    return owner, p.born


def seed_household(office: Office, home: Home) -> None:
    """Spouse, children and sometimes a parent; a few joined later or have moved out."""
    rng, today = office.rng, office.today
    born = home.owner_born
    if rng.random() < 0.7:
        spouse = birth_date(rng, born.year - 4, min(born.year + 5, today.year - 22))
        joined = home.since if rng.random() < 0.85 else office.day_between(home.since, today)
        reason = None if joined == home.since else "marriage"
        _member(office, home, "spouse", spouse, joined, reason)
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
        first = born.year + 22
        last = min(born.year + 42, today.year - 1)
        if first > last:
            break
        child = birth_date(rng, first, last)
        joined = max(home.since, child)
        _member(office, home, "child", child, joined, "birth" if child > home.since else None)
    if rng.random() < 0.2 and born.year >= 1956:  # owners whose parents may well be alive
        parent = birth_date(rng, born.year - 32, born.year - 24)
        joined = office.day_between(home.since, today)
        _member(office, home, "parent", parent, joined, "moved_in")
    for member in home.members:
        adult = (today - member.joined_on).days > 400 and _age(member, today) >= 18
        if adult and member.relation.code in ("child", "parent") and rng.random() < 0.25:
            member.left_on = office.day_between(member.joined_on, today - timedelta(days=7))
            member.change_reason = office.ref(
                "household_change_reason",
                "marriage" if member.relation.code == "child" else "moved_out",
            )


def _age(member: HouseholdMember, today: date) -> int:
    born = ric.get_birth_date(member.id_number)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _member(
    office: Office, home: Home, relation: str, born: date, joined: date, reason: str | None
) -> None:
    rng = office.rng
    adult = (office.today - born).days >= 18 * 365
    name = random_name(rng)
    if relation == "child":
        name = home.owner.name[0] + name[1:]  # the family name, a given name of their own
    member = HouseholdMember(
        unit=home.unit,
        name=name,
        relation=office.ref("relation", relation),
        id_number=resident_id(rng, born),
        mobile=random_mobile(rng) if adult else None,
        joined_on=joined,
        change_reason=office.ref("household_change_reason", reason) if reason else None,
    )
    office.session.add(member)
    home.members.append(member)


def seed_cards(office: Office, home: Home) -> None:
    """Resident cards for the owner's household (tenants get theirs with the lease) and
    vehicle cards for about two households in three."""
    rng, today = office.rng, office.today
    if not home.let:
        holders = [(home.owner.name, home.since, None)]
        for member in home.members:
            if member.mobile:  # adults carry a card
                holders.append((member.name, member.joined_on, member.left_on))
        for name, issued, left in holders:
            card = _resident_card(office, home, name, issued)
            if left:
                card.status, card.returned_on = "returned", left
            elif rng.random() < 0.05:
                # Reported lost: deactivated, and a new card issued.
                card.status = "deactivated"
                _resident_card(office, home, name, office.day_between(issued, today))
    cars = 0 if home.let else rng.choices((0, 1, 2), (33, 55, 12))[0]
    drivers = [home.owner.name] + [m.name for m in home.members if m.relation.code == "spouse"]
    for n in range(cars):
        card = VehicleCard(
            unit=home.unit,
            card_no=office.card_no("VC"),
            plate_no=licence_plate(office),
            holder_name=drivers[n % len(drivers)],
            issued_on=office.day_between(home.since, min(today, home.since + timedelta(400))),
        )
        office.session.add(card)
        home.vehicle_cards.append(card)


def _resident_card(office: Office, home: Home, name: str, issued: date) -> ResidentCard:
    card = ResidentCard(
        unit=home.unit, card_no=office.card_no("RC"), holder_name=name, issued_on=issued
    )
    office.session.add(card)
    home.resident_cards.append(card)
    return card


def seed_parking(office: Office, homes: list[Home]) -> None:
    """Underground spaces, a garage per management office: most car owners bought or rent
    one in their estate's garage, the rest are free."""
    rng, today = office.rng, office.today
    free: dict[int, list[ParkingSpace]] = {}
    for key, (prefix, levels) in GARAGES.items():
        office_id = office.offices.by_key[key].id
        spaces = [
            ParkingSpace(code=f"{prefix}-{level}-{n:03d}", tenure="free", office_id=office_id)
            for level, count in levels
            for n in range(1, count + 1)
        ]
        office.session.add_all(spaces)
        free[office_id] = rng.sample(spaces, len(spaces))
    for home in homes:
        garage = free.get(office.estate_office_id(home.unit.project_id), [])
        if not home.vehicle_cards or not garage:
            continue
        tenure = rng.choices(("bought", "rented", None), (45, 35, 20))[0]
        if tenure is None:
            continue
        space = garage.pop()
        space.tenure, space.unit, space.owner = tenure, home.unit, home.owner
        # Fees mostly paid to the end of a month around now; some are behind.
        months = rng.choice((-3, -1, 0, 0, 1, 2, 5, 11))
        month_end = date(today.year, today.month, 1) + timedelta(days=31 * (months + 1))
        space.fees_paid_until = month_end.replace(day=1) - timedelta(days=1)
        home.parking = space
