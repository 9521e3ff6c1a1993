"""Import kinds of the dealers' records (services/shared/importer.py does the rest).

``dealer``: a dealer list, a row per dealer, with its customer data card (客户资料卡) in the
same row when the dealer is signed, or its first potential-dealer file (潜在经销商档案) when
it is not. The status is the status column, else "signed" when the row has a contract date
or data-card columns, else "potential". The region is matched by the labels of the region
list; a region manager imports the dealers of their own region only (a blank region is
theirs), and is the responsible manager of the dealers whose row names none.

``potential_dealer``: more potential-dealer files of dealers already in the panel,
found by their name in the importer's region (and the region column, when two regions have
a dealer of that name).

Dealers belong to a region, not an office: nothing is placed in an office; the region
decides who sees the dealer (views/dealers/dealers.py). Duplicates: the dealer's name in its
region, the contact's mobile (by its blind index) and the licence number, each in the
file and in the panel (the importer's region for a region manager); a file of the same
dealer and day. Messages name no phone unmasked and no personal value at all.

``dealer_visit``: visits to dealers already in the panel (拜访记录), a row per visit: the dealer
by its name (as typed, else loosely: ``services/shared/company_names.py``), its business
licence number and/or its contact's mobile (by the blind index), each of which must find it;
the date, who visited (an active account of the region; blank: the importing region manager)
and what was discussed. Duplicates: the same dealer, date and visitor, in the file and in the
panel.

A name that finds no dealer as typed is matched loosely (full/half width, spaces, brackets,
有限公司/有限责任公司/公司 ...), and taken only when exactly one dealer matches; otherwise the row
error says how many dealers have a similar name (never which).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select, true

from core import crypto
from core.clock import office_today
from core.masking import mask
from models.admin.people import Role, User
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from models.types import blind_index_of, blind_indexes_for
from services.admin.accounts import sees_own_region_only
from services.shared import importer
from services.shared.company_names import loose_key
from services.shared.importer import Kind, RowChecker, RowResult, Writer

#: How a sheet writes a dealer's status.
STATUS_WORDS = {
    "potential": ("potential", "潜在", "潜在经销商", "潜在客户", "未签约", "意向", "意向客户"),
    "signed": ("signed", "已签约", "签约", "正式", "正式经销商", "合作中", "已合作"),
}
#: The data card's columns (a row holding any of them has a card).
CARD_FIELDS = (
    "card_filled_on",
    "legal_representative",
    "licence_no",
    "business_scope",
    "annual_sales_wan",
    "outlets",
    "bank_account",
    "card_notes",
)
#: The potential-dealer file's columns.
FILE_FIELDS = ("written_on", "business_profile", "current_suppliers", "interest", "next_step")
#: Longest free text kept (as the forms: 5,000 characters).
TEXT_MAX = 5000
#: Characters of the short text fields, as the model's columns.
LENGTHS = {
    "name": 100,
    "contact_name": 50,
    "address": 200,
    "legal_representative": 50,
    "licence_no": 50,
    "bank_account": 100,
}


def _labels() -> dict[str, str]:
    """The dealer kinds' fields, named as on the dealer forms."""
    return {
        "name": _("Dealer name"),
        "region": _("Region"),
        "status": _("Status"),
        "contact_name": _("Contact person"),
        "contract_signed_on": _("Contract date"),
        "in_directory": _("In potential-dealer directory"),
        "manager": _("Responsible manager"),
        "card_filled_on": _("Data card filled on"),
        "legal_representative": _("Legal representative"),
        "licence_no": _("Business licence number"),
        "business_scope": _("Business scope"),
        "annual_sales_wan": _("Annual sales (10k yuan)"),
        "outlets": _("Outlets"),
        "bank_account": _("Settlement bank account"),
        "card_notes": _("Notes on the data card"),
        "written_on": _("Written on"),
        "business_profile": _("Size and business"),
        "current_suppliers": _("Current products and suppliers"),
        "interest": _("Interest and obstacles"),
        "next_step": _("Next step"),
        "visited_on": _("Visit date"),
        "visitor": _("Visited by"),
        "summary": _("What was discussed"),
    }


def _key(name: str) -> str:
    """A dealer's name as matched: full-width folded, no spaces, lower case."""
    return importer._plain(name)


