"""The compliance review's figures against counts made here on seeded data, section by
section, and the access log's chain verified as part of it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, insert, select

from core.clock import office_midnight_utc, utc_from_office
from extensions import db
from models.admin.incidents import Incident, IncidentCustomer
from models.admin.offices import Office
from models.admin.people import User
from models.admin.staff import TrainingRecord
from models.privacy.audit import AccessChainHead, AccessEvent
from models.privacy.partners import Partner, PartnerConsent, PartnerShare, SharingAgreement
from models.privacy.privacy import ConsentRecord, RetentionBatch, SubjectRequest
from models.sales.daily import AccessAlert, SpotCheck, SpotCheckItem
from services.privacy import audit
from services.privacy import compliance_review as review
from services.sales.spot_checks import week_start
from tests.factories import make_prospect, make_user

pytestmark = pytest.mark.instant()


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def at(day, hour=10, minute=0) -> datetime:
    """An office moment (Beijing time) as the database keeps it: naive UTC."""
    return utc_from_office(datetime.combine(day, time(hour, minute)))


def log(session, moment: datetime, user, action: str, **fields) -> None:
    """A real chained event written at ``moment`` (the clock moved there)."""
    with time_machine.travel(moment.isoformat() + "+00:00", tick=False):
        actor = audit.Actor(user.id, user.username, user.role_code)
        audit.record(session, actor, action, **fields)


def figures(session, p, code) -> dict[str, object]:
    """The section's figures by their English label."""
    section = review.section(code)
    with force_locale("en"):
        return {str(f.label): f.value for f in section.figures(session, p)}


def keys(session, p, code) -> dict[str, object]:
    return {f.key: f.value for f in review.section(code).figures(session, p) if f.key}


@pytest.fixture
def world(s, today):
    """Two offices, their staff and an admin; the period is the week up to today."""
    first = s.scalar(select(Office).order_by(Office.id))
    second = Office(name="城南办", kind="combined", active=True)
    s.add(second)
    s.flush()
    people = {
        "clerk": make_user(s, "clerk", offices=[first]),
        "supervisor": make_user(s, "supervisor", offices=[second]),
        "both": make_user(s, "clerk", offices=[first, second]),
        "admin": make_user(s, "admin", offices=[]),
    }
    s.flush()
    return {"p": review.period(today - timedelta(days=6), today), **people}, first, second


def test_a_period_is_checked(today):
    with pytest.raises(review.PeriodError):
        review.period(today, today - timedelta(days=1))
    with pytest.raises(review.PeriodError):
        review.period(None, today)
    with pytest.raises(review.PeriodError):
        review.period(today - timedelta(days=400), today)
    p = review.period(today, today)
    assert p.until - p.since == timedelta(days=1)
    assert p.since == office_midnight_utc(today)


def test_accesses_by_role_and_office(s, world, today):
    w, first, second = world
    p = w["p"]
    log(s, at(p.start, 0, 0), w["clerk"], "list", record_type="prospect", record_ids=[1, 2])
    log(s, at(today), w["clerk"], "details", record_type="prospect", record_id=1)
    log(s, at(today), w["supervisor"], "export", record_type="prospect", record_ids=[1, 2, 3])
    log(s, at(today), w["both"], "search", record_type="prospect")
    log(s, at(today), w["admin"], "reveal", record_type="prospect", record_id=1)
    log(s, at(today), w["admin"], "login")  # not a look at data
    log(
        s,
        at(p.start - timedelta(days=1), 23, 59),
        w["clerk"],
        "details",
        record_type="prospect",
        record_id=2,
    )
    log(
        s,
        office_midnight_utc(today + timedelta(days=1)),
        w["clerk"],
        "list",
        record_type="prospect",
    )
    s.flush()

    # counted here from the log itself
    reads = select(AccessEvent).where(
        AccessEvent.at >= p.since,
        AccessEvent.at < p.until,
        AccessEvent.action.in_(review.READ_ACTIONS),
    )
    in_period = s.scalars(reads).all()
    assert len(in_period) == 5

    got = keys(s, p, "accesses")
    assert got["all"] == len(in_period)
    assert got["role:clerk"] == sum(e.role == "clerk" for e in in_period) == 3
    assert got["role:supervisor"] == 1 and got["role:admin"] == 1
    # an account counts for each office it belongs to; the admin belongs to none
    assert got[f"office:{first.id}"] == 3  # the clerk's two and "both"'s one
    assert got[f"office:{second.id}"] == 2  # the supervisor's and "both"'s

    table = review.rows(s, p, "accesses", "role:clerk")
    assert table.total == 3 and {r["action"] for r in table.rows} == {"list", "details", "search"}
    table = review.rows(s, p, "accesses", f"office:{second.id}")
    assert {r["username"] for r in table.rows} == {w["supervisor"].username, w["both"].username}


