"""Import kinds of the property records (services/shared/importer.py does the rest).

``unit``: a unit list with its owners and household members in ONE sheet, a row per person:
the unit's columns (project, building, room, floor, area) are repeated on each of its rows
or written on its first row only (the rows below it, unit columns blank, belong to it:
"filled down"; merged cells read as their value). The first person of a unit is its owner
unless the relation or role column says otherwise; the others are its household members.
A unit already in the panel, a second owner of a unit, a person of a rejected unit are
row errors. The writer inserts, per chunk, the new units, then their owners and ownerships,
then the household members, in bulk, each placed in the unit's office (the office holding
the unit's project, else the importer's: importer._office_placer).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, select, true, update

from core.clock import office_today
from core.masking import mask
from models.admin.people import Role, User
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
from models.types import blind_indexes_for
from services.admin.offices import office_filter
from services.sales.consultants import in_offices_of
from services.shared import importer
from services.shared.importer import Kind, RowChecker, RowResult, Writer
from services.shared.unit_keys import unit_key_clauses

#: Unit columns; the three first name the unit.
UNIT_FIELDS = ("project", "building", "room", "floor", "area_m2", "unit_notes")
UNIT_KEY = ("project", "building", "room")
#: How a sheet says a person is the owner or a household member.
OWNER_WORDS = ("业主", "本人", "户主", "产权人", "房主", "owner", "self")
MEMBER_WORDS = ("家庭成员", "成员", "家属", "同住人", "member", "householdmember", "household")
#: What only an owner's row may hold (a household member has no such field).
OWNER_ONLY = ("landline", "address", "notes")


def _labels() -> dict[str, str]:
    return {
        "project": _("Project"),
        "building": _("Building"),
        "room": _("Room"),
        "floor": _("Floor"),
        "area_m2": _("Floor area (m²)"),
        "unit_notes": _("Notes on the unit"),
        "person": _("Owner or household member"),
        "relation": _("Relation to owner"),
        "started_on": _("Since (ownership or moving in)"),
    }


class UnitChecker(RowChecker):
    """Checks a row per person of a unit list; knows the units met so far in the file."""

    def __init__(self, session, mapping, kind="unit", user=None):
        super().__init__(session, mapping, kind, user)
        #: The unit cells of the last row that named its unit (filled down below it).
        self.last_unit: dict[str, object] | None = None
        #: {(project id, building, room): [row of the unit, row of its owner or None]}.
        self.units: dict[tuple, list] = {}

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(self._filled(values), errors)
        key = tuple(record.get(k) for k in ("project_id", "building", "room"))
        is_owner = record.pop("is_owner", None)
        if None not in key:
            unit = self.units.get(key)
            if unit is None:
                unit = self.units[key] = [row_number, None]
                record["unit_row"] = row_number
                is_owner = True if is_owner is None else is_owner
            else:
                record["unit_of"] = unit[0]
                is_owner = bool(is_owner)
                if unit[0] in self.wrong:
                    errors.append(
                        _("Row %(row)s of this unit is rejected: fix it first.", row=unit[0])
                    )
            if is_owner:
                if unit[1] is not None:
                    errors.append(_("The unit already has its owner on row %(row)s.", row=unit[1]))
                else:
                    unit[1] = row_number
            else:
                for target in OWNER_ONLY:
                    if record.get(target):
                        errors.append(
                            _(
                                "%(what)s is kept for the owner only: put it on the owner's row.",
                                what=importer.field_labels(self.kind_name)[target],
                            )
                        )
        record["is_owner"] = bool(is_owner)
        if is_owner:
            self._unique_owner(row_number, record, errors)
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    def _filled(self, values: tuple) -> tuple:
        """The row with its unit's cells taken from the row above when its own are blank."""
        cells = {t: self._cell(values, t) for t in UNIT_FIELDS if t in self.mapping}
        if any(cells.get(t) is not None for t in UNIT_KEY):
            self.last_unit = cells
            return values
        if self.last_unit is None:
            return values
        filled = list(values)
        for target, raw in self.last_unit.items():
            index = self.mapping[target]
            if index < len(filled):
                filled[index] = raw
        return tuple(filled)

    def _unique_owner(self, row_number: int, record: dict, errors: list[str]) -> None:
        for target in ("mobile", "id_number"):
            value = record.get(target)
            if not value:
                continue
            earlier = self.seen.get((target, value))
            if earlier is not None:
                errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=importer._field_label(target),
                        row=earlier,
                    )
                )
            else:
                self.seen[(target, value)] = row_number

    #: Its own checks that read nothing but the cell: their outcome is kept per value.
    OWN_PURE_CHECKS = ("text20", "floor", "area", "date")

    # checks of the unit list's own fields
    def _check_text20(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 20:
            return _(
                "%(what)s is longer than 20 characters.",
                what=importer.field_labels(self.kind_name)[target],
            )
        record[target] = text
        return None

    def _check_floor(self, target, raw, record):
        text = importer._plain(importer._text_of_number(raw)).rstrip("层楼f")
        try:
            floor = int(text)
        except ValueError:
            return _("Bad floor: %(value)s", value=raw)
        if not -10 <= floor <= 300:
            return _("Bad floor: %(value)s", value=raw)
        record[target] = floor
        return None

    def _check_area(self, target, raw, record):
        text = importer._reference_key(raw)
        try:
            area = Decimal(text).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            area = None
        if area is None or not 0 < area < 100000:
            return _("Bad floor area (m²): %(value)s", value=raw)
        record[target] = area
        return None

    def _check_person(self, target, raw, record):
        key = importer._plain(raw)
        if key in OWNER_WORDS:
            record["is_owner"] = True
        elif key in MEMBER_WORDS:
            record.setdefault("is_owner", False)
        else:
            return _("Say owner or household member, not %(value)s.", value=raw)
        return None

    def _check_relation(self, target, raw, record):
        if importer._plain(raw) in OWNER_WORDS:
            record["is_owner"] = True
            return None
        error = self._check_reference(target, raw, record)
        if error is None and record.get("is_owner") is None:
            record["is_owner"] = False
        return error

    def _check_date(self, target, raw, record):
        day = importer._as_date(raw)
        if day is None:
            return _("Bad date: %(value)s (use 2026-03-01)", value=raw)
        record[target] = day
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """Reject the rows of a unit already in the panel, and owners already on record (one
        query per field and chunk)."""
        new_units = {
            (r.record["project_id"], r.record["building"], r.record["room"])
            for r in results
            if r.record and "unit_row" in r.record
        }
        taken = set()
        if new_units:
            # The unit is unique across the group (the table's key): every office is asked.
            rows = self.session.execute(
                select(Unit.project_id, Unit.building, Unit.room).where(
                    *unit_key_clauses(new_units)
                )
            )
            taken = {tuple(row) for row in rows} & new_units
        owners = [r for r in results if r.record and r.record["is_owner"]]
        found = {
            target: importer.existing_values(
                self.session,
                importer.KINDS["owner"],
                target,
                {r.record[target] for r in owners if r.record.get(target)},
                self.user,
            )
            for target in ("mobile", "id_number")
        }
        for r in results:
            if r.record is None:
                continue
            key = (r.record["project_id"], r.record["building"], r.record["room"])
            if key in taken:
                r.errors.append(_("This unit is already in the panel."))
            if r.record["is_owner"]:
                for target, values in found.items():
                    if r.record.get(target) in values:
                        r.errors.append(
                            _(
                                "An owner with %(what)s %(value)s already exists.",
                                what=importer._field_label(target),
                                value=mask(target, r.record[target]),
                            )
                        )
            # A person of a unit whose first row was rejected just above (its owner already on
            # record): the unit is not made, so neither is its household (the rows come in
            # order, so that row is already in ``wrong``).
            unit_row = r.record.get("unit_of")
            if unit_row is not None and unit_row in self.wrong:
                r.errors.append(
                    _("Row %(row)s of this unit is rejected: fix it first.", row=unit_row)
                )
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)