def _accounts_by_name(rows) -> dict[str, int]:
    """{full name and account name, as matched: user id} of (id, full name, username) rows;
    0 for a name two accounts share (a row naming it is refused, never guessed)."""
    index: dict[str, int] = {}
    for user_id, full_name, username in rows:
        for key in {_key(full_name or ""), _key(username)}:
            if key:
                index[key] = 0 if index.get(key, user_id) != user_id else user_id
    return index


class _DealerChecks(RowChecker):
    """The checks the two dealer kinds share: the region (the importer's own for a region
    manager), dates in the forms' ranges, bounded text."""

    _dealers_by_key: dict[str, list[tuple[int, int]]] | None = None
    _dealers_by_loose_key: dict[str, list[tuple[int, int]]] | None = None

    def dealers_by_key(self) -> dict[str, list[tuple[int, int]]]:
        """{folded name: [(dealer id, region id)]} of every dealer of the importer's regions,
        read once per pass. Names are matched folded (full width, case, spaces: ``_key``),
        which an SQL ``IN`` of the typed names cannot do; a region holds hundreds of dealers."""
        if self._dealers_by_key is None:
            query = select(Dealer.id, Dealer.name, Dealer.region_id).where(
                self.region_clause(Dealer.region_id)
            )
            found: dict[str, list[tuple[int, int]]] = {}
            loose: dict[str, list[tuple[int, int]]] = {}
            for dealer_id, name, region in self.session.execute(query):
                found.setdefault(_key(name), []).append((dealer_id, region))
                loose.setdefault(loose_key(name), []).append((dealer_id, region))
            self._dealers_by_key, self._dealers_by_loose_key = found, loose
        return self._dealers_by_key

    def dealers_named(self, name: str, region: int | None) -> tuple[list[int], bool]:
        """The ids of the dealers named ``name`` (in ``region`` when given), and whether they
        were found loosely: by the folded name, else by its loose key (brackets, punctuation
        and the company-form suffix left out)."""
        exact = self.dealers_by_key().get(_key(name), [])
        found = [dealer_id for dealer_id, kept in exact if region in (None, kept)]
        if found:
            return found, False
        similar = (self._dealers_by_loose_key or {}).get(loose_key(name), [])
        return [dealer_id for dealer_id, kept in similar if region in (None, kept)], True

    def name_error(self, found: list[int], loose: bool) -> str | None:
        """The row error of a dealer's name that finds none or several dealers."""
        if not found:
            return _("No dealer of this name in your region: import it first.")
        if len(found) == 1:
            return None
        if loose:
            return _(
                "No dealer has exactly this name and %(n)s have a similar one: write the name "
                "as it is in the panel.",
                n=len(found),
            )
        return _("Several dealers have this name: give the region.")

    def __init__(self, session, mapping, kind, user=None):
        super().__init__(session, mapping, kind, user)
        self.own_region = user is not None and sees_own_region_only(user)
        self.today = office_today()

    def _label(self, target: str) -> str:
        return importer.field_labels(self.kind_name)[target]

    def fields(self, values: tuple, errors: list[str]) -> dict:
        """As the importer's, a missing field named by this kind's label (the importer names
        it by whichever kind labels that field last: "name" is a customer's elsewhere)."""
        found: list[str] = []
        record = super().fields(values, found)
        if found:
            if not hasattr(self, "_missing"):
                self._missing = {
                    _("%(what)s is missing.", what=importer._field_label(t)): _(
                        "%(what)s is missing.", what=self._label(t)
                    )
                    for t in self.kind.required
                }
            errors.extend(self._missing.get(e, e) for e in found)
        return record

    def region_of(self, record: dict, errors: list[str]) -> int | None:
        """The row's region id (the importer's when blank for a region manager)."""
        region = record.get("region_id")
        if self.own_region:
            if self.user.region_id is None:
                errors.append(_("Your account names no region: ask the administrator."))
                return None
            if region is None:
                return self.user.region_id
            if region != self.user.region_id:
                errors.append(_("You can only record dealers of your own region."))
                return None
        return region

    def region_clause(self, column):
        """Where the importer's duplicates and dealers are looked for."""
        if not self.own_region:
            return true()
        return column == self.user.region_id

    def region_filter(self, column):
        """``region_clause`` for a statement that finds its dealers by a narrower key (a
        mobile's blind index, a licence number): the column read as ``column + 0``, so that
        SQLite, planning without statistics, keeps the key's index instead of reading every
        dealer of the region (services/admin/offices.py ``office_filter``)."""
        return self.region_clause(column + 0)

    def _in_range(self, target, raw, record, years_back: int) -> str | None:
        day = importer._as_date(raw)
        if day is None:
            return importer._date_error(raw)
        earliest = self.today.replace(year=self.today.year - years_back, day=1)
        if not earliest <= day <= self.today:
            return _(
                "%(what)s must be between %(start)s and %(end)s, not %(value)s.",
                what=self._label(target),
                start=earliest.isoformat(),
                end=self.today.isoformat(),
                value=day.isoformat(),
            )
        record[target] = day
        return None

    # checks of the dealers' own fields
    def _check_date30(self, target, raw, record):
        return self._in_range(target, raw, record, 30)

    def _check_date10(self, target, raw, record):
        return self._in_range(target, raw, record, 10)

    def _check_short(self, target, raw, record):
        text = importer._text_of_number(raw).strip()
        if len(text) > LENGTHS[target]:
            return _(
                "%(what)s is longer than %(n)s characters.",
                what=self._label(target),
                n=LENGTHS[target],
            )
        record[target] = text
        return None

    def _check_long(self, target, raw, record):
        text = str(raw).strip()
        if len(text) > TEXT_MAX:
            return _(
                "%(what)s is longer than %(n)s characters.", what=self._label(target), n=TEXT_MAX
            )
        record[target] = text
        return None