def test_exports_and_reveals_by_whom(s, world, today):
    w, _first, _second = world
    p = w["p"]
    log(s, at(today), w["supervisor"], "export", record_type="prospect", record_ids=[1, 2, 3])
    log(s, at(today), w["supervisor"], "export", record_type="owner", record_ids=[4])
    log(s, at(today), w["clerk"], "export", record_type="prospect", outcome="denied")
    log(s, at(today), w["admin"], "reveal", record_type="prospect", record_id=1)
    log(
        s, at(today - timedelta(days=30)), w["admin"], "reveal", record_type="prospect", record_id=1
    )
    s.flush()
    got = keys(s, p, "outputs")
    named = figures(s, p, "outputs")
    assert named["Exports"] == 2 and named["Rows exported"] == 4
    assert named["Full numbers revealed"] == 1
    assert got[f"export:{w['supervisor'].username}"] == 2
    assert got[f"reveal:{w['admin'].username}"] == 1
    assert f"export:{w['clerk'].username}" not in got  # a refused export is no export
    table = review.rows(s, p, "outputs", f"export:{w['supervisor'].username}")
    assert [r["count"] for r in table.rows] == [3, 1]


def test_alerts_and_how_they_were_handled(s, world, today):
    w, _first, _second = world
    p = w["p"]

    def alert(rule, raised, handled=False):
        s.add(
            AccessAlert(
                rule_code=rule,
                user_id=w["clerk"].id,
                username=w["clerk"].username,
                window_start=raised,
                window_end=raised + timedelta(hours=1),
                value=60,
                raised_at=raised,
                acknowledged_by_id=w["admin"].id if handled else None,
                acknowledged_at=raised + timedelta(hours=2) if handled else None,
                ack_note="查明：批量回访" if handled else None,
            )
        )

    alert("records_per_hour", at(today), handled=True)
    alert("off_hours", at(today - timedelta(days=1)))
    alert("off_hours", at(today - timedelta(days=2)), handled=True)
    alert("off_hours", at(today - timedelta(days=20)))  # before the period
    s.flush()
    raised = s.scalar(
        select(func.count()).where(
            AccessAlert.raised_at >= p.since, AccessAlert.raised_at < p.until
        )
    )
    got = keys(s, p, "alerts")
    assert got["all"] == raised == 3
    assert got["handled"] == 2 and got["open"] == 1
    assert got["rule:off_hours"] == 2 and got["rule:records_per_hour"] == 1
    handled = review.rows(s, p, "alerts", "handled")
    assert handled.total == 2 and all(r["handled_by"] == w["admin"].full_name for r in handled.rows)