class UnitWriter(Writer):
    """Inserts a chunk of a unit list: units, owners with their ownerships, members."""

    people = ("owner",)
    counts = "unit"
    # Nothing read of what an earlier chunk wrote: the units made are kept in ``units``.
    pipelines = True

    def __init__(self, session, user, writes=None):
        super().__init__(session, user, writes)
        self.place = importer._office_placer(session, user, Unit)
        #: {row of a unit: (unit id, office id)}.
        self.units: dict[int, tuple[int, int]] = {}
        self.today = office_today()

    def _insert(self, model, rows: list[dict]) -> list[int]:
        return self.insert_ids(model, rows)

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        made = {"created_by_id": self.user.id}
        new = [r for r in results if "unit_row" in r.record]
        units = []
        for r in new:
            record = r.record
            units.append(
                {
                    "project_id": record["project_id"],
                    "building": record["building"],
                    "room": record["room"],
                    "floor": record.get("floor"),
                    "area_m2": record.get("area_m2"),
                    "notes": record.get("unit_notes"),
                    "office_id": self.place(record),
                    **made,
                }
            )
        for r, unit_id, unit in zip(new, self._insert(Unit, units), units, strict=True):
            self.units[r.row_number] = (unit_id, unit["office_id"])
        owners, members, owner_units = [], [], []
        for r in results:
            record = r.record
            unit_id, office_id = self.units[record.get("unit_row") or record["unit_of"]]
            if record["is_owner"]:
                owner = {
                    "name": record["name"],
                    "mobile": record.get("mobile"),
                    "landline": record.get("landline"),
                    "id_number": record.get("id_number"),
                    "address": record.get("address"),
                    "notes": record.get("notes"),
                    "office_id": office_id,
                    **made,
                }
                owners.append({**owner, **blind_indexes_for(Owner, owner)})
                owner_units.append((unit_id, office_id, record.get("started_on")))
            else:
                member = {
                    "unit_id": unit_id,
                    "name": record["name"],
                    "relation_id": record.get("relation_id"),
                    "mobile": record.get("mobile"),
                    "id_number": record.get("id_number"),
                    "joined_on": record.get("started_on"),
                    "office_id": office_id,
                    **made,
                }
                members.append({**member, **blind_indexes_for(HouseholdMember, member)})
        owner_ids = self._insert(Owner, owners)
        self.tokens(Owner, owner_ids, [o["name"] for o in owners])
        ownerships = [
            {
                "unit_id": unit_id,
                "owner_id": owner_id,
                "started_on": since or self.today,
                "office_id": office_id,
                **made,
            }
            for owner_id, (unit_id, office_id, since) in zip(owner_ids, owner_units, strict=True)
        ]
        member_ids = self._insert(HouseholdMember, members)
        self.tokens(HouseholdMember, member_ids, [m["name"] for m in members])
        return {
            "unit": [unit_id for unit_id, _office in (self.units[r.row_number] for r in new)],
            "owner": owner_ids,
            "ownership": self._insert(Ownership, ownerships),
            "household_member": member_ids,
        }