class DealerChecker(_DealerChecks):
    """Checks a row per dealer, with its data card or first potential-dealer file."""

    def __init__(self, session, mapping, kind="dealer", user=None):
        super().__init__(session, mapping, kind, user)
        self.managers = self._managers() if "manager" in mapping else {}

    def _managers(self) -> dict[str, int]:
        """{full name and account name, as matched: user id} of the active region managers
        (of the importer's region for a region manager); 0 for a name two share."""
        query = (
            select(User.id, User.full_name, User.username)
            .join(Role, User.role_id == Role.id)
            .where(Role.code == "region_manager", User.active.is_(True))
            .where(self.region_clause(User.region_id))
        )
        return _accounts_by_name(self.session.execute(query))

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        region = self.region_of(record, errors)
        if region is None and not self.own_region and self._cell(values, "region") is None:
            errors.append(_("%(what)s is missing.", what=self._label("region")))
        record["region_id"] = region
        has_card = any(record.get(t) is not None for t in CARD_FIELDS)
        has_file = any(record.get(t) is not None for t in FILE_FIELDS)
        status = record.get("status")
        if status is None:
            signed = record.get("contract_signed_on") is not None or has_card
            status = record["status"] = "signed" if signed else "potential"
        if has_card and status != "signed":
            errors.append(_("A customer data card is kept for a signed dealer only."))
        if status == "potential" and record.get("contract_signed_on"):
            errors.append(_("A potential dealer has no contract date: say signed."))
        if has_card and record.get("card_filled_on") is None:
            errors.append(_("%(what)s is missing.", what=self._label("card_filled_on")))
        signed_on, filled_on = record.get("contract_signed_on"), record.get("card_filled_on")
        if signed_on and filled_on and filled_on < signed_on:
            errors.append(_("The data card is dated before the contract."))
        if has_file and record.get("written_on") is None:
            errors.append(_("%(what)s is missing.", what=self._label("written_on")))
        record["has_card"], record["has_file"] = has_card, has_file
        if "manager_id" not in record and self.own_region:
            record["manager_id"] = self.user.id
        self._unique_in_file(row_number, record, errors)
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    def _unique_in_file(self, row_number: int, record: dict, errors: list[str]) -> None:
        keys = {
            "name": (record.get("region_id"), _key(record["name"])) if record.get("name") else None,
            "mobile": record.get("mobile"),
            "licence_no": _key(record["licence_no"]) if record.get("licence_no") else None,
        }
        for target, value in keys.items():
            if value is None:
                continue
            earlier = self.seen.get((target, value))
            if earlier is not None:
                errors.append(
                    _(
                        "Same %(what)s as row %(row)s of this file.",
                        what=self._label(target) if target != "mobile" else _("mobile"),
                        row=earlier,
                    )
                )
            else:
                self.seen[(target, value)] = row_number

    def _check_status(self, target, raw, record):
        key = importer._plain(raw)
        for code, words in STATUS_WORDS.items():
            if key in words:
                record[target] = code
                return None
        return _("Unknown status: %(value)s (potential, signed)", value=raw)

    def _check_manager(self, target, raw, record):
        found = self.managers.get(_key(raw))
        if found is None:
            return _("No region manager of your region is named %(value)s.", value=raw)
        if found == 0:
            return _("Several region managers are named %(value)s.", value=raw)
        record["manager_id"] = found
        return None

    def _check_sales(self, target, raw, record):
        text = importer._plain(importer._text_of_number(raw)).replace(",", "")
        text = text.removesuffix("万元").removesuffix("万")
        try:
            amount = Decimal(text).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            amount = None
        if amount is None or not 0 <= amount <= 10_000_000:
            return _("Bad annual sales (in 10,000 yuan, e.g. 350): %(value)s", value=raw)
        record[target] = amount
        return None

    def _check_count(self, target, raw, record):
        text = importer._plain(importer._text_of_number(raw)).rstrip("个家间处")
        try:
            count = int(text)
        except ValueError:
            count = None
        if count is None or not 0 <= count <= 100_000:
            return _("Bad number of outlets: %(value)s", value=raw)
        record[target] = count
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """Reject the dealers already in the panel by name in their region, by mobile or by
        licence number (one query per field and chunk, in the importer's region)."""
        rows = [r for r in results if r.record]
        by_key = self.dealers_by_key()
        taken_names = {(region, key) for key, found in by_key.items() for _dealer, region in found}
        _index_attr, purpose = blind_index_of(Dealer.mobile)
        by_index = {
            crypto.blind_index(r.record["mobile"], purpose): r.record["mobile"]
            for r in rows
            if r.record.get("mobile")
        }
        taken_mobiles = set()
        if by_index:
            query = select(Dealer.mobile_bidx).where(
                Dealer.mobile_bidx.in_(list(by_index)), self.region_filter(Dealer.region_id)
            )
            taken_mobiles = {by_index[i] for i in self.session.scalars(query)}
        licences = {r.record["licence_no"] for r in rows if r.record.get("licence_no")}
        taken_licences = set()
        if licences:
            query = (
                select(DealerDataCard.licence_no)
                .join(Dealer, DealerDataCard.dealer_id == Dealer.id)
                .where(
                    DealerDataCard.licence_no.in_(licences),
                    self.region_filter(Dealer.region_id),
                )
            )
            taken_licences = set(self.session.scalars(query))
        for r in rows:
            record = r.record
            if (record["region_id"], _key(record["name"])) in taken_names:
                r.errors.append(_("A dealer of this name is already in the region."))
            if record.get("mobile") in taken_mobiles:
                r.errors.append(
                    _(
                        "A dealer with %(what)s %(value)s already exists.",
                        what=_("mobile"),
                        value=mask("mobile", record["mobile"]),
                    )
                )
            if record.get("licence_no") in taken_licences:
                r.errors.append(_("A data card with this business licence number already exists."))
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)