def test_customers_requests_answered_within_fifteen_working_days(s, world, today):
    w, first, _second = world
    p = w["p"]
    card = make_prospect(s)

    def request(received, status="open", answered=None, due=None):
        s.add(
            SubjectRequest(
                kind="copy",
                subject_type="prospect",
                subject_id=card.id,
                received_on=received,
                due_on=due or received + timedelta(days=21),
                status=status,
                answered_at=answered,
                office_id=first.id,
            )
        )

    request(p.start, "answered", answered=at(p.start + timedelta(days=2)))  # in time
    # due on its received day, answered the next office day (00:30 Beijing = 16:30 UTC before)
    request(
        p.start + timedelta(days=1),
        "answered",
        answered=at(p.start + timedelta(days=2), 0, 30),
        due=p.start + timedelta(days=1),
    )
    request(today, "open")
    request(today, "refused")
    request(p.start - timedelta(days=1), "answered", answered=at(today))  # received before
    s.flush()
    received = s.scalar(
        select(func.count()).where(
            SubjectRequest.received_on >= p.start, SubjectRequest.received_on <= p.end
        )
    )
    got = keys(s, p, "requests")
    assert got["all"] == received == 4
    assert got["answered"] == 2 and got["in_time"] == 1 and got["late"] == 1
    assert got["refused"] == 1 and got["open"] == 1
    named = figures(s, p, "requests")
    assert named["Share answered in time"] == 0.5
    late = review.rows(s, p, "requests", "late")
    assert [r["in_time"] for r in late.rows] == [False]
    assert late.rows[0]["answered_on"] == p.start + timedelta(days=2)


def test_consents_withdrawn(s, world, today):
    w, _first, _second = world
    p = w["p"]
    for withdrawn in (
        at(today),
        at(today - timedelta(days=3)),
        at(today - timedelta(days=10)),
        None,
    ):
        s.add(
            ConsentRecord(
                subject_type="prospect",
                subject_id=1,
                basis="consent",
                purpose="跟进",
                policy_version="1",
                withdrawn_at=withdrawn,
                withdrawn_by_id=w["clerk"].id if withdrawn else None,
            )
        )
    s.add(
        ConsentRecord(
            subject_type="owner",
            subject_id=2,
            basis="consent",
            purpose="管理",
            policy_version="1",
            withdrawn_at=at(today),
        )
    )
    s.flush()
    got = keys(s, p, "consents")
    assert got["all"] == 3 and got["type:prospect"] == 2 and got["type:owner"] == 1
    assert review.rows(s, p, "consents", "type:owner").total == 1


def test_records_anonymised_by_retention(s, world, today):
    w, _first, _second = world
    p = w["p"]
    for status, decided, count, kind in (
        ("done", at(today), 4, "prospect"),
        ("done", at(today - timedelta(days=1)), 2, "owner"),
        ("rejected", at(today), None, "tenant"),
        ("done", at(today - timedelta(days=40)), 9, "prospect"),
    ):
        s.add(
            RetentionBatch(
                record_type=kind,
                cutoff_on=today - timedelta(days=900),
                expected=count or 1,
                status=status,
                requested_by_id=w["clerk"].id,
                decided_by_id=w["admin"].id,
                decided_at=decided,
                anonymised=count,
            )
        )
    s.flush()
    named = figures(s, p, "retention")
    assert named["Retention batches carried out"] == 2
    assert named["Records anonymised or deleted"] == 6
    got = keys(s, p, "retention")
    assert got["type:prospect"] == 4 and got["type:owner"] == 2
    assert [r["count"] for r in review.rows(s, p, "retention", "all").rows] == [2, 4]


def test_spot_check_match_rates(s, world, today):
    w, first, second = world
    p = w["p"]
    monday = week_start(today)
    assert p.start <= monday <= p.end

    def check(office, week, results):
        cards = [make_prospect(s, office_id=office.id) for _ in results]
        spot = SpotCheck(
            office_id=office.id, week_start=week, sample_size=len(results), population=20
        )
        spot.items = [
            SpotCheckItem(prospect_id=card.id, result=result)
            for card, result in zip(cards, results, strict=True)
        ]
        s.add(spot)

    check(first, monday, ["match", "match", "mismatch", None])
    check(second, monday, ["match"])
    check(first, monday - timedelta(days=7), ["mismatch"])  # the week before the period
    s.flush()
    named = figures(s, p, "spot_checks")
    assert named["Spot checks drawn"] == 2
    assert named["Cards compared with the paper"] == 4
    assert named["Cards that match"] == 3
    assert named["Match rate"] == 3 / 4
    got = keys(s, p, "spot_checks")
    assert got[f"office:{first.id}"] == 2 / 3 and got[f"office:{second.id}"] == 1
    rows = review.rows(s, p, "spot_checks", f"office:{first.id}").rows
    assert [(r["checked"], r["matches"]) for r in rows] == [(3, 2)]