importer.KINDS["unit"] = Kind(
    model=Unit,
    record_type="unit",
    fields={
        "project": ("项目", "楼盘", "小区", "项目名称", "project"),
        "building": ("楼栋", "栋号", "楼号", "栋", "幢", "building"),
        "room": ("房号", "房间号", "室号", "门牌号", "room"),
        "floor": ("楼层", "层", "floor"),
        "area_m2": ("面积", "建筑面积", "面积(㎡)", "建筑面积(㎡)", "area", "floor area"),
        "unit_notes": ("房屋备注", "unit notes"),
        "person": ("身份", "人员类别", "类别", "person", "role"),
        "name": ("姓名", "业主姓名", "name"),
        "relation": ("与业主关系", "关系", "relation", "relation to owner"),
        "mobile": ("手机", "手机号", "手机号码", "联系电话", "mobile", "cell"),
        "landline": ("座机", "固定电话", "电话", "landline", "phone"),
        "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id number", "id"),
        "address": ("地址", "联系地址", "通讯地址", "address"),
        "started_on": ("入住日期", "交房日期", "产权日期", "入住时间", "since", "move-in date"),
        "notes": ("备注", "业主备注", "notes", "remarks"),
    },
    checks={
        "project": "reference",
        "building": "text20",
        "room": "text20",
        "floor": "floor",
        "area_m2": "area",
        "unit_notes": "text",
        "person": "person",
        "name": "name",
        "relation": "relation",
        "mobile": "mobile",
        "landline": "landline",
        "id_number": "id_number",
        "address": "text200",
        "started_on": "date",
        "notes": "text",
    },
    references={"project": "project", "relation": "relation"},
    fixed={},
    unique=(),
    consent_bases=("contract", "consent"),
    checker=UnitChecker,
    writer=UnitWriter,
    required=("project", "building", "room", "name"),
    labels=_labels,
)


# --- tenants and leases -----------------------------------------------------------------
#: Who pays a fee, as sheets write it.
PAYER_WORDS = {
    "owner": ("owner", "业主", "房东", "业主付", "业主承担"),
    "tenant": ("tenant", "租户", "租客", "承租人", "租户付", "租户承担"),
}
#: The intake of a lease (services/property/leases.py INTAKE) the import can record.
INTAKE_FLAGS = ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid")
#: Roles whose accounts work the desk (services/property/leases.py INTAKE_ROLES).
DESK_ROLES = ("clerk", "supervisor")


def _lease_labels() -> dict[str, str]:
    return {
        "starts_on": _("Lease starts"),
        "ends_on": _("Lease ends"),
        "moved_out_on": _("Moved out"),
        "management_payer": _("Management fee paid by"),
        "water_payer": _("Water paid by"),
        "electricity_payer": _("Electricity paid by"),
        "gas_payer": _("Gas paid by"),
        "both_parties_came_on": _("Date both parties came"),
        "original_seen_by": _("Who saw the original contract"),
        "contract_seen": _("Contract original seen"),
        "contract_copy_kept": _("Contract copy kept"),
        "move_in_form_done": _("Move-in form filled in"),
        "fees_paid": _("Move-in fees paid"),
    }


def units_in_offices(session, user, keys: set[tuple]) -> dict[tuple, tuple[int, int]]:
    """{(project id, building, room): (unit id, office id)} of the units of ``user``'s
    offices among ``keys`` (one query)."""
    if not keys:
        return {}
    rows = session.execute(
        select(Unit.project_id, Unit.building, Unit.room, Unit.id, Unit.office_id).where(
            *unit_key_clauses(keys),
            office_filter(Unit.office_id, user) if user is not None else true(),
        )
    )
    return {(p, b, r): (i, o) for p, b, r, i, o in rows if (p, b, r) in keys}