class DealerWriter(Writer):
    """Inserts a chunk of a dealer list: the dealers, then their data cards and files."""

    people = ("dealer",)
    counts = "dealer"
    # Nothing read of what an earlier chunk wrote: the file's own names, mobiles and licence
    # numbers are kept by the checker (``seen``), the dealers of the region read once.
    pipelines = True

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        made = {"created_by_id": self.user.id}
        dealers = []
        for r in results:
            record = r.record
            dealer = {
                "name": record["name"],
                "region_id": record["region_id"],
                "status": record["status"],
                "contact_name": record.get("contact_name"),
                "mobile": record.get("mobile"),
                "landline": record.get("landline"),
                "address": record.get("address"),
                "contract_signed_on": record.get("contract_signed_on"),
                "in_directory": bool(record.get("in_directory")),
                "manager_id": record.get("manager_id"),
                "notes": record.get("notes"),
                **made,
            }
            dealers.append({**dealer, **blind_indexes_for(Dealer, dealer)})
        ids = self.insert_ids(Dealer, dealers)
        cards, files = [], []
        for dealer_id, r in zip(ids, results, strict=True):
            record = r.record
            if record["has_card"]:
                cards.append(
                    {
                        "dealer_id": dealer_id,
                        "filled_on": record["card_filled_on"],
                        "legal_representative": record.get("legal_representative"),
                        "licence_no": record.get("licence_no"),
                        "business_scope": record.get("business_scope"),
                        "annual_sales_wan": record.get("annual_sales_wan"),
                        "outlets": record.get("outlets"),
                        "bank_account": record.get("bank_account"),
                        "notes": record.get("card_notes"),
                        **made,
                    }
                )
            if record["has_file"]:
                files.append(_file_row(dealer_id, record, made))
        return {
            "dealer": ids,
            "dealer_data_card": self.insert_ids(DealerDataCard, cards),
            "potential_dealer_file": self.insert_ids(PotentialDealerFile, files),
        }