def test_the_chain_is_verified_as_part_of_the_review(s, world, today):
    w, _first, _second = world
    p = w["p"]
    log(s, at(today), w["clerk"], "list", record_type="prospect")
    s.flush()
    events = s.scalar(select(func.count()).select_from(AccessEvent))
    assert figures(s, p, "chain") == {"Access-log chain intact": True, "Events verified": events}
    # an event slipped into the log past the chain head: the review says so
    head = s.get(AccessChainHead, 1)
    s.execute(
        insert(AccessEvent).values(
            seq=head.seq + 1,
            at=at(today),
            action="list",
            outcome="ok",
            prev_hash=head.last_hash,
            hash="0" * 64,
        )
    )
    broken = figures(s, p, "chain")
    assert broken["Access-log chain intact"] is False
    assert broken["First bad event"] == head.seq + 1


def test_every_section_lists_what_its_figures_link_to(s, world, today):
    w, _first, _second = world
    for section, shown in review.review(s, w["p"]):
        for figure in shown:
            if figure.key is not None:
                assert section.rows is not None, section.code
                assert review.rows(s, w["p"], section.code, figure.key) is not None
    assert review.rows(s, w["p"], "accesses", "office:x") is None
    assert review.rows(s, w["p"], "nothing", "all") is None


# --- the sections of the other parts of issues 19 and 20 -----------------------------------
def test_staff_agreement_and_training_coverage(s, world, today):
    w, _first, _second = world
    p = w["p"]
    newcomer = make_user(s, "clerk", cleared=False)  # no agreement, no training yet
    s.flush()
    active = s.scalar(select(func.count()).select_from(User).where(User.active.is_(True)))
    passed = s.scalar(
        select(func.count())
        .select_from(TrainingRecord)
        .where(TrainingRecord.passed.is_(True), TrainingRecord.taken_on.between(p.start, p.end))
    )
    got = keys(s, p, "staff")
    assert got["all"] == active == 5
    assert got["blocked"] == 1
    assert got["agreement"] == got["trained"] == active - 1
    assert got["covered"] == (active - 1) / active
    assert figures(s, p, "staff")["Training sessions passed in the period"] == passed == 4
    blocked = review.rows(s, p, "staff", "blocked")
    assert [r["username"] for r in blocked.rows] == [newcomer.username]
    assert blocked.rows[0]["agreement"] is False