class LeaseChecker(UnitChecker):
    """Checks a row per lease: a unit already in the panel, its tenant, the lease's terms and
    intake. A tenant on several rows (same name and mobile or ID number) is one tenant."""

    #: The payer words, and the desk accounts read once at the start (``desk``).
    OWN_PURE_CHECKS = ("payer", "desk")

    def __init__(self, session, mapping, kind="lease", user=None):
        super().__init__(session, mapping, kind, user)
        self.desk = _desk_index(session, user)
        #: {(field, value): (row of the tenant, name)}.
        self.tenants: dict[tuple[str, str], tuple[int, str]] = {}
        #: {first row of a tenant: the distinct notes of its rows} (tenants with notes).
        self.tenant_notes: dict[int, list[str]] = {}
        #: {rejected row that gave a tenant a mobile or ID its first row lacks: first row}.
        self.lacking: dict[int, int] = {}
        #: {unit key: row of its lease in force}.
        self.in_force: dict[tuple, int] = {}

    def depends_on(self) -> tuple:
        """The desk accounts a row may name and the role (a desk role saw the original when
        no one is named): with the lists and the account (importer._check_print), all the
        row checks read; the units, leases in force and tenants on record are looked up
        again by mark_existing."""
        role = self.user.role_code if self.user is not None else None
        return (sorted(self.desk.items()), role)

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        start = record.get("starts_on")
        for target in ("ends_on", "moved_out_on"):
            if start and record.get(target) and record[target] < start:
                errors.append(
                    _(
                        "%(what)s is before the lease starts.",
                        what=importer.field_labels(self.kind_name)[target],
                    )
                )
        self._tenant(row_number, record, errors)
        record["status"] = self._status(record)
        key = tuple(record.get(k) for k in ("project_id", "building", "room"))
        if record["status"] == "active" and None not in key:
            earlier = self.in_force.get(key)
            if earlier is not None:
                errors.append(
                    _("The unit already has a lease in force on row %(row)s.", row=earlier)
                )
            else:
                self.in_force[key] = row_number
        note = record.get("notes")
        if note and not errors:
            # only a row the row checks take counts (LeaseWriter joins the notes of the rows
            # it writes; one refused later by mark_existing still counts: stricter, never
            # looser)
            notes = self.tenant_notes.setdefault(record.get("tenant_of", row_number), [])
            if note not in notes:
                notes.append(note)
        if errors:
            self.wrong.add(row_number)
            self.refused.add(row_number)
        result.record = None if errors else record
        return result

    def _tenant(self, row_number: int, record: dict, errors: list[str]) -> None:
        """A tenant met on an earlier row (same name and mobile or ID number) is that row's
        tenant (``tenant_of``: the row that makes it). A row may not bring the tenant a
        mobile or ID number its first row did not give (the tenant is made from that row:
        the value would be lost), nor match two tenants of the file. The notes of its rows
        are joined (``joined_notes``), as LeaseWriter writes them."""
        name = record.get("name")
        met: dict[str, int] = {}  # target -> first row of the tenant that has the value
        lacked: dict[str, int] = {}  # target -> first row of the tenant that lacks it
        for target in ("mobile", "id_number"):
            value = record.get(target)
            earlier = self.tenants.get((target, value)) if value else None
            if earlier is None:
                continue
            if earlier[1] != name:
                errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=importer._field_label(target),
                        row=earlier[0],
                    )
                )
                return
            if earlier[0] in self.lacking:
                lacked[target] = self.lacking[earlier[0]]
            else:
                met[target] = earlier[0]
        firsts = sorted({*met.values(), *lacked.values()})
        if len(firsts) > 1:
            errors.append(
                _(
                    "Rows %(first)s and %(second)s of this file are two tenants; this row "
                    "names both.",
                    first=firsts[0],
                    second=firsts[1],
                )
            )
            return
        if not firsts:
            for target in ("mobile", "id_number"):
                if record.get(target):
                    self.tenants[(target, record[target])] = (row_number, name)
            return
        (first,) = firsts
        unmet = [t for t in ("mobile", "id_number") if record.get(t) and t not in met]
        if unmet:
            # Kept as lacking on that tenant's first row, so a later row giving the value
            # (alone or again) is not made a second tenant of the same name: it is rejected
            # with the same message.
            for target in unmet:
                self.tenants.setdefault((target, record[target]), (row_number, name))
            self.lacking[row_number] = first
            errors.append(
                _(
                    "%(what)s is not on row %(row)s of this tenant: give it there (the "
                    "tenant is made from that row).",
                    what=importer._field_label(unmet[0]),
                    row=first,
                )
            )
            return
        # A tenant refused on record refuses its later rows in mark_existing.
        if first in self.refused:
            errors.append(_("Row %(row)s of this tenant is rejected: fix it first.", row=first))
            return
        notes = self.tenant_notes.get(first, [])
        note = record.get("notes")
        if note and note not in notes and len(joined_notes([*notes, note])) > importer.NOTES_MAX:
            errors.append(
                _(
                    "With the notes of the tenant's other rows (from row %(row)s) the notes "
                    "would be longer than %(max)s characters.",
                    row=first,
                    max=importer.NOTES_MAX,
                )
            )
            return
        record["tenant_of"] = first
        # Looked up on record with that first row (mark_existing): by the import, an
        # earlier chunk may have written it.
        record["earlier_values"] = sorted(met)

    def _status(self, record: dict) -> str:
        """ended when moved out; active when the whole intake is recorded (the importer saw
        the original when no one is named and they work the desk); else registering."""
        if record.get("moved_out_on"):
            return "ended"
        named = "original_seen_by_id" in record
        desk = self.user is not None and self.user.role_code in DESK_ROLES
        if record.get("contract_seen") and not named and desk:
            record["original_seen_by_id"] = self.user.id
        complete = all(record.get(flag) for flag in INTAKE_FLAGS) and all(
            record.get(item) for item in ("both_parties_came_on", "original_seen_by_id")
        )
        return "active" if complete else "registering"

    def _check_payer(self, target, raw, record):
        key = importer._plain(raw)
        for code, words in PAYER_WORDS.items():
            if key in words:
                record[target] = code
                return None
        return _(
            "%(what)s: say owner or tenant, not %(value)s.",
            what=importer.field_labels(self.kind_name)[target],
            value=raw,
        )

    def _check_desk(self, target, raw, record):
        found = self.desk.get(importer._plain(raw))
        if not found:
            return _("No desk account of your offices is named %(value)s.", value=raw)
        record["original_seen_by_id"] = found
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """The unit of each row (one query), a lease in force already on it, and tenants
        already on record; then the rows of a tenant whose first row was rejected."""
        keys = {
            (r.record["project_id"], r.record["building"], r.record["room"])
            for r in results
            if r.record
        }
        units = units_in_offices(self.session, self.user, keys)
        let = set()
        if units:
            let = set(
                self.session.scalars(
                    select(Lease.unit_id).where(
                        Lease.unit_id.in_([u for u, _office in units.values()]),
                        Lease.status == "active",
                    )
                )
            )
        tenant = SimpleNamespace(model=Tenant)
        found = {
            target: importer.existing_values(
                self.session,
                tenant,
                target,
                {r.record[target] for r in results if r.record and r.record.get(target)},
                self.user,
            )
            for target in ("mobile", "id_number")
        }
        for r in results:
            if r.record is None:
                continue
            key = (r.record["project_id"], r.record["building"], r.record["room"])
            unit = units.get(key)
            if unit is None:
                r.errors.append(
                    _(
                        "No unit %(building)s %(room)s of this project in your offices.",
                        building=key[1],
                        room=key[2],
                    )
                )
            else:
                r.record["unit_id"], r.record["office_id"] = unit
                if r.record["status"] == "active" and unit[0] in let:
                    r.errors.append(_("The unit already has a lease in force."))
            for target, values in found.items():
                if target in r.record.get("earlier_values", ()):
                    continue  # the tenant of an earlier row: that row was looked up
                if r.record.get(target) in values:
                    r.errors.append(
                        _(
                            "A tenant with %(what)s %(value)s already exists.",
                            what=importer._field_label(target),
                            value=mask(target, r.record[target]),
                        )
                    )
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)
            elif r.record.get("tenant_of") in self.wrong:
                r.errors.append(
                    _(
                        "Row %(row)s of this tenant is rejected: fix it first.",
                        row=r.record["tenant_of"],
                    )
                )
                r.record = None
                self.wrong.add(r.row_number)