def _file_row(dealer_id: int, record: dict, made: dict) -> dict:
    return {
        "dealer_id": dealer_id,
        "written_on": record["written_on"],
        **{target: record.get(target) for target in FILE_FIELDS[1:]},
        **made,
    }


class PotentialFileChecker(_DealerChecks):
    """Checks a row per potential-dealer file of a dealer already in the panel."""

    def __init__(self, session, mapping, kind="potential_dealer", user=None):
        super().__init__(session, mapping, kind, user)

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        record["region_id"] = self.region_of(record, errors)
        if not any(record.get(t) for t in FILE_FIELDS[1:]) and not errors:
            errors.append(_("The file says nothing: fill in at least one of its columns."))
        if record.get("name") and record.get("written_on"):
            key = (_key(record["name"]), record["region_id"], record["written_on"])
            earlier = self.seen.get(("file", key))
            if earlier is not None:
                errors.append(_("Same dealer and date as row %(row)s of this file.", row=earlier))
            else:
                self.seen[("file", key)] = row_number
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    def mark_existing(self, results: list[RowResult]) -> None:
        """Find each row's dealer (one query per chunk) and refuse a file the dealer already
        has for that day."""
        rows = [r for r in results if r.record]
        for r in rows:
            found, loose = self.dealers_named(r.record["name"], r.record["region_id"])
            error = self.name_error(found, loose)
            if error:
                r.errors.append(error)
            else:
                r.record["dealer_id"] = found[0]
        wanted = {(r.record["dealer_id"], r.record["written_on"]) for r in rows if not r.errors}
        kept = set()
        if wanted:
            query = select(PotentialDealerFile.dealer_id, PotentialDealerFile.written_on).where(
                PotentialDealerFile.dealer_id.in_({d for d, _day in wanted})
            )
            kept = {tuple(row) for row in self.session.execute(query)} & wanted
        for r in rows:
            if not r.errors:
                key = (r.record["dealer_id"], r.record["written_on"])
                # The same dealer written two ways (a loose match, a region left blank)
                # escapes check()'s key: the dealer found decides, in any chunk (the writer
                # thread's rows are not read back).
                earlier = self.seen.get(("file_of", key))
                if earlier is not None:
                    r.errors.append(
                        _("Same dealer and date as row %(row)s of this file.", row=earlier)
                    )
                else:
                    self.seen[("file_of", key)] = r.row_number
                if key in kept:
                    r.errors.append(_("The dealer already has a file of this date."))
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)


class PotentialFileWriter(Writer):
    counts = "potential_dealer_file"
    # Nothing read of what an earlier chunk wrote: the file's (dealer, date) pairs are kept
    # by the checker (``seen``, in mark_existing), the dealers were there before the import.
    pipelines = True

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        made = {"created_by_id": self.user.id}
        rows = [_file_row(r.record["dealer_id"], r.record, made) for r in results]
        return {self.counts: self.insert_ids(PotentialDealerFile, rows)}