def test_partners_agreements_and_shares(s, world, today):
    w, first, _second = world
    p = w["p"]
    bank = Partner(name="城东银行", kind="bank")
    notary = Partner(name="公证处", kind="notary")
    s.add_all([bank, notary])
    s.flush()
    current = SharingAgreement(
        partner=bank,
        reference="BK-2026",
        purpose="按揭",
        fields=["name"],
        valid_from=today - timedelta(days=100),
        valid_to=today + timedelta(days=100),
    )
    old = SharingAgreement(
        partner=notary,
        reference="NT-2024",
        purpose="公证",
        fields=["name"],
        valid_from=today - timedelta(days=800),
        valid_to=today - timedelta(days=400),
    )
    s.add_all([current, old])
    s.flush()
    card = make_prospect(s, office_id=first.id)
    for shared in (
        at(today),
        at(today),
        at(today - timedelta(days=2)),
        at(today - timedelta(days=60)),
    ):
        s.add(
            PartnerShare(
                batch="b1",
                partner_id=bank.id,
                agreement_id=current.id,
                subject_type="prospect",
                subject_id=card.id,
                fields=["name"],
                shared_at=shared,
                shared_by_id=w["supervisor"].id,
                office_id=first.id,
            )
        )
    s.add(
        PartnerConsent(
            subject_type="prospect",
            subject_id=card.id,
            partner_id=bank.id,
            purpose="按揭",
            notice_version="1",
            withdrawn_at=at(today),
            office_id=first.id,
        )
    )
    s.flush()
    got = keys(s, p, "partners")
    assert got["agreements"] == 1
    assert got["shares"] == got[f"partner:{bank.id}"] == 3
    assert f"partner:{notary.id}" not in got
    assert got["withdrawn"] == 1
    rows = review.rows(s, p, "partners", "shares").rows
    assert {r["partner"] for r in rows} == {"城东银行"} and len(rows) == 3
    assert [r["reference"] for r in review.rows(s, p, "partners", "agreements").rows] == ["BK-2026"]


def test_incidents_reported_in_time_and_customers_notified(s, world, today):
    w, _first, _second = world
    p = w["p"]
    opened = at(today, 9)

    def incident(title, opened_at, reported_after=None, notice=False, customers=0, sent=0):
        found = Incident(
            title=title,
            found_at=opened_at,
            opened_at=opened_at,
            reported_at=opened_at + reported_after if reported_after else None,
            notice_issued_at=opened_at + timedelta(hours=5) if notice else None,
        )
        found.customers = [
            IncidentCustomer(
                customer_kind="prospect",
                customer_id=100 + n,
                sent_at=opened_at + timedelta(days=1) if n < sent else None,
            )
            for n in range(customers)
        ]
        s.add(found)

    incident("遗失档案", opened, timedelta(hours=3, minutes=59), notice=True, customers=3, sent=2)
    incident("误发邮件", opened, timedelta(hours=4, minutes=1), customers=1)
    incident("系统故障", opened)
    incident("旧事件", at(today - timedelta(days=30)), timedelta(hours=1), customers=5)
    s.flush()
    got = keys(s, p, "incidents")
    assert got["all"] == 3
    assert got["in_time"] == 1 and got["late"] == 2
    assert got["notice"] == 1
    assert got["customers"] == 4 and got["notified"] == 2
    late = review.rows(s, p, "incidents", "late").rows
    assert sorted(r["title"] for r in late) == ["系统故障", "误发邮件"]


def test_a_details_look_and_its_panels_count_once(s, world, today):
    """The panels load after the details page (a second event): the same look, counted once;
    panels fetched with no details look before them, or by someone else, still count."""
    w, first, _second = world
    p = w["p"]
    card = dict(record_type="prospect", record_id=7)
    log(s, at(today, 10, 0), w["clerk"], "details", **card)
    log(s, at(today, 10, 0), w["clerk"], "details_panels", **card)  # the page's script
    log(s, at(today, 11, 0), w["clerk"], "details_panels", **card)  # the link, same look
    log(s, at(today, 10, 5), w["both"], "details_panels", **card)  # another account: alone
    log(s, at(today, 9, 0), w["clerk"], "details_panels", record_type="prospect", record_id=8)
    s.flush()

    got = keys(s, p, "accesses")
    # the clerk's details look (its two panel fetches part of it) and record 8's panels
    # alone; "both" (a clerk too) fetched the panels with no look of their own before
    assert got["role:clerk"] == got["all"] == 3
    assert got[f"office:{first.id}"] == 3 and got[f"office:{_second.id}"] == 1
    table = review.rows(s, p, "accesses", "role:clerk")
    assert table.total == 3
    assert sorted((r["username"], r["action"]) for r in table.rows) == sorted(
        [
            (w["clerk"].username, "details"),
            (w["clerk"].username, "details_panels"),
            (w["both"].username, "details_panels"),
        ]
    )
