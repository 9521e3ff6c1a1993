"""Import kind of the paper files' register (纸质档案登记表): a row per paper file, as an office
keeps its register in Excel (services/shared/importer.py does the rest).

A row names the file (its code, unique across the group, and its title), where it is kept
(archive room, cabinet, shelf, box: in their own columns or in one "存放位置" cell such as
"一号档案室/3柜/2层/15盒"), whom it belongs to and its custodian. The customer is found among
the importing account's offices only:

- by name and mobile or ID number (through the blind indexes: nothing is decrypted), among the
  owners and the welcome cards (the "客户类别" column says which when a person is both);
- or by the unit (project, building, room): the file belongs to the unit and to its current
  owner (a name given with the unit must be that owner's; an owner found by the mobile or ID
  number given with the unit must be its current or a past owner: services/property keeps the
  ownerships with their end dates);
- or a dealer's file (客户类别 经销商, or the dealer's columns): the dealer by its name (as typed,
  else loosely: services/shared/company_names.py, when only one matches) and/or its business
  licence number, among the dealers of the importer's region when the account names one, else
  of every region (as the paper file's form offers them: dealers belong to no office). A
  dealer's file names no customer or unit.

No customer found, or several, is a row error; the phone and ID number in every message are
masked. An imported file is in the archive room: a sheet that records a file as lent out or
destroyed is refused row by row (a lending is handed out at the archive desk against an
approved lookup, a destruction recorded there), so the import never bypasses that workflow.
Each file is placed in the office of its unit, else of its owner, else of its welcome card,
else in the importer's own office, as the create form places it (models/base.py).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select, true

from core import access, crypto
from core.clock import office_today
from core.masking import mask
from models.admin.people import Role, User
from models.archive.archives import ArchiveFile
from models.dealers.dealers import Dealer, DealerDataCard
from models.property.property import Owner, Ownership, Unit
from models.sales.prospects import Prospect
from models.types import blind_index_of
from services.admin.offices import office_clause, office_filter
from services.shared import importer
from services.shared.company_names import loose_key, name_key
from services.shared.importer import Kind, RowChecker, RowResult, Writer
from services.shared.office_scope import colleagues_clause
from services.shared.unit_keys import unit_key_clauses

#: How a register says a file is in the room (the only state an import may record).
IN_ROOM_WORDS = ("in_room", "在库", "在柜", "在档", "在室", "在册", "归档", "已归档", "存档",
                 "正常", "in room", "in the archive room", "in cabinet", "in the cabinet")  # fmt: skip
#: ... lent out or destroyed (refused: the archive desk records them).
LENT_WORDS = ("lent_out", "借出", "已借出", "外借", "出借", "借阅中", "lent out", "out")
DESTROYED_WORDS = ("destroyed", "销毁", "已销毁", "destroyed")
#: How a register says whom a file belongs to.
OWNER_WORDS = ("owner", "业主", "业主档案", "房屋档案", "产权档案")
PROSPECT_WORDS = ("prospect", "意向客户", "来访客户", "客户", "温馨卡", "来访登记", "welcome card")
DEALER_WORDS = ("dealer", "经销商", "经销商档案", "潜在经销商", "潜在经销商档案", "客户资料卡")
#: The words above as cells are matched (importer._plain), computed once.
_KEYS = {
    name: frozenset(importer._plain(w) for w in words)
    for name, words in (
        ("IN_ROOM_WORDS", IN_ROOM_WORDS),
        ("LENT_WORDS", LENT_WORDS),
        ("DESTROYED_WORDS", DESTROYED_WORDS),
        ("OWNER_WORDS", OWNER_WORDS),
        ("PROSPECT_WORDS", PROSPECT_WORDS),
        ("DEALER_WORDS", DEALER_WORDS),
    )
}
#: The parts of a place cell: 一号档案室/3柜/2层/15盒, "A室 3柜 2层 15盒", ...
PLACE_SPLIT = re.compile(r"[/／\\|｜,，、;；\s]+")
PLACE_PARTS = ("room", "cabinet", "shelf", "box")


def _labels() -> dict[str, str]:
    return {
        "file_code": _("File code"),
        "file_title": _("Title"),
        "belongs_to": _("The file belongs to (owner, welcome card or dealer)"),
        "name": _("Customer's name"),
        "project": _("Project"),
        "building": _("Building"),
        "unit_room": _("Unit (room number)"),
        "place": _("Place (room/cabinet/shelf/box)"),
        "room": _("Archive room"),
        "cabinet": _("Cabinet"),
        "shelf": _("Shelf"),
        "box": _("Box"),
        "state": _("State"),
        "custodian": _("Custodian"),
        "last_checked_on": _("Last checked"),
        "dealer": _("Dealer"),
        "licence_no": _("Business licence number"),
    }


class FileChecker(RowChecker):
    """Checks a row per paper file; finds its customer, unit and custodian per chunk."""

    def __init__(self, session, mapping, kind="archive_file", user=None):
        super().__init__(session, mapping, kind, user)
        self.custodians = _custodian_index(session, user)
        self.today = office_today()
        role = user.role_code if user is not None else None
        #: What the importing role may read: a file is linked only to what its role sees.
        self.reads = {
            record_type: user is None or access.can(role, record_type, access.DETAILS)
            for record_type in ("owner", "prospect", "unit")
        }

    def label(self, target: str) -> str:
        return importer.field_labels(self.kind_name)[target]

    def depends_on(self) -> tuple:
        """The custodians a row may name, the role (a custodian keeps a file whose custodian
        is blank) and what it may look up: with the office date, the lists and the account
        (importer._check_print), all the row checks read; the links (codes, units,
        customers, dealers) are found again by mark_existing."""
        role = self.user.role_code if self.user is not None else None
        return (sorted(self.custodians.items()), role, sorted(self.reads.items()))

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        self._place(record, errors)
        self._customer(record, errors)
        user = self.user
        if (
            record.get("custodian_id") is None
            and user is not None
            and user.role_code == "custodian"
        ):
            # Blank: the importing custodian keeps the files.
            record["custodian_id"] = user.id
        code = record.get("file_code")
        if code:
            earlier = self.seen.get(("file_code", code))
            if earlier is not None:
                errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=self.label("file_code"),
                        row=earlier,
                    )
                )
            else:
                self.seen[("file_code", code)] = row_number
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    def _place(self, record: dict, errors: list[str]) -> None:
        """room, cabinet, shelf and box: their own columns over the parts of the place cell."""
        parts = record.pop("place", None) or []
        for target, part in zip(PLACE_PARTS, parts, strict=False):
            record.setdefault(target, part)
        if not record.get("room"):
            errors.append(_("%(what)s is missing.", what=self.label("room")))

    def _customer(self, record: dict, errors: list[str]) -> None:
        """What mark_existing must find: a person (name and mobile or ID) and/or a unit, or
        a dealer."""
        if record.get("belongs_to") == "dealer" or record.get("dealer") or record.get("licence_no"):
            self._dealer(record, errors)
            return
        unit_cells = [record.get(k) for k in ("project_id", "building", "unit_room")]
        if any(unit_cells) and not all(unit_cells) and not errors:
            errors.append(_("Name the unit by its project, building and room."))
        has_unit = all(unit_cells)
        person = record.get("mobile") or record.get("id_number")
        if person and not record.get("name"):
            errors.append(_("%(what)s is missing.", what=self.label("name")))
        elif record.get("name") and not person and not has_unit:
            errors.append(
                _(
                    "Give the mobile or ID number of %(name)s (or the unit) to find the customer.",
                    name=record["name"],
                )
            )
        belongs = record.get("belongs_to")
        if belongs and not person and not has_unit and not record.get("name"):
            errors.append(_("Give the customer's name with the mobile or ID number, or the unit."))
        if belongs == "prospect" and has_unit:
            errors.append(_("A welcome card's file is not kept with a unit: leave the unit out."))
        if belongs == "prospect" and record.get("id_number") and not record.get("mobile"):
            errors.append(_("A welcome card is found by its mobile: give the mobile."))
        looked_up = set()
        if has_unit:
            looked_up |= {"unit", "owner"}
        if person:
            looked_up |= {belongs} if belongs else {"owner", "prospect"}
            if has_unit:
                looked_up.discard("prospect")
        for record_type in sorted(looked_up):
            if not self.reads[record_type]:
                errors.append(
                    _("Your role may not look up %(what)s.", what=_record_type_label(record_type))
                )

    def _dealer(self, record: dict, errors: list[str]) -> None:
        """A dealer's file: the dealer's name (its own column, else the customer's name
        column) and/or licence number; no customer, no unit."""
        belongs, name, dealer = record.get("belongs_to"), record.get("name"), record.get("dealer")
        customer = [record.get(k) for k in ("mobile", "id_number", "project_id", "building",
                                            "unit_room")]  # fmt: skip
        if name and dealer and loose_key(name) != loose_key(dealer):
            customer.append(name)
        if belongs not in (None, "dealer") or any(customer):
            errors.append(
                _("A file belongs to a dealer or to a customer, not both: leave one out.")
            )
            return
        if not dealer and name:
            record["dealer"] = name  # the customer's name column holds the dealer's name
        if not record.get("dealer") and not record.get("licence_no"):
            errors.append(_("Give the dealer's name or business licence number."))
        record["finds_dealer"] = True

    # checks of the register's own fields
    def _check_code(self, target, raw, record):
        text = "".join(importer._text_of_number(raw).split())
        if len(text) > 30:
            return _("%(what)s is longer than 30 characters.", what=self.label(target))
        record[target] = text
        return None

    def _check_text_name(self, target, raw, record):
        # the customer's name is optional here (the importer's "name" check requires it)
        if len(str(raw)) > 50:
            return _("Name is longer than 50 characters.")
        record[target] = str(raw)
        return None

    def _check_dealer_name(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 100:
            return _("%(what)s is longer than %(n)s characters.", what=self.label(target), n=100)
        record[target] = text
        return None

    def _check_licence(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 50:
            return _("%(what)s is longer than %(n)s characters.", what=self.label(target), n=50)
        record[target] = _licence_key(text)
        return None

    def _check_text30(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 30:
            return _("%(what)s is longer than 30 characters.", what=self.label(target))
        record[target] = text
        return None

    def _check_text20(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > 20:
            return _("%(what)s is longer than 20 characters.", what=self.label(target))
        record[target] = text
        return None

    def _check_place(self, target, raw, record):
        parts = [p for p in PLACE_SPLIT.split(importer._text_of_number(raw).strip()) if p]
        if len(parts) > len(PLACE_PARTS):
            return _(
                "%(what)s has more than four parts (room/cabinet/shelf/box): %(value)s",
                what=self.label(target),
                value=raw,
            )
        if any(len(p) > 30 for p in parts):
            return _("%(what)s is longer than 30 characters.", what=self.label(target))
        record[target] = parts
        return None

    def _check_file_state(self, target, raw, record):
        key = importer._plain(raw)
        if key in _KEYS["IN_ROOM_WORDS"]:
            record[target] = "in_room"
            return None
        if key in _KEYS["LENT_WORDS"]:
            return _(
                "A file recorded as lent out is not imported: import it as in the archive room "
                "and record the lending at the archive desk (a lookup with its borrower and "
                "approval)."
            )
        if key in _KEYS["DESTROYED_WORDS"]:
            return _(
                "A destroyed file is not imported: import it as in the archive room and record "
                "its destruction at the archive desk."
            )
        return _("Unknown state: %(value)s (in the archive room)", value=raw)

    def _check_belongs(self, target, raw, record):
        key = importer._plain(raw)
        if key in _KEYS["OWNER_WORDS"]:
            record[target] = "owner"
        elif key in _KEYS["PROSPECT_WORDS"]:
            record[target] = "prospect"
        elif key in _KEYS["DEALER_WORDS"]:
            record[target] = "dealer"
        else:
            return _(
                "%(what)s: say owner, welcome card or dealer, not %(value)s.",
                what=self.label(target),
                value=raw,
            )
        return None

    def _check_custodian(self, target, raw, record):
        found = self.custodians.get(importer._plain(raw))
        if found is None:
            return _("No archive custodian of your offices is named %(value)s.", value=raw)
        if found == 0:
            return _("Several archive custodians are named %(value)s.", value=raw)
        record["custodian_id"] = found
        return None

    def _check_checked_date(self, target, raw, record):
        day = importer._as_date(raw)
        if day is None:
            return importer._date_error(raw)
        if day > self.today or day.year < self.today.year - 50:
            return _("%(what)s is out of range: %(value)s", what=self.label(target), value=raw)
        record[target] = day
        return None

    # --- per chunk: the codes taken, the units, the customers --------------------------
    def mark_existing(self, results: list[RowResult]) -> None:
        rows = [r for r in results if r.record]
        codes = {r.record["file_code"] for r in rows}
        # Codes are unique across the group (the table's key): every office is asked.
        taken = set(
            self.session.scalars(select(ArchiveFile.code).where(ArchiveFile.code.in_(codes)))
        ) if codes else set()  # fmt: skip
        units = self._units(rows)
        people = _People(self.session, self.user, rows)
        dealers = _Dealers(self, rows) if any(r.record.get("finds_dealer") for r in rows) else None
        for r in rows:
            record = r.record
            if record["file_code"] in taken:
                r.errors.append(
                    _(
                        "%(what)s %(value)s is already in the panel.",
                        what=self.label("file_code"),
                        value=record["file_code"],
                    )
                )
            self._link_unit(record, units, r.errors)
            if record.get("mobile") or record.get("id_number"):
                self._link_person(record, people, r.errors)
                self._owned(record, units, r.errors)
            if dealers is not None and record.get("finds_dealer"):
                dealers.link(record, r.errors)
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)

    def _units(
        self, rows: list[RowResult]
    ) -> dict[tuple, tuple[int, int, int | None, str | None, frozenset[int]]]:
        """{(project id, building, room): (unit id, office id, owner id, owner's name, ids of
        every owner it has had)} of the rows' units in the account's offices (two queries)."""
        keys = {_unit_key(r.record) for r in rows if _unit_key(r.record)}
        if not keys:
            return {}
        found = {}
        for project, building, room, unit_id, office in self.session.execute(
            select(Unit.project_id, Unit.building, Unit.room, Unit.id, Unit.office_id).where(
                *unit_key_clauses(keys), office_filter(Unit.office_id, self.user)
            )
        ):
            if (project, building, room) in keys:
                found[(project, building, room)] = (unit_id, office)
        owners, ever = {}, {}
        if found:
            # every ownership, current and past (a transfer ends the seller's: its end date)
            for unit_id, owner_id, name, ended_on in self.session.execute(
                select(Ownership.unit_id, Owner.id, Owner.name, Ownership.ended_on)
                .join(Owner, Owner.id == Ownership.owner_id)
                .where(Ownership.unit_id.in_([u for u, _o in found.values()]))
            ):
                ever.setdefault(unit_id, set()).add(owner_id)
                if ended_on is None:
                    owners[unit_id] = (owner_id, name)
        return {
            key: (
                unit_id,
                office,
                *owners.get(unit_id, (None, None)),
                frozenset(ever.get(unit_id, ())),
            )
            for key, (unit_id, office) in found.items()
        }

    def _link_unit(self, record: dict, units: dict, errors: list[str]) -> None:
        key = _unit_key(record)
        if not key:
            return
        unit = units.get(key)
        if unit is None:
            errors.append(
                _(
                    "No unit %(building)s %(room)s of this project in your offices.",
                    building=key[1],
                    room=key[2],
                )
            )
            return
        unit_id, office, owner_id, owner_name, _ever = unit
        record["unit_id"], record["unit_office"] = unit_id, office
        person = record.get("mobile") or record.get("id_number")
        if person:
            return  # the person is found by their phone or ID (_link_person)
        if record.get("name") and (owner_id is None or not _same_name(record["name"], owner_name)):
            errors.append(
                _(
                    "%(name)s is not the current owner of unit %(building)s %(room)s: give "
                    "the mobile or ID number to find the customer.",
                    name=record["name"],
                    building=key[1],
                    room=key[2],
                )
            )
            return
        record["owner_id"] = owner_id

    def _owned(self, record: dict, units: dict, errors: list[str]) -> None:
        """An owner found by the number given with a unit must have owned that unit, now or
        before (the file is of that unit and that owner)."""
        key = _unit_key(record)
        owner_id = record.get("owner_id")
        if errors or key is None or owner_id is None or key not in units:
            return
        if owner_id not in units[key][4]:
            errors.append(
                _(
                    "%(person)s is neither a current nor a past owner of unit %(building)s "
                    "%(room)s.",
                    person=_person_shown(record),
                    building=key[1],
                    room=key[2],
                )
            )

    def _link_person(self, record: dict, people: _People, errors: list[str]) -> None:
        belongs = record.get("belongs_to")
        found = {
            record_type: people.matching(record_type, record)
            for record_type in ("owner", "prospect")
            if belongs in (None, record_type) and not (record_type == "prospect" and record.get("unit_id"))
        }  # fmt: skip
        if any(len(ids) > 1 for ids in found.values()):
            errors.append(
                _(
                    "Several customers of your offices match %(person)s: the file cannot say "
                    "whose it is; link it on its page.",
                    person=_person_shown(record),
                )
            )
            return
        hits = {t: ids[0] for t, ids in found.items() if ids}
        if not hits:
            what = {
                "owner": _("No owner of your offices matches %(person)s."),
                "prospect": _("No welcome card of your offices matches %(person)s."),
            }.get(belongs or "", _("No owner or welcome card of your offices matches %(person)s."))
            errors.append(what % {"person": _person_shown(record)})
            return
        if len(hits) > 1:
            errors.append(
                _(
                    "%(person)s is both an owner and a welcome card customer: say which in "
                    "the column %(column)s.",
                    person=_person_shown(record),
                    column=self.label("belongs_to"),
                )
            )
            return
        (record_type, (record_id, office)), = hits.items()  # fmt: skip
        record[f"{record_type}_id"] = record_id
        record[f"{record_type}_office"] = office


class _People:
    """The owners and welcome cards of the account's offices whose mobile or ID number is on
    a chunk's rows: looked up through the blind indexes (one query per kind and field)."""

    def __init__(self, session, user, rows: list[RowResult]):
        #: {(record type, field, blind index): [(id, name, office id), ...]}.
        self.found: dict[tuple[str, str, str], list[tuple[int, str, int]]] = {}
        #: {(value, purpose): blind index}: each phone or ID number keyed once per chunk.
        self.indexes: dict[tuple[str, str], str] = {}
        for record_type, model, targets in (
            ("owner", Owner, ("mobile", "id_number")),
            ("prospect", Prospect, ("mobile",)),
        ):
            for target in targets:
                index_attr, purpose = blind_index_of(getattr(model, target))
                wanted = {
                    self.index(r.record[target], purpose) for r in rows if r.record.get(target)
                }
                if not wanted:
                    continue
                for record_id, name, office, index in session.execute(
                    select(model.id, model.name, model.office_id, index_attr).where(
                        index_attr.in_(sorted(wanted)), office_clause(model.office_id, user)
                    )
                ):
                    key = (record_type, target, index)
                    self.found.setdefault(key, []).append((record_id, name, office))
        self.purposes = {
            (model, target): blind_index_of(getattr(model, target))[1]
            for model, target in ((Owner, "mobile"), (Owner, "id_number"), (Prospect, "mobile"))
        }

    def index(self, value: str, purpose: str) -> str:
        key = (value, purpose)
        if key not in self.indexes:
            self.indexes[key] = crypto.blind_index(value, purpose)
        return self.indexes[key]

    def matching(self, record_type: str, record: dict) -> list[tuple[int, int]]:
        """[(id, office id)] of the records of ``record_type`` with the row's name and its
        mobile or ID number."""
        model = Owner if record_type == "owner" else Prospect
        hits: dict[int, int] = {}
        for target in ("mobile", "id_number"):
            value = record.get(target)
            purpose = self.purposes.get((model, target))
            if not value or purpose is None:
                continue
            index = self.index(value, purpose)
            for record_id, name, office in self.found.get((record_type, target, index), ()):
                if _same_name(record["name"], name):
                    hits[record_id] = office
        return sorted(hits.items())