#: Between the notes of a tenant's rows.
NOTES_SEPARATOR = "；"


def joined_notes(notes: list[str]) -> str | None:
    """The notes of a tenant's rows, each once, in the rows' order."""
    return NOTES_SEPARATOR.join(notes) or None


def _desk_index(session, user) -> dict[str, int]:
    """{full name and account name, as importer._plain: id} of the desk accounts of
    ``user``'s offices; 0 for a name two share."""
    query = (
        select(User)
        .join(Role, Role.id == User.role_id)
        .where(Role.code.in_(DESK_ROLES), User.active.is_(True), in_offices_of(user))
    )
    index: dict[str, int] = {}
    for account in session.scalars(query):
        for key in {importer._plain(account.full_name or ""), importer._plain(account.username)}:
            if key:
                index[key] = 0 if index.get(key, account.id) != account.id else account.id
    return index


class LeaseWriter(Writer):
    """Inserts a chunk of a lease list: the new tenants, then the leases."""

    people = ("tenant",)
    counts = "lease"
    # Nothing read of what an earlier chunk wrote: a tenant met again is kept in ``tenants``
    # (its row's values are looked up on record with its first row: LeaseChecker).
    pipelines = True

    def __init__(self, session, user, writes=None):
        super().__init__(session, user, writes)
        #: {row of a tenant: tenant id}.
        self.tenants: dict[int, int] = {}
        #: {tenant id: the distinct notes of its rows so far} (tenants with notes).
        self.notes: dict[int, list[str]] = {}

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        made = {"created_by_id": self.user.id}
        new = [r for r in results if "tenant_of" not in r.record]
        # A later row's notes join its tenant's before the tenant is written when the first
        # row is in this chunk; only tenants of earlier chunks are updated (one statement a
        # batch): an UPDATE a row was most of a lease list's writing on PostgreSQL.
        first_notes = {
            r.row_number: [r.record["notes"]] if r.record.get("notes") else [] for r in new
        }
        earlier = []
        for r in results:
            first, note = r.record.get("tenant_of"), r.record.get("notes")
            if first is None or not note:
                continue
            if first in first_notes:
                if note not in first_notes[first]:
                    first_notes[first].append(note)
            else:
                earlier.append(r)
        tenants = []
        for r in new:
            tenant = {
                "name": r.record["name"],
                "mobile": r.record.get("mobile"),
                "id_number": r.record.get("id_number"),
                "notes": joined_notes(first_notes[r.row_number]),
                "office_id": r.record["office_id"],
                **made,
            }
            tenants.append({**tenant, **blind_indexes_for(Tenant, tenant)})
        tenant_ids = self.insert_ids(Tenant, tenants)
        for r, tenant_id in zip(new, tenant_ids, strict=True):
            self.tenants[r.row_number] = tenant_id
            if first_notes[r.row_number]:
                self.notes[tenant_id] = first_notes[r.row_number]
        self.tokens(Tenant, tenant_ids, [t["name"] for t in tenants])
        more_notes = set()
        for r in earlier:
            tenant_id = self.tenants[r.record["tenant_of"]]
            notes = self.notes.setdefault(tenant_id, [])
            if r.record["notes"] not in notes:
                notes.append(r.record["notes"])
                more_notes.add(tenant_id)
        leases = []
        for r in results:
            record = r.record
            lease = {
                "unit_id": record["unit_id"],
                "tenant_id": self.tenants[record.get("tenant_of") or r.row_number],
                "office_id": record["office_id"],
                "status": record["status"],
                "original_seen_by_id": record.get("original_seen_by_id"),
                **made,
            }
            for target in ("starts_on", "ends_on", "moved_out_on", "both_parties_came_on"):
                lease[target] = record.get(target)
            for target in INTAKE_FLAGS:
                lease[target] = bool(record.get(target))
            for fee in ("management", "water", "electricity", "gas"):
                lease[f"{fee}_payer"] = record.get(f"{fee}_payer", "tenant")
            leases.append(lease)
        lease_ids = self.insert_ids(Lease, leases)
        if more_notes:
            self._update_notes(sorted(more_notes))
        return {"tenant": tenant_ids, "lease": lease_ids}

    def _update_notes(self, tenant_ids: list[int]) -> None:
        """The notes of tenants a later row added to (the tenant was written with its first
        row in an earlier chunk), encrypted by the column's type: one UPDATE of a ``CASE`` a
        batch, not one a tenant (executemany sends those one by one)."""
        for start in range(0, len(tenant_ids), NOTES_UPDATE_BATCH):
            batch = tenant_ids[start : start + NOTES_UPDATE_BATCH]
            size = 1 << (len(batch) - 1).bit_length()
            values: dict = {"ids": batch}
            for i in range(size):  # the last tenant again up to the statement's size
                tenant_id = batch[min(i, len(batch) - 1)]
                values[f"tenant_{i}"] = tenant_id
                values[f"notes_{i}"] = joined_notes(self.notes[tenant_id])
            if self.writes is not None:
                self.writes.call(_update_tenant_notes, self.writes.conn, size, values)
            else:
                _update_tenant_notes(self.session.connection(), size, values)