class VisitChecker(_DealerChecks):
    """Checks a row per visit to a dealer already in the panel (dealer_visit)."""

    def __init__(self, session, mapping, kind="dealer_visit", user=None):
        super().__init__(session, mapping, kind, user)
        self.visitors = self._visitors() if "visitor" in mapping else {}

    def _visitors(self) -> dict[str, int]:
        """{full name and account name, as matched: user id} of the active accounts who may
        be named a visit's visitor (the region's, for a region manager, as on the visit form);
        0 for a name two share."""
        query = select(User.id, User.full_name, User.username).where(
            User.active.is_(True), self.region_clause(User.region_id)
        )
        return _accounts_by_name(self.session.execute(query))

    def check(self, row_number: int, values: tuple) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        record = self.fields(values, errors)
        record["region_id"] = self.region_of(record, errors)
        if all(self._cell(values, t) is None for t in VISIT_DEALER_FIELDS):
            errors.append(_("Name the dealer: its name, business licence number or mobile."))
        if "visitor_id" not in record and self.own_region:
            record["visitor_id"] = self.user.id  # blank: the importing region manager
        if errors:
            self.wrong.add(row_number)
        result.record = None if errors else record
        return result

    def _check_licence(self, target, raw, record):
        error = self._check_short(target, raw, record)
        if error is None:
            record[target] = _licence_key(record[target])
        return error

    def _check_visitor(self, target, raw, record):
        found = self.visitors.get(_key(raw))
        if found is None:
            return _("No active account of your region is named %(value)s.", value=raw)
        if found == 0:
            return _("Several accounts are named %(value)s.", value=raw)
        record["visitor_id"] = found
        return None

    def mark_existing(self, results: list[RowResult]) -> None:
        """Find each row's dealer (its name, licence number and mobile must all find the same
        one; one query per field and chunk), then refuse a visit the file or the panel
        already has (same dealer, date and visitor)."""
        rows = [r for r in results if r.record]
        by_licence = self._by_licence(rows)
        by_mobile = self._by_mobile(rows)
        for r in rows:
            self._find_dealer(r, by_licence, by_mobile)
        wanted = {_visit_key(r.record) for r in rows if not r.errors}
        kept = set()
        if wanted:
            query = select(
                DealerVisit.dealer_id, DealerVisit.visited_on, DealerVisit.visitor_id
            ).where(
                DealerVisit.dealer_id.in_({key[0] for key in wanted}),
                DealerVisit.visited_on.in_({key[1] for key in wanted}),
            )
            kept = {tuple(row) for row in self.session.execute(query)} & wanted
        for r in rows:
            if not r.errors:
                key = _visit_key(r.record)
                earlier = self.seen.get(("visit", key))
                if earlier is not None:
                    r.errors.append(
                        _(
                            "Same dealer, date and visitor as row %(row)s of this file.",
                            row=earlier,
                        )
                    )
                else:
                    self.seen[("visit", key)] = r.row_number
                if key in kept:
                    r.errors.append(
                        _("The dealer already has a visit of this date by this visitor.")
                    )
            if r.errors:
                r.record = None
                self.wrong.add(r.row_number)

    def _find_dealer(self, r: RowResult, by_licence: dict, by_mobile: dict) -> None:
        record, region = r.record, r.record["region_id"]
        sets: list[set[int]] = []
        loose_name = False
        if record.get("name"):
            found, loose_name = self.dealers_named(record["name"], region)
            if not found:
                r.errors.append(_("No dealer of this name in your region: import it first."))
            sets.append(set(found))
        if record.get("licence_no"):
            found = {
                d for d, kept in by_licence.get(record["licence_no"], ()) if region in (None, kept)
            }
            if not found:
                r.errors.append(_("No dealer of your region has this business licence number."))
            sets.append(found)
        if record.get("mobile"):
            found = {d for d, kept in by_mobile.get(record["mobile"], ()) if region in (None, kept)}
            if not found:
                r.errors.append(
                    _(
                        "No dealer of your region has the mobile %(value)s.",
                        value=mask("mobile", record["mobile"]),
                    )
                )
            sets.append(found)
        if r.errors or not sets:
            return
        common = set.intersection(*sets)
        if not common:
            r.errors.append(
                _("The dealer's name, business licence number and mobile name different dealers.")
            )
        elif len(common) > 1:
            if len(sets) == 1 and record.get("name"):
                # the name alone: the same message as a potential-dealer file's
                r.errors.append(self.name_error(sorted(common), loose_name))
            else:
                r.errors.append(
                    _(
                        "Several dealers match this row: give more of the dealer's name, "
                        "business licence number and mobile."
                    )
                )
        else:
            (record["dealer_id"],) = common

    def _by_licence(self, rows: list[RowResult]) -> dict[str, list[tuple[int, int]]]:
        """{licence number: [(dealer id, region id)]} of the chunk's licence numbers on the
        data cards of the importer's region (one query)."""
        wanted = {r.record["licence_no"] for r in rows if r.record.get("licence_no")}
        found: dict[str, list[tuple[int, int]]] = {}
        if not wanted:
            return found
        # kept as typed on the card: the spellings a licence number is matched by
        typed = wanted | {w.lower() for w in wanted}
        query = (
            select(DealerDataCard.licence_no, Dealer.id, Dealer.region_id)
            .join(Dealer, DealerDataCard.dealer_id == Dealer.id)
            .where(DealerDataCard.licence_no.in_(typed), self.region_filter(Dealer.region_id))
        )
        for licence, dealer_id, region in self.session.execute(query):
            found.setdefault(_licence_key(licence), []).append((dealer_id, region))
        return found

    def _by_mobile(self, rows: list[RowResult]) -> dict[str, list[tuple[int, int]]]:
        """{mobile: [(dealer id, region id)]} of the chunk's mobiles among the dealers of the
        importer's region, through the blind index (nothing is decrypted; one query)."""
        _index_attr, purpose = blind_index_of(Dealer.mobile)
        by_index = {
            crypto.blind_index(r.record["mobile"], purpose): r.record["mobile"]
            for r in rows
            if r.record.get("mobile")
        }
        found: dict[str, list[tuple[int, int]]] = {}
        if not by_index:
            return found
        query = select(Dealer.mobile_bidx, Dealer.id, Dealer.region_id).where(
            Dealer.mobile_bidx.in_(list(by_index)), self.region_filter(Dealer.region_id)
        )
        for index, dealer_id, region in self.session.execute(query):
            found.setdefault(by_index[index], []).append((dealer_id, region))
        return found