class _Dealers:
    """The dealers a chunk's dealer files name: by name among every dealer of the scope (read
    once per pass: names are matched folded, which SQL cannot do), by licence number per
    chunk (one query). The scope: the importer's region when the account names one, else
    every region."""

    def __init__(self, checker: FileChecker, rows: list[RowResult]):
        self.checker = checker
        user = checker.user
        region = getattr(user, "region_id", None)
        self.scope = Dealer.region_id == region if region is not None else true()
        # the licence's look-up: the region read as region_id + 0, so that SQLite keeps the
        # licence's index (services/admin/offices.py office_filter)
        self.by_key = (Dealer.region_id + 0) == region if region is not None else true()
        wanted = {r.record["licence_no"] for r in rows if r.record.get("licence_no")}
        self.by_licence: dict[str, set[int]] = {}
        if wanted:
            query = (
                select(DealerDataCard.licence_no, Dealer.id)
                .join(Dealer, DealerDataCard.dealer_id == Dealer.id)
                .where(
                    DealerDataCard.licence_no.in_(wanted | {w.lower() for w in wanted}),
                    self.by_key,
                )
            )
            for licence, dealer_id in checker.session.execute(query):
                self.by_licence.setdefault(_licence_key(licence), set()).add(dealer_id)

    def names(self) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
        """({folded name: ids}, {loose name: ids}) of the scope's dealers, once per pass."""
        kept = getattr(self.checker, "_dealer_names", None)
        if kept is None:
            exact: dict[str, set[int]] = {}
            loose: dict[str, set[int]] = {}
            query = select(Dealer.id, Dealer.name).where(self.scope)
            for dealer_id, name in self.checker.session.execute(query):
                exact.setdefault(name_key(name), set()).add(dealer_id)
                loose.setdefault(loose_key(name), set()).add(dealer_id)
            kept = self.checker._dealer_names = (exact, loose)
        return kept

    def link(self, record: dict, errors: list[str]) -> None:
        """The row's dealer_id, or what is wrong (no personal value: a dealer's name or
        licence number is not repeated)."""
        found: list[set[int]] = []
        similar = False
        if record.get("dealer"):
            exact, loose = self.names()
            named = exact.get(name_key(record["dealer"]), set())
            if not named:
                named, similar = loose.get(loose_key(record["dealer"]), set()), True
            if not named:
                errors.append(_("No dealer of this name is in the panel: import it first."))
            found.append(named)
        if record.get("licence_no"):
            licensed = self.by_licence.get(record["licence_no"], set())
            if not licensed:
                errors.append(_("No dealer has this business licence number."))
            found.append(licensed)
        if errors or not found:
            return
        common = set.intersection(*found)
        if not common:
            errors.append(
                _("The dealer's name and business licence number name different dealers.")
            )
        elif len(common) == 1:
            (record["dealer_id"],) = common
        elif similar and len(found) == 1:
            errors.append(
                _(
                    "No dealer has exactly this name and %(n)s have a similar one: write the "
                    "name as it is in the panel.",
                    n=len(common),
                )
            )
        else:
            errors.append(_("Several dealers have this name: give the business licence number."))