#: Tenants a notes UPDATE sets at most (the CASE's branches).
NOTES_UPDATE_BATCH = 500


def _update_tenant_notes(conn, size: int, values: dict) -> None:
    """Run ``_notes_update(size)`` (a function of its own: the benches time it by name)."""
    conn.execute(_notes_update(size), values)


@lru_cache(maxsize=16)
def _notes_update(size: int):
    """``UPDATE tenants SET notes = CASE id WHEN :tenant_0 THEN :notes_0 ... END WHERE id IN
    :ids`` with ``size`` branches, a power of two: a few shapes for the statement cache, whose
    kept statements hold no values (the notes are bound when it runs, never in plain there)."""
    table = Tenant.__table__
    notes = case(
        *(
            (bindparam(f"tenant_{i}", type_=table.c.id.type),
             bindparam(f"notes_{i}", type_=table.c.notes.type))
            for i in range(size)
        ),
        value=table.c.id,
    )  # fmt: skip
    return update(table).where(table.c.id.in_(bindparam("ids", expanding=True))).values(notes=notes)


_YES_NO_TITLES = {
    "contract_seen": ("合同原件已查验", "已查验原件", "原件已查验", "contract original seen"),
    "contract_copy_kept": ("合同复印件", "已留复印件", "合同复印件已留存", "contract copy kept"),
    "move_in_form_done": ("入住登记表", "已填入住登记表", "move-in form filled in"),
    "fees_paid": ("费用已缴", "已缴费", "入住费用已缴", "move-in fees paid"),
}