class VisitWriter(Writer):
    counts = "dealer_visit"
    # As PotentialFileWriter: the file's visits are kept by the checker (``seen``).
    pipelines = True

    def write(self, results: list[RowResult]) -> dict[str, list[int]]:
        rows = [
            {
                "dealer_id": r.record["dealer_id"],
                "visited_on": r.record["visited_on"],
                "visitor_id": r.record.get("visitor_id"),
                "summary": r.record["summary"],
                "created_by_id": self.user.id,
            }
            for r in results
        ]
        return {self.counts: self.insert_ids(DealerVisit, rows)}


#: The columns a visit's dealer is found by.
VISIT_DEALER_FIELDS = ("name", "licence_no", "mobile")


def _licence_key(licence: str) -> str:
    """A business licence number as matched: no spaces, upper case, half width."""
    return _key(licence).upper()


def _visit_key(record: dict) -> tuple:
    return (record["dealer_id"], record["visited_on"], record.get("visitor_id"))


_NAME_TITLES = (
    "经销商名称",
    "经销商",
    "客户名称",
    "公司名称",
    "单位名称",
    "店名",
    "名称",
    "dealer name",
    "dealer",
    "name",
    "company",
)
_REGION_TITLES = ("区域", "所属区域", "大区", "片区", "销售区域", "region")
_FILE_TITLES = {
    "written_on": ("建档日期", "填写日期", "档案日期", "拜访日期", "日期", "written on", "date"),
    "business_profile": (
        "经营规模",
        "规模及业务",
        "经营情况",
        "客户规模",
        "size and business",
        "business profile",
    ),
    "current_suppliers": (
        "现经营产品及供应商",
        "现经营产品",
        "现有供应商",
        "供应商",
        "current products and suppliers",
        "current suppliers",
    ),
    "interest": ("合作意向", "合作意向及障碍", "意向及障碍", "意向", "interest"),
    "next_step": ("下一步", "下一步计划", "后续计划", "下一步工作", "next step"),
}
_FILE_CHECKS = {
    "written_on": "date10",
    "business_profile": "long",
    "current_suppliers": "long",
    "interest": "long",
    "next_step": "long",
}