class FileWriter(Writer):
    """Inserts a chunk of paper files, each in its customer's office (else the importer's)."""

    counts = "archive_file"
    # Nothing read of what an earlier chunk wrote: the file's codes are kept by the checker.
    pipelines = True

    def __init__(self, session, user, writes=None):
        super().__init__(session, user, writes)
        self.place = importer._office_placer(session, user, ArchiveFile)

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        rows = []
        for r in results:
            record = r.record
            office = (
                record.get("unit_office")
                or record.get("owner_office")
                or record.get("prospect_office")
                or self.place(record)
            )
            rows.append(
                {
                    "code": record["file_code"],
                    "title": record["file_title"],
                    "owner_id": record.get("owner_id"),
                    "unit_id": record.get("unit_id"),
                    "prospect_id": record.get("prospect_id"),
                    "dealer_id": record.get("dealer_id"),
                    "room": record["room"],
                    "cabinet": record.get("cabinet"),
                    "shelf": record.get("shelf"),
                    "box": record.get("box"),
                    "state": "in_room",
                    "custodian_id": record.get("custodian_id"),
                    "last_checked_on": record.get("last_checked_on"),
                    "notes": record.get("notes"),
                    "office_id": office,
                    "created_by_id": self.user.id,
                }
            )
        return {"archive_file": self.insert_ids(ArchiveFile, rows)}