importer.KINDS["lease"] = Kind(
    model=Lease,
    record_type="lease",
    fields={
        "project": ("项目", "楼盘", "小区", "项目名称", "project"),
        "building": ("楼栋", "栋号", "楼号", "栋", "幢", "building"),
        "room": ("房号", "房间号", "室号", "门牌号", "room"),
        "name": ("租户姓名", "租户", "承租人", "姓名", "tenant", "name"),
        "mobile": ("手机", "手机号", "租户手机", "联系电话", "mobile", "cell"),
        "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id number", "id"),
        "notes": ("备注", "notes", "remarks"),
        "starts_on": ("租期开始", "起租日期", "租赁开始", "开始日期", "lease starts", "starts"),
        "ends_on": ("租期结束", "到期日期", "租赁结束", "结束日期", "lease ends", "ends"),
        "moved_out_on": ("退租日期", "搬出日期", "moved out"),
        "management_payer": ("物业费缴纳方", "物业费", "management fee paid by"),
        "water_payer": ("水费缴纳方", "水费", "water paid by"),
        "electricity_payer": ("电费缴纳方", "电费", "electricity paid by"),
        "gas_payer": ("燃气费缴纳方", "燃气费", "gas paid by"),
        "both_parties_came_on": ("双方到场日期", "双方到场", "date both parties came"),
        "original_seen_by": ("原件查验人", "查验人", "who saw the original contract"),
        **_YES_NO_TITLES,
    },
    checks={
        "project": "reference",
        "building": "text20",
        "room": "text20",
        "name": "name",
        "mobile": "mobile",
        "id_number": "id_number",
        "notes": "text",
        "starts_on": "date",
        "ends_on": "date",
        "moved_out_on": "date",
        "management_payer": "payer",
        "water_payer": "payer",
        "electricity_payer": "payer",
        "gas_payer": "payer",
        "both_parties_came_on": "date",
        "original_seen_by": "desk",
        **{target: "yes_no" for target in _YES_NO_TITLES},
    },
    references={"project": "project"},
    fixed={},
    unique=(),
    consent_bases=("contract", "consent"),
    checker=LeaseChecker,
    reuses_check=True,
    writer=LeaseWriter,
    required=("project", "building", "room", "name", "starts_on"),
    labels=lambda: {**_labels(), **_lease_labels()},
)


# --- parking spaces, resident cards, vehicle cards --------------------------------------
TENURE_WORDS = {
    "free": ("free", "空置", "空闲", "未售", "闲置"),
    "bought": ("bought", "已购", "已售", "购买", "产权", "自有"),
    "rented": ("rented", "租用", "已租", "出租", "月租"),
}
#: A mainland licence plate: province, letter, 5 or 6 letters/digits (new-energy: 6).
PLATE_RE = re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{4,5}[A-Z0-9\u4e00-\u9fa5]$")


def _attached_labels() -> dict[str, str]:
    return {
        "code": _("Space code"),
        "tenure": _("Tenure"),
        "fees_paid_until": _("Fees paid until"),
        "card_no": _("Card number"),
        "holder_name": _("Holder"),
        "plate_no": _("Licence plate"),
        "issued_on": _("Issued on"),
        "returned_on": _("Returned on"),
    }


class AttachedChecker(UnitChecker):
    """Checks a row per record attached to a unit already in the panel (a parking space, a
    card): its number unique in the file and in the panel, its unit found in the user's
    offices (one query per chunk)."""

    #: The field holding the record's number, unique across the group.
    number: str = "card_no"

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        key = tuple(record.get(k) for k in ("project_id", "building", "room"))
        named = any(self._cell(values, k) is not None for k in UNIT_KEY)
        if named and None in key and not errors:
            errors.append(_("Name the unit by its project, building and room."))
        self.more(record, errors)
        number = record.get(self.number)
        if number:
            earlier = self.seen.get((self.number, number))
            if earlier is not None:
                errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=importer.field_labels(self.kind_code)[self.number],
                        row=earlier,
                    )
                )
            else:
                self.seen[(self.number, number)] = row_number
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    @property
    def kind_code(self) -> str:
        return self.kind.record_type

    def more(self, record: dict, errors: list[str]) -> None:
        """Checks of the kind across fields; sets the status of a card."""
        issued, returned = record.get("issued_on"), record.get("returned_on")
        if issued and returned and returned < issued:
            errors.append(_("The card came back before it was issued."))
        record["status"] = "returned" if returned else "active"

    def _check_text30(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 30:
            return _(
                "%(what)s is longer than 30 characters.",
                what=importer.field_labels(self.kind_code)[target],
            )
        record[target] = text
        return None

    def _check_plate(self, target, raw, record):
        plate = importer._plain(raw).upper().replace("-", "").replace("·", "")
        if not PLATE_RE.fullmatch(plate):
            return _("Bad licence plate: %(value)s", value=raw)
        record[target] = plate
        return None

    def _check_tenure(self, target, raw, record):
        key = importer._plain(raw)
        for code, words in TENURE_WORDS.items():
            if key in words:
                record[target] = code
                return None
        return _("Unknown tenure: %(value)s (free, bought, rented)", value=raw)

    def mark_existing(self, results: list[RowResult]) -> None:
        """The unit of each row and the numbers already in the panel (one query each)."""
        keys = {
            (r.record["project_id"], r.record["building"], r.record["room"])
            for r in results
            if r.record and r.record.get("project_id")
        }
        units = units_in_offices(self.session, self.user, keys)
        column = getattr(self.kind.model, self.number)
        numbers = {r.record[self.number] for r in results if r.record}
        # Numbers are unique across the group (the table's key): every office is asked.
        taken = set(self.session.scalars(select(column).where(column.in_(numbers))))
        owners = self.current_owners([u for u, _office in units.values()])
        for r in results:
            if r.record is None:
                continue
            if r.record.get("project_id"):
                key = (r.record["project_id"], r.record["building"], r.record["room"])
                unit = units.get(key)
                if unit is None:
                    r.errors.append(
                        _(
                            "No unit %(building)s %(room)s of this project in your offices.",
                            building=key[1],
                            room=key[2],
                        )
                    )
                else:
                    r.record["unit_id"], r.record["office_id"] = unit
                    r.record["owner_id"] = owners.get(unit[0])
            if r.record[self.number] in taken:
                r.errors.append(
                    _(
                        "%(what)s %(value)s is already in the panel.",
                        what=importer.field_labels(self.kind_code)[self.number],
                        value=r.record[self.number],
                    )
                )
            self.after(r)
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)

    def current_owners(self, unit_ids: list[int]) -> dict[int, int]:
        return {}

    def after(self, result: RowResult) -> None:
        """Checks that need the unit (after mark_existing found it)."""


