"""Every page a person reaches speaks the office's language (issue 25).

Each role signs in and opens every GET endpoint of the URL map it may see (the desks, queues,
print views, ownership pages, approvals, settings, model lists, details, edit forms...), with
the URL's ids pointing at one seeded record of every kind (the seeding and the URL building of
tests/web/shared/test_office_isolation.py, the staff belonging to the records' office).

With the Chinese interface, no visible text (scripts and styles left out) may hold:
- an English word outside ALLOWED_WORDS (brand and unit names, the office's own codes);
- a raw code of the models' enums (CheckConstraints), the reference lists or the roles;
- True/False/None;
- a time with seconds or microseconds, or "UTC".
With the English interface, no header, label, button, menu entry or title may hold Chinese
(tests/web/shared/test_english_interface.py's reader), data and names aside.
The files the panel writes (every CSV/XLSX export, the customer analysis, the lookup register,
the access-log export and the customer's copy) are read cell by cell, sheet names included,
with the Chinese rules.

A finding on a page another change is rewriting may be named in KNOWN with its reason; the
test fails on anything else. REACHED keeps the walk honest: if the seeding stops opening the
desks (a 404 on every id), the test says so instead of passing on fewer pages.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import CheckConstraint, select

from core import access
from extensions import db
from models.admin.offices import Office
from models.admin.people import User
from models.admin.reference import ReferenceItem, ReferenceList
from models.base import Base
from models.dealers.dealers import Dealer, DealerDataCard, DealerVisit, PotentialDealerFile
from tests.factories import PASSWORD, make_prospect, make_user, ref_item
from tests.web.shared.test_english_interface import CHINESE, chinese_in_chrome
from tests.web.shared.test_office_isolation import (
    MARK,
    _get_rules,
    _model_views,
    _office_b,
    _records_of_b,
    _urls,
)
from views.shared.approvals import record_type_label

pytestmark = pytest.mark.instant()

#: Latin words a Chinese page may show: brands, file formats, units, and the office's codes.
ALLOWED_WORDS = {
    "PDF",
    "XLSX",
    "xlsx",
    "CSV",
    "csv",
    "Excel",
    "UTF",  # text encodings a CSV upload may be in: UTF-8, GBK
    "GBK",
    "ID",
    "IC",
    "VIP",
    "KB",
    "MB",
    "GB",
    "A4",  # the paper size of print views
    "DM",  # direct mail, a source channel's name (DM单页)
    "English",  # the language switch names each language in itself
}
#: Data of the seeded records and accounts: shown as typed, whatever the language.
DATA_PATTERN = re.compile(
    r"(?:clerk|supervisor|region_manager|custodian|admin|auditor)\d+\b"  # user names
    r"|\b[A-Z]{1,3}-\d{3,4}\b"  # card numbers, file and space codes: RB-0001, AB-0001
    r"|[\u4e00-\u9fff][A-Z]\d{5}"  # plate numbers: 粤B99999
    r"|flask(?: --app app)?(?: [a-z][a-z-]*)+"  # a command the admin is told to run
    r"|\b[0-9a-f]{16,}\b"  # the access log's hashes and request ids
    r"|(?<![\w/])/[a-z0-9_/.-]*"  # a request's path, in the access log
)
#: The seeded records' names, titles and buildings (tests/web/shared/test_office_isolation.py).
RECORD = re.compile(MARK + "[\u4e00-\u9fff]*")
#: Pages whose records are the reference lists themselves: an item's code is one of its fields.
REFERENCE_PAGES = ("reference_item.", "reference_list.")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_']+")
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b|\d{2}:\d{2}\.\d{3,6}")
LITERALS = {"True", "False", "None", "UTC"}

#: Endpoints whose findings are known and left to another change (endpoint -> reason).
KNOWN: dict[str, str] = {}
#: Pages each role must reach with the seeded records (a sample of desks, queues, prints and
#: ownership pages; the walk opens every GET endpoint it may).
REACHED = {
    "clerk": {"customer_pool.index", "office_customers.index", "transfer_desk.detail"},
    "supervisor": {
        "collisions.index",
        "handover.index",
        "approvals.detail",
        "print_view.card",
        "print_view.transfer",
        "spot_checks.week",
        "prospect.details_view",
        "prospect.details_panels_view",
        "prospect.edit_view",
    },
    "region_manager": {"dealer_deadlines.index", "dealer.details_view"},
    "custodian": {"archive_desk.file", "archive_desk.index", "print_view.register"},
    "admin": {
        "office_settings.index",
        "retention.periods",
        "access_alerts.index",
        "incidents.index",
        "lockdown.index",
    },
    # the outside auditor: lists and details of every office, the review and its print
    "auditor": {
        "prospect.index_view",
        "prospect.details_view",
        "prospect.details_panels_view",
        "audit.index_view",
        "compliance_review.index",
        "compliance_review.print",
        "spot_checks.index",
    },
}


def _enum_codes() -> set[str]:
    """Every value a CheckConstraint allows (``col IN ('a', 'b')``), the roles' codes and the
    reference lists' codes: none of them may be shown raw."""
    codes = set(access.ROLES)
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, CheckConstraint) and " IN " in str(constraint.sqltext):
                codes.update(re.findall(r"'([a-z][a-z_]+)'", str(constraint.sqltext)))
    codes.update(db.session.scalars(select(ReferenceItem.code)))
    return {code for code in codes if re.fullmatch(r"[a-z][a-z_]+", code)}