def _unit_key(record: dict) -> tuple | None:
    key = (record.get("project_id"), record.get("building"), record.get("unit_room"))
    return key if None not in key else None


def _licence_key(licence: str) -> str:
    """A business licence number as matched: no spaces, upper case, half width."""
    return name_key(licence).upper()


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and importer._plain(a) == importer._plain(b)


def _person_shown(record: dict) -> str:
    """The row's customer for a message: the name and the phone or ID number, masked."""
    parts = [record.get("name") or ""]
    for target in ("mobile", "id_number"):
        if record.get(target):
            parts.append(mask(target, record[target]))
    return " ".join(p for p in parts if p)


def _record_type_label(record_type: str) -> str:
    return {
        "owner": _("owners"),
        "prospect": _("welcome cards"),
        "unit": _("units"),
    }[record_type]


def _custodian_index(session, user: User | None) -> dict[str, int]:
    """{full name and account name, as _plain: user id} of the active archive custodians of
    ``user``'s offices; 0 for a name two custodians share."""
    index: dict[str, int] = {}
    accounts = session.execute(
        select(User.id, User.full_name, User.username)
        .join(Role, User.role_id == Role.id)
        .where(Role.code == "custodian", User.active.is_(True), colleagues_clause(user))
    )
    for user_id, full_name, username in accounts:
        for key in {importer._plain(full_name or ""), importer._plain(username)}:
            if key:
                index[key] = 0 if index.get(key, user_id) != user_id else user_id
    return index


