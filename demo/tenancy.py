"""Demo tenants and leases, and property-right transfers with their checklists: open ones at
every stage, one completed (the buyer moved in, the seller's record stays as history) and one
cancelled. Works on the homes demo.property built.
"""

from __future__ import annotations

from datetime import date, timedelta

from demo.common import Home, Office, licence_plate, person
from models.property.property import Lease, Owner, Ownership, ResidentCard, Tenant, VehicleCard
from models.property.transfers import Transfer, TransferItem
from services.property import leases

ACTIVE_LEASES = 15
TENANT_NOTES = (None, None, None, "公司租赁，联系人为行政部。", "合租，两人。", "带一只小型犬。")
#: Kinds of transfer items ticked when the documents come in, before fees and cards.
PAPER_ITEMS = (
    "contract_original",
    "contract_copy",
    "notary_original",
    "notary_copy",
    "covenant_returned",
    "manual_returned",
    "guarantee_returned",
)
#: How far each open transfer has got: the share of its checklist ticked.
OPEN_PROGRESS = (0.0, 0.3, 0.5, 0.75, 0.95)
TRANSFER_NOTES = (None, "买方按揭办理中。", "双方约定月底前交房。", None)


def seed_leases(office: Office, homes: list[Home]) -> None:
    """Active leases on most of ``homes``; a few ended leases, some before a current one."""
    rng, today = office.rng, office.today
    for n, home in enumerate(homes):
        active = n < ACTIVE_LEASES
        moved_out = home.since
        if not active or rng.random() < 0.2:
            # An ended lease: the previous tenant of a unit let now, or a unit let no more.
            ends = office.day_between(home.since + timedelta(days=400), today - timedelta(60))
            starts = max(home.since, ends - timedelta(days=365 * rng.choice((1, 2)) - 1))
            lease, cards = _lease(office, home, starts, ends)
            moved_out = ends - timedelta(days=rng.choice((0, 0, 3, 15)))
            lease.status, lease.moved_out_on = "ended", max(starts, moved_out)
            for card in cards:
                card.status, card.returned_on = "returned", lease.moved_out_on
        if not active:
            continue
        if n == 0:
            # Registered today: the move-in form and the fees are still to come.
            lease, _ = _lease(office, home, today, today + timedelta(days=364))
            lease.move_in_form_done, lease.fees_paid = False, False
            leases.settle_status(office.session, lease)
            continue
        earliest = max(moved_out + timedelta(days=1), today - timedelta(days=700))
        starts = office.day_between(earliest, today - timedelta(days=3))
        years = 1
        while starts + timedelta(days=365 * years - 1) < today:
            years += 1
        _lease(office, home, starts, starts + timedelta(days=365 * years - 1))
    office.session.flush()


def _lease(
    office: Office, home: Home, starts: date, ends: date
) -> tuple[Lease, list[ResidentCard | VehicleCard]]:
    """A lease to a new tenant, with the cards issued to the tenant at move-in."""
    rng = office.rng
    p = person(rng, 1970, 2003)
    tenant = Tenant(
        name=p.name,
        mobile=p.mobile,
        id_number=p.id_number,
        notes=rng.choice(TENANT_NOTES),
        # A tenant belongs to the office running the unit they rent (nothing else places them).
        office_id=home.unit.office_id,
    )

    def payer(owner_share: float) -> str:
        return "owner" if rng.random() < owner_share else "tenant"

    lease = Lease(
        unit=home.unit,
        tenant=tenant,
        starts_on=starts,
        ends_on=ends,
        contract_seen=True,
        contract_copy_kept=True,
        management_payer=payer(0.4),
        water_payer=payer(0.1),
        electricity_payer=payer(0.1),
        gas_payer=payer(0.1),
        move_in_form_done=True,
        fees_paid=True,
        # The random stream is left as it was, so the rest of the demo stays the same.
        both_parties_came_on=starts,
        original_seen_by=office.first_clerk(home.unit.office_id),
    )
    leases.settle_status(office.session, lease)
    office.session.add(lease)
    cards: list[ResidentCard | VehicleCard] = []
    holders = [tenant.name] + ([person(rng, 1970, 2003).name] if rng.random() < 0.3 else [])
    for name in holders:
        cards.append(
            ResidentCard(
                unit=home.unit,
                card_no=office.card_no("RC"),
                holder_name=name,
                tenant=tenant,
                issued_on=starts,
            )
        )
    if rng.random() < 0.3:
        cards.append(
            VehicleCard(
                unit=home.unit,
                card_no=office.card_no("VC"),
                plate_no=licence_plate(office),
                holder_name=tenant.name,
                issued_on=starts,
            )
        )
    office.session.add_all(cards)
    return lease, cards