class ParkingChecker(AttachedChecker):
    number = "code"

    def more(self, record: dict, errors: list[str]) -> None:
        tenure = record.setdefault("tenure", "free")
        has_unit = record.get("project_id") is not None
        if tenure != "free" and not has_unit:
            errors.append(_("A bought or rented space names the unit it goes with."))
        if tenure == "free" and has_unit:
            errors.append(_("A free space goes with no unit: say bought or rented."))

    def current_owners(self, unit_ids: list[int]) -> dict[int, int]:
        if not unit_ids:
            return {}
        rows = self.session.execute(
            select(Ownership.unit_id, Ownership.owner_id).where(
                Ownership.unit_id.in_(unit_ids), Ownership.ended_on.is_(None)
            )
        )
        return {unit_id: owner_id for unit_id, owner_id in rows}


class AttachedWriter(Writer):
    """Inserts a chunk of records attached to units, in the unit's office (else the
    importer's)."""

    #: The record's own columns taken from the row.
    columns: tuple[str, ...] = ()
    model: type = ResidentCard

    def __init__(self, session, user):
        super().__init__(session, user)
        self.place = importer._office_placer(session, user, self.model)
        self.counts = self.model.__tablename__[:-1]

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        rows = []
        for r in results:
            record = r.record
            row = {column: record.get(column) for column in self.columns}
            row["unit_id"] = record.get("unit_id")
            row["office_id"] = record.get("office_id") or self.place(record)
            row["created_by_id"] = self.user.id
            rows.append(row)
        return {self.counts: importer.insert_ids(self.session, self.model, rows)}


class ParkingWriter(AttachedWriter):
    model = ParkingSpace
    columns = ("code", "tenure", "owner_id", "fees_paid_until")


class ResidentCardWriter(AttachedWriter):
    model = ResidentCard
    columns = ("card_no", "holder_name", "issued_on", "returned_on", "status")


class VehicleCardWriter(AttachedWriter):
    model = VehicleCard
    columns = ("card_no", "plate_no", "holder_name", "issued_on", "returned_on", "status")


_UNIT_TITLES = {
    "project": ("项目", "楼盘", "小区", "项目名称", "project"),
    "building": ("楼栋", "栋号", "楼号", "栋", "幢", "building"),
    "room": ("房号", "房间号", "室号", "门牌号", "room"),
}
_UNIT_CHECKS = {"project": "reference", "building": "text20", "room": "text20"}
_CARD_TITLES = {
    "card_no": ("卡号", "卡片编号", "IC卡号", "card number", "card no"),
    "holder_name": ("持卡人", "持卡人姓名", "姓名", "holder", "name"),
    "issued_on": ("发卡日期", "办卡日期", "发放日期", "issued on", "issued"),
    "returned_on": ("退卡日期", "交回日期", "returned on", "returned"),
}
_CARD_CHECKS = {
    "card_no": "text30",
    "holder_name": "name",
    "issued_on": "date",
    "returned_on": "date",
}


def _attached(model, record_type, fields, checks, checker, writer, required) -> Kind:
    return Kind(
        model=model,
        record_type=record_type,
        fields={**_UNIT_TITLES, **fields},
        checks={**_UNIT_CHECKS, **checks},
        references={"project": "project"},
        fixed={},
        unique=(),
        consent_bases=("contract", "consent"),
        checker=checker,
        writer=writer,
        required=required,
        labels=lambda: {**_labels(), **_attached_labels()},
    )


importer.KINDS["parking_space"] = _attached(
    ParkingSpace,
    "parking_space",
    {
        "code": ("车位号", "车位编号", "车位", "space code", "code"),
        "tenure": ("车位性质", "使用方式", "状态", "tenure"),
        "fees_paid_until": ("停车费缴至", "费用缴至", "缴费至", "fees paid until"),
    },
    {"code": "text20", "tenure": "tenure", "fees_paid_until": "date"},
    ParkingChecker,
    ParkingWriter,
    ("code",),
)
importer.KINDS["resident_card"] = _attached(
    ResidentCard,
    "resident_card",
    _CARD_TITLES,
    _CARD_CHECKS,
    AttachedChecker,
    ResidentCardWriter,
    ("project", "building", "room", "card_no", "holder_name", "issued_on"),
)
importer.KINDS["vehicle_card"] = _attached(
    VehicleCard,
    "vehicle_card",
    {**_CARD_TITLES, "plate_no": ("车牌号", "车牌", "车牌号码", "licence plate", "plate")},
    {**_CARD_CHECKS, "plate_no": "plate"},
    AttachedChecker,
    VehicleCardWriter,
    ("project", "building", "room", "card_no", "plate_no", "holder_name", "issued_on"),
)