importer.KINDS["archive_file"] = Kind(
    model=ArchiveFile,
    record_type="archive_file",
    fields={
        "file_code": ("档案编号", "档案号", "档号", "案卷号", "编号", "file code", "code"),
        "file_title": ("档案名称", "案卷题名", "题名", "标题", "档案标题", "名称", "title"),
        "belongs_to": ("客户类别", "档案类别", "所属类别", "归属", "belongs to"),
        "name": ("客户姓名", "业主姓名", "姓名", "客户", "业主", "customer", "name"),
        "mobile": ("手机", "手机号", "手机号码", "联系电话", "电话", "mobile", "phone"),
        "id_number": ("身份证号", "身份证号码", "身份证", "证件号码", "id number"),
        "project": ("项目", "楼盘", "小区", "项目名称", "project"),
        "building": ("楼栋", "栋号", "楼号", "栋", "幢", "building"),
        "unit_room": ("房号", "房间号", "门牌号", "unit", "unit room"),
        "place": ("存放位置", "存放地点", "位置", "place", "location"),
        "room": ("档案室", "库房", "档案库房", "存放档案室", "archive room"),
        "cabinet": ("柜号", "档案柜", "柜", "cabinet"),
        "shelf": ("架号", "层号", "层", "格", "shelf"),
        "box": ("盒号", "档案盒", "盒", "box"),
        "state": ("状态", "档案状态", "在库状态", "state", "status"),
        "custodian": ("保管人", "档案管理员", "管理员", "custodian"),
        "last_checked_on": ("最近核查日期", "核查日期", "上次核查", "最近核查", "last checked"),
        "notes": ("备注", "说明", "notes", "remarks"),
        "dealer": ("经销商名称", "经销商", "dealer name", "dealer"),
        "licence_no": (
            "营业执照号",
            "营业执照号码",
            "统一社会信用代码",
            "执照号",
            "business licence number",
            "licence number",
        ),
    },
    checks={
        "file_code": "code",
        "file_title": "text200",
        "belongs_to": "belongs",
        "name": "text_name",
        "mobile": "mobile",
        "id_number": "id_number",
        "project": "reference",
        "building": "text20",
        "unit_room": "text20",
        "place": "place",
        "room": "text30",
        "cabinet": "text30",
        "shelf": "text30",
        "box": "text30",
        "state": "file_state",
        "custodian": "custodian",
        "last_checked_on": "checked_date",
        "notes": "text",
        "dealer": "dealer_name",
        "licence_no": "licence",
    },
    references={"project": "project"},
    fixed={},
    unique=(),
    consent_bases=("contract", "consent"),
    checker=FileChecker,
    reuses_check=True,
    writer=FileWriter,
    required=("file_code", "file_title"),
    labels=_labels,
)