def seed_transfers(office: Office, homes: list[Home]) -> None:
    """Open transfers at every stage, then one completed and one cancelled."""
    rng, today = office.rng, office.today
    for home, progress in zip(homes, OPEN_PROGRESS, strict=False):
        opened = today - timedelta(days=rng.randrange(2, 46))
        transfer = _transfer(office, home, opened)
        items = transfer.items
        _tick(office, transfer, items[: round(len(items) * progress)], today)
    if len(homes) > len(OPEN_PROGRESS):
        _complete(office, homes[len(OPEN_PROGRESS)])
    if len(homes) > len(OPEN_PROGRESS) + 1:
        opened = today - timedelta(days=rng.randrange(90, 150))
        transfer = _transfer(office, homes[len(OPEN_PROGRESS) + 1], opened)
        papers = [item for item in transfer.items if item.kind.code in PAPER_ITEMS]
        _tick(office, transfer, papers[: rng.randint(2, 5)], opened + timedelta(days=20))
        transfer.status = "cancelled"
        transfer.cancel_reason = "买方银行贷款未获批准，双方协商解除转让。"
    office.session.flush()


def _transfer(office: Office, home: Home, opened: date) -> Transfer:
    """A transfer of ``home`` by its current owner to a new owner, with its checklist."""
    p = person(office.rng, 1965, 2000)
    buyer = Owner(
        name=p.name, mobile=p.mobile, id_number=p.id_number, office_id=home.unit.office_id
    )
    transfer = Transfer(
        unit=home.unit,
        seller=home.owner,
        buyer=buyer,
        status="open",
        opened_on=opened,
        notes=office.rng.choice(TRANSFER_NOTES),
    )
    office.session.add_all((buyer, transfer))
    position = 0
    for kind in office.items("transfer_item"):
        targets: list[dict] = [{}]
        if kind.code == "resident_card_returned":
            targets = [{"resident_card": c} for c in home.resident_cards if c.status == "active"]
        elif kind.code == "vehicle_card_returned":
            targets = [{"vehicle_card": c} for c in home.vehicle_cards if c.status == "active"]
        elif kind.code == "parking_returned" and not (
            home.parking and home.parking.tenure == "bought"
        ):
            targets = []
        for target in targets:
            position += 1
            transfer.items.append(TransferItem(kind=kind, position=position, **target))
    return transfer


def _tick(office: Office, transfer: Transfer, items: list[TransferItem], until: date) -> date:
    """Tick ``items`` in order between the opening and ``until``; returns the last day."""
    day = transfer.opened_on
    for item in items:
        day = office.day_between(day, max(day, until))
        item.done_at = office.moment_on(day)
        item.done_by = office.clerk(transfer.unit.office_id)
        item.note = _note(office, item, day)
        if item.resident_card is not None:
            item.resident_card.status, item.resident_card.returned_on = "returned", day
        if item.vehicle_card is not None:
            item.vehicle_card.status, item.vehicle_card.returned_on = "returned", day
    return day


def _note(office: Office, item: TransferItem, day: date) -> str | None:
    rng, code = office.rng, item.kind.code
    receipt = f"{day:%Y%m}{rng.randrange(10**5):05d}"
    notes = {
        "contract_copy": "复印件已归档。",
        "notary_copy": "公证书复印件已归档。",
        "water_settled": f"水费收据 SF{receipt}",
        "electricity_settled": f"电费收据 DF{receipt}",
        "gas_settled": "燃气公司结清证明已收。",
        "management_settled": f"物业费收据 WY{receipt}，缴至{day:%Y年%m月}",
        "archive_handled": "卖方档案留存，随房屋档案归档。",
        "parking_returned": "车位已交回，车位费已结清。",
    }
    if item.resident_card is not None:
        return f"卡号 {item.resident_card.card_no}"
    if item.vehicle_card is not None:
        return f"卡号 {item.vehicle_card.card_no}，车牌 {item.vehicle_card.plate_no}"
    return notes.get(code)


def _complete(office: Office, home: Home) -> None:
    """A transfer completed last month: every item done, the buyer is the owner now."""
    rng, session = office.rng, office.session
    opened = office.today - timedelta(days=rng.randrange(45, 80))
    transfer = _transfer(office, home, opened)
    done = _tick(office, transfer, transfer.items, opened + timedelta(days=25))
    transfer.status, transfer.completed_on = "completed", done
    current = next(o for o in home.unit.ownerships if o.ended_on is None)
    current.ended_on = done
    session.flush()  # the old ownership ends before the new one starts (one current per unit)
    session.add(Ownership(unit=home.unit, owner=transfer.buyer, started_on=done))
    for member in home.members:
        if member.left_on is None:
            member.left_on = done
            member.change_reason = office.ref("household_change_reason", "moved_out")
    for card in home.resident_cards:
        if card.status == "active":
            card.status, card.returned_on = "returned", done
    if home.parking is not None:
        space = home.parking
        if space.tenure == "bought":
            space.tenure, space.unit, space.owner, space.fees_paid_until = "free", None, None, None
        else:
            space.owner = transfer.buyer  # a rented space goes on with the new owner
    home.owner = transfer.buyer
    card = ResidentCard(
        unit=home.unit,
        card_no=office.card_no("RC"),
        holder_name=transfer.buyer.name,
        issued_on=done,
    )
    session.add(card)
    home.resident_cards.append(card)