def _english_data() -> tuple[str, ...]:
    """The reference lists' English labels: the admin's data, shown on the lists' own pages."""
    labels = set(db.session.scalars(select(ReferenceItem.label_en)))
    labels |= set(db.session.scalars(select(ReferenceList.name_en)))
    return tuple(sorted((label for label in labels if label), key=len, reverse=True))


class _Visible(HTMLParser):
    """Every visible text node, title, placeholder and button value; scripts and styles
    skipped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder") and value and value.strip():
                self.found.append(value.strip())
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            value = dict(attrs).get("value")
            if value:
                self.found.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        # Flask-Admin's filter definitions and messages travel as JSON in hidden elements, an
        # inline form's template as escaped HTML in a hidden textarea: none of them is shown.
        if not self._skip and text and not text.startswith(("{", "<", '"')):
            self.found.append(text)


def chinese_page_findings(
    html: str, codes: set[str], data: tuple[str, ...] = (), own_codes: frozenset = frozenset()
) -> list[str]:
    """What a Chinese page shows that is not Chinese; ``data``: values typed by people (the
    reference lists' English labels), cut out first; ``own_codes``: codes that are the page's
    own records' field (a reference item's code on the reference lists' pages)."""
    reader = _Visible()
    reader.feed(html)
    found = set()
    for text in reader.found:
        if text in own_codes:
            continue
        for value in data:
            text = text.replace(value, "")
        text = DATA_PATTERN.sub("", text)
        if SECONDS.search(text):
            found.add(f"seconds: {text}")
        for word in WORD.findall(text):
            if word in own_codes:
                continue
            if word in LITERALS:
                found.add(f"literal {word}: {text}")
            elif word in codes:
                found.add(f"code {word}: {text}")
            elif word not in ALLOWED_WORDS:
                found.add(f"English {word}: {text}")
    return sorted(found)


def test_the_reader_finds_english_codes_and_seconds():
    html = (
        "<h1>客户</h1><script>var x = 'hidden';</script><td>follow_up</td><td>True</td>"
        "<th>Name</th><td>2026-12-06 09:30:15</td><td>时间（UTC）</td><td>clerk12</td>"
        "<td>PDF</td><td>RB-0001</td><input type=submit value='Save'>"
    )
    assert chinese_page_findings(html, {"follow_up"}) == [
        "English Name: Name",
        "English Save: Save",
        "code follow_up: follow_up",
        "literal True: True",
        "literal UTC: 时间（UTC）",
        "seconds: 2026-12-06 09:30:15",
    ]


def test_the_codes_come_from_the_models(app):
    with app.app_context():
        codes = _enum_codes()
    expected = {"follow_up", "walk_in", "requested", "approved_by_superior", "pending"}
    assert expected | {"handed_over", "claimed", "sales", "management", "clerk"} <= codes


def test_every_record_type_the_log_writes_has_a_label(app):
    """The access log, its export and the "who looked" panel name record types by label: every
    type the code writes (``record_type="..."`` or a module's ``*_RECORD`` constant) has one."""
    root = Path(__file__).resolve().parents[3]
    written = set()
    for folder in ("services", "views"):
        for source in (root / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            written.update(re.findall(r'record_type="([a-z_]+)"', text))
            written.update(re.findall(r'^\w*RECORD\w* = "([a-z_]+)"', text, re.MULTILINE))
    with app.test_request_context():
        unlabelled = sorted(code for code in written if record_type_label(code) == code)
    assert len(written) > 10
    assert not unlabelled


@pytest.fixture
def seeded(app, today):
    """One record of every kind in one office; returns (ids, office id)."""
    with app.app_context():
        office, project = _office_b(db.session)
        ids = _records_of_b(db.session, office, project, today)
        make_prospect(db.session, name="本部客户")
        ids.update(_dealer(today))
        db.session.commit()
        ids["token"] = "0" * 32  # no upload waits: the import's steps answer 404
        return ids, office.id


def _dealer(today) -> dict:
    """A dealer of one region with its data card, potential file and visit (dealers belong to
    regions, not offices: the region manager signs in for that region)."""
    region = ref_item(db.session, "region")  # a standard region, or one labelled 演示
    dealer = Dealer(region_id=region.id, name=f"{MARK}经销商", status="signed")
    dealer.data_card = DealerDataCard(filled_on=today, licence_no="DL-0001")
    dealer.potential_files.append(PotentialDealerFile(written_on=today, interest="有兴趣"))
    dealer.visits.append(DealerVisit(visited_on=today, summary="首次拜访"))
    db.session.add(dealer)
    db.session.flush()
    return {
        "dealer": dealer.id,
        "dealer_data_card": dealer.data_card.id,
        "potential_dealer_file": dealer.potential_files[0].id,
        "dealer_visit": dealer.visits[0].id,
        "region": region.id,
    }


def _sign_in(app, client, role: str, office_id: int, region_id: int) -> tuple[str, str]:
    with app.app_context():
        office = db.session.get(Office, office_id)
        region = {"region_id": region_id} if role == "region_manager" else {}
        user = make_user(db.session, role, offices=[office], **region)
        name, full_name = user.username, user.full_name
        db.session.commit()
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302
    return name, full_name


def _pages(app, client, ids, today):
    """(endpoint, url, html) of every page the signed-in person reaches."""
    views = _model_views(app)
    for rule in _get_rules(app):
        function = rule.endpoint.partition(".")[2]
        if function in ("export", "ajax_lookup") or "<export_type>" in rule.rule:
            continue  # files and JSON, not pages
        for url in _urls(views, rule, ids, today):
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            yield rule.endpoint, url, response.get_data(as_text=True)


def _cells(response) -> list[str]:
    """The texts of a written file: a CSV's cells, an XLSX's strings and sheet names."""
    data = response.get_data()
    if data[:2] != b"PK":
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        return [cell for row in rows for cell in row]
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            xml = book.read(name).decode("utf-8", "replace")
            texts += re.findall(r"<(?:\w+:)?t(?: [^>]*)?>([^<]*)</(?:\w+:)?t>", xml)
            texts += re.findall(r'<(?:\w+:)?sheet [^>]*name="([^"]*)"', xml)
    return texts


def _files(app, client, ids, today):
    """(endpoint, url, response) of every file the signed-in person downloads, and the
    customer's copy (a POST: it is logged as given)."""
    views = _model_views(app)
    for rule in _get_rules(app):
        for url in _urls(views, rule, ids, today):
            response = client.get(url)
            if response.status_code == 200 and response.mimetype not in (
                "text/html",
                "application/json",
            ):
                yield rule.endpoint, url, response
    url = f"/admin/subject_request/copy/?id={ids['subject_request']}"
    response = client.post(url)
    if response.status_code == 200:
        yield "subject_request.copy_view", url, response


def _report(findings: dict[str, list[str]]) -> str:
    """Each finding once, with the pages it is on (the same navbar word is on every page)."""
    pages: dict[str, list[str]] = {}
    for url, found in sorted(findings.items()):
        for text in found:
            pages.setdefault(text, []).append(url)
    lines = [
        f"{text!r} on {urls[0]}" + (f" and {len(urls) - 1} more" if len(urls) > 1 else "")
        for text, urls in sorted(pages.items())
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("role", access.ROLES)
def test_every_page_is_chinese(app, client, seeded, today, role):
    ids, office_id = seeded
    _sign_in(app, client, role, office_id, ids["region"])
    with app.app_context():
        codes = _enum_codes()
        data = _english_data()
        reference_codes = frozenset(db.session.scalars(select(ReferenceItem.code)))
    findings, reached = {}, set()
    for endpoint, url, html in _pages(app, client, ids, today):
        reached.add(endpoint)
        own = reference_codes if endpoint.startswith(REFERENCE_PAGES) else frozenset()
        found = chinese_page_findings(html, codes, data, own)
        if found and endpoint not in KNOWN:
            findings[url] = found
    assert REACHED[role] <= reached, f"not reached: {sorted(REACHED[role] - reached)}"
    assert not findings, _report(findings)


#: Files each role must get (the walk takes every file it may).
FILES_REACHED = {
    "supervisor": {
        "prospect.export",
        "customer_analysis.export",
        "archive_register.export",
        "subject_request.copy_view",
    },
    "admin": {"audit.export"},
}


@pytest.mark.parametrize("role", access.ROLES)
def test_every_file_is_chinese(app, client, seeded, today, role):
    ids, office_id = seeded
    _sign_in(app, client, role, office_id, ids["region"])
    with app.app_context():
        codes = _enum_codes()
        data = _english_data()
        reference_codes = frozenset(db.session.scalars(select(ReferenceItem.code)))
    findings, reached = {}, set()
    for endpoint, url, response in _files(app, client, ids, today):
        reached.add(endpoint)
        own = reference_codes if endpoint.startswith(REFERENCE_PAGES) else frozenset()
        found = set()
        for cell in _cells(response):
            found.update(chinese_page_findings(f"<p>{escape(cell)}</p>", codes, data, own))
        if found and endpoint not in KNOWN:
            findings[url] = sorted(found)
    assert FILES_REACHED.get(role, set()) <= reached, sorted(FILES_REACHED[role] - reached)
    assert not findings, _report(findings)


@pytest.mark.parametrize("role", access.ROLES)
def test_every_page_is_english_on_request(app, client, seeded, today, role):
    ids, office_id = seeded
    _name, full_name = _sign_in(app, client, role, office_id, ids["region"])
    client.set_cookie(app.config["LANGUAGE_COOKIE"], "en")
    with app.app_context():
        people = tuple(db.session.scalars(select(User.full_name)))
        office_names = tuple(db.session.scalars(select(Office.name)))
    data = tuple(sorted({full_name, *people, *office_names}, key=len, reverse=True))
    findings = {}
    for endpoint, url, html in _pages(app, client, ids, today):
        # Every seeded record's name, title and building starts with MARK: data in a header.
        found = [t for t in chinese_in_chrome(html, data) if CHINESE.search(RECORD.sub("", t))]
        if found and endpoint not in KNOWN:
            findings[url] = found
    assert not findings, _report(findings)