importer.KINDS["dealer"] = Kind(
    model=Dealer,
    record_type="dealer",
    fields={
        "name": _NAME_TITLES,
        "region": _REGION_TITLES,
        "status": ("状态", "签约状态", "合作状态", "经销商状态", "status"),
        "contact_name": ("联系人", "联系人姓名", "负责人姓名", "contact person", "contact"),
        "mobile": ("手机", "手机号", "手机号码", "联系手机", "联系电话", "mobile", "cell"),
        "landline": ("座机", "固定电话", "办公电话", "电话", "landline", "phone"),
        "address": ("地址", "经营地址", "详细地址", "公司地址", "address"),
        "contract_signed_on": (
            "签约日期",
            "合同日期",
            "签约时间",
            "合同签订日期",
            "contract date",
            "signed on",
        ),
        "in_directory": (
            "列入名录",
            "潜在经销商名录",
            "入名录",
            "重要客户",
            "in potential-dealer directory",
            "in directory",
        ),
        "manager": (
            "区域负责人",
            "负责经理",
            "区域经理",
            "负责人",
            "responsible manager",
            "manager",
        ),
        "notes": ("备注", "说明", "notes", "remarks"),
        "card_filled_on": (
            "资料卡日期",
            "资料卡填写日期",
            "填卡日期",
            "建卡日期",
            "data card filled on",
            "card filled on",
        ),
        "legal_representative": ("法定代表人", "法人代表", "法人", "legal representative"),
        "licence_no": (
            "营业执照号",
            "营业执照号码",
            "营业执照",
            "统一社会信用代码",
            "执照号",
            "business licence number",
            "licence number",
            "licence no",
        ),
        "business_scope": ("经营范围", "business scope"),
        "annual_sales_wan": (
            "年销售额",
            "年销售额(万元)",
            "年销售额（万元）",
            "年销量",
            "annual sales (10k yuan)",
            "annual sales",
        ),
        "outlets": ("网点数", "网点数量", "门店数", "门店数量", "outlets"),
        "bank_account": (
            "开户行及账号",
            "开户银行及账号",
            "结算账户",
            "银行账号",
            "开户行",
            "settlement bank account",
            "bank account",
        ),
        "card_notes": ("资料卡备注", "notes on the data card", "card notes"),
        **_FILE_TITLES,
    },
    checks={
        "name": "short",
        "region": "reference",
        "status": "status",
        "contact_name": "short",
        "mobile": "mobile",
        "landline": "landline",
        "address": "short",
        "contract_signed_on": "date30",
        "in_directory": "yes_no",
        "manager": "manager",
        "notes": "long",
        "card_filled_on": "date30",
        "legal_representative": "short",
        "licence_no": "short",
        "business_scope": "long",
        "annual_sales_wan": "sales",
        "outlets": "count",
        "bank_account": "short",
        "card_notes": "long",
        **_FILE_CHECKS,
    },
    references={"region": "region"},
    fixed={},
    unique=(),
    consent_bases=("contract", "consent"),
    checker=DealerChecker,
    writer=DealerWriter,
    required=("name",),
    labels=_labels,
)

importer.KINDS["potential_dealer"] = Kind(
    model=PotentialDealerFile,
    record_type="potential_dealer_file",
    fields={"name": _NAME_TITLES, "region": _REGION_TITLES, **_FILE_TITLES},
    checks={"name": "short", "region": "reference", **_FILE_CHECKS},
    references={"region": "region"},
    fixed={},
    unique=(),
    consent_bases=("consent", "contract"),
    checker=PotentialFileChecker,
    writer=PotentialFileWriter,
    required=("name", "written_on"),
    labels=_labels,
)


_LICENCE_TITLES = (
    "营业执照号",
    "营业执照号码",
    "营业执照",
    "统一社会信用代码",
    "执照号",
    "business licence number",
    "licence number",
    "licence no",
)

importer.KINDS["dealer_visit"] = Kind(
    model=DealerVisit,
    record_type="dealer_visit",
    fields={
        "name": _NAME_TITLES,
        "region": _REGION_TITLES,
        "licence_no": _LICENCE_TITLES,
        "mobile": ("手机", "手机号", "手机号码", "联系手机", "联系电话", "mobile", "cell"),
        "visited_on": (
            "拜访日期",
            "走访日期",
            "回访日期",
            "跟进日期",
            "拜访时间",
            "日期",
            "visit date",
            "visited on",
            "date",
        ),
        "visitor": (
            "拜访人",
            "走访人",
            "拜访人员",
            "回访人",
            "跟进人",
            "业务员",
            "visited by",
            "visitor",
        ),
        "summary": (
            "拜访内容",
            "洽谈内容",
            "沟通内容",
            "跟进内容",
            "交谈内容",
            "拜访记录",
            "跟进记录",
            "拜访情况",
            "内容",
            "what was discussed",
            "summary",
        ),
    },
    checks={
        "name": "short",
        "region": "reference",
        "licence_no": "licence",
        "mobile": "mobile",
        "visited_on": "date10",
        "visitor": "visitor",
        "summary": "long",
    },
    references={"region": "region"},
    fixed={},
    unique=(),
    consent_bases=("contract", "consent"),
    checker=VisitChecker,
    writer=VisitWriter,
    required=("visited_on", "summary"),
    labels=_labels,
)
