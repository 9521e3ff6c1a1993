"""The protection period (保护期) and the public pool (公共客户池): which cards the daily job
releases, what it records, and the rules of a consultant's claim (the office, the daily
limit, two consultants claiming one card at once)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import office_today, utc_from_office
from extensions import db
from models.admin.office_settings import OfficeSetting
from models.admin.offices import Office
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin import office_settings
from services.sales import customer_pool
from tests.factories import make_prospect, make_user

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


def _set(session, key: str, value: int) -> None:
    session.merge(OfficeSetting(key=key, value=value, version=1))
    session.flush()


def _events(session, prospect_id: int, kind: str | None = None) -> list[OwnershipEvent]:
    query = select(OwnershipEvent).where(OwnershipEvent.prospect_id == prospect_id)
    if kind:
        query = query.where(OwnershipEvent.kind == kind)
    return list(session.scalars(query.order_by(OwnershipEvent.id)))


def _owner(session, prospect_id: int) -> int | None:
    return session.scalar(select(Prospect.consultant_id).where(Prospect.id == prospect_id))


def _second_office(session) -> Office:
    office = Office(name="城西售楼部", kind="sales", active=True)
    session.add(office)
    session.flush()
    return office


# --- release --------------------------------------------------------------------------------
def test_the_daily_job_releases_only_neglected_owned_cards(ctx):
    today = office_today()
    clerk = make_user(ctx, "clerk", full_name="张顾问")
    days = office_settings.value_of(ctx, office_settings.PROTECTION_DAYS)
    old = today - timedelta(days=days + 1)
    edge = today - timedelta(days=days)
    stale = make_prospect(ctx, consultant=clerk, first_visit_on=old, last_contact_on=old)
    never_followed = make_prospect(ctx, consultant=clerk, first_visit_on=old, last_contact_on=None)
    on_the_edge = make_prospect(ctx, consultant=clerk, first_visit_on=old, last_contact_on=edge)
    recent = make_prospect(ctx, consultant=clerk, first_visit_on=old, last_contact_on=today)
    signed = make_prospect(ctx, consultant=clerk, first_visit_on=old, progress="signed")
    scout = make_prospect(ctx, consultant=clerk, first_visit_on=old, is_scout=True)
    pooled = make_prospect(ctx, consultant=None, first_visit_on=old)
    undated = make_prospect(ctx, consultant=clerk, first_visit_on=None, last_contact_on=None)
    ctx.commit()

    assert customer_pool.release_stale(ctx, today) == 2
    ctx.commit()

    assert _owner(ctx, stale.id) is None and _owner(ctx, never_followed.id) is None
    for kept in (on_the_edge, recent, signed, scout, undated):
        assert _owner(ctx, kept.id) == clerk.id
    assert _events(ctx, pooled.id) == []
    (event,) = _events(ctx, stale.id)
    assert (event.kind, event.from_user_id, event.to_user_id, event.by_user_id) == (
        "released",
        clerk.id,
        None,
        None,
    )
    assert event.office_id == stale.office_id
    assert str(days) in event.note
    # Safe to run again: nothing left to release, nothing recorded twice.
    assert customer_pool.release_stale(ctx, today) == 0
    assert len(_events(ctx, stale.id)) == 1


def test_the_protection_period_is_the_admins_setting(ctx):
    today = office_today()
    clerk = make_user(ctx, "clerk")
    card = make_prospect(
        ctx,
        consultant=clerk,
        first_visit_on=today - timedelta(days=40),
        last_contact_on=today - timedelta(days=20),
    )
    _set(ctx, office_settings.PROTECTION_DAYS, 30)
    assert customer_pool.release_stale(ctx, today) == 0
    _set(ctx, office_settings.PROTECTION_DAYS, 19)
    assert customer_pool.release_stale(ctx, today) == 1
    assert "19" in _events(ctx, card.id, "released")[0].note


def test_release_drops_the_shares_and_makes_open_edits_stale(ctx):
    today = office_today()
    clerk, other = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=clerk, first_visit_on=today - timedelta(days=90))
    kept = make_prospect(ctx, consultant=clerk, first_visit_on=today)
    ctx.add_all(
        [
            ProspectShare(prospect_id=card.id, user_id=other.id),
            ProspectShare(prospect_id=kept.id, user_id=other.id),
        ]
    )
    ctx.commit()
    version = card.version

    customer_pool.release_stale(ctx, today)

    # The card loaded in the session reloads: what the job wrote is what it shows.
    assert card.consultant_id is None
    assert card.version == version + 1
    shares = ctx.scalars(select(ProspectShare.prospect_id)).all()
    assert shares == [kept.id]


def test_release_works_batch_by_batch_in_one_transaction(ctx):
    today = office_today()
    clerk = make_user(ctx, "clerk")
    old = today - timedelta(days=60)
    cards = [make_prospect(ctx, consultant=clerk, first_visit_on=old) for _ in range(5)]
    ctx.commit()
    assert customer_pool.release_stale(ctx, today, batch=2) == 5
    ctx.rollback()  # the caller's one transaction: nothing is kept until it commits
    assert all(_owner(ctx, c.id) == clerk.id for c in cards)
    assert customer_pool.release_stale(ctx, today, batch=2) == 5
    ctx.commit()
    assert all(_owner(ctx, c.id) is None for c in cards)
    assert all(len(_events(ctx, c.id, "released")) == 1 for c in cards)


def test_the_cli_command_releases_and_says_how_many(app, ctx):
    today = office_today()
    clerk = make_user(ctx, "clerk")
    make_prospect(ctx, consultant=clerk, first_visit_on=today - timedelta(days=60))
    ctx.commit()
    ctx.remove()
    result = app.test_cli_runner().invoke(args=["ownership", "release"])
    assert result.exit_code == 0, result.output
    assert "1 customer(s) released" in result.output
    again = app.test_cli_runner().invoke(args=["ownership", "release"])
    assert "0 customer(s) released" in again.output


# --- claims ---------------------------------------------------------------------------------
def test_a_consultant_claims_a_pool_card(ctx):
    clerk = make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=None)
    ctx.commit()
    version = card.version
    customer_pool.claim(ctx, clerk, card)
    ctx.commit()
    assert card.consultant_id == clerk.id and card.version == version + 1
    (event,) = _events(ctx, card.id)
    assert (event.kind, event.from_user_id, event.to_user_id, event.by_user_id) == (
        "claimed",
        None,
        clerk.id,
        clerk.id,
    )
    assert customer_pool.claims_today(ctx, clerk) == 1


@pytest.mark.parametrize("case", ["owned", "scout", "other_office", "supervisor"])
def test_what_cannot_be_claimed(ctx, case):
    clerk, owner = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=None)
    if case == "owned":
        card.consultant_id = owner.id
    elif case == "scout":
        card.is_scout = True
    elif case == "other_office":
        card.office_id = _second_office(ctx).id
    elif case == "supervisor":
        clerk = make_user(ctx, "supervisor")
    ctx.commit()
    with pytest.raises(customer_pool.PoolError):
        customer_pool.claim(ctx, clerk, card)
    ctx.rollback()
    assert _owner(ctx, card.id) == (owner.id if case == "owned" else None)
    assert _events(ctx, card.id) == []


def test_the_daily_claim_limit(ctx):
    clerk, colleague = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    _set(ctx, office_settings.DAILY_CLAIM_LIMIT, 2)
    cards = [make_prospect(ctx, consultant=None) for _ in range(4)]
    ctx.commit()
    customer_pool.claim(ctx, clerk, cards[0])
    customer_pool.claim(ctx, clerk, cards[1])
    ctx.commit()
    assert customer_pool.claims_left(ctx, clerk) == 0
    with pytest.raises(customer_pool.PoolError, match="2"):
        customer_pool.claim(ctx, clerk, cards[2])
    ctx.rollback()
    assert _owner(ctx, cards[2].id) is None
    # Another consultant's claims are their own.
    customer_pool.claim(ctx, colleague, cards[2])
    # The next office day starts afresh.
    tomorrow = office_today() + timedelta(days=1)
    assert customer_pool.claims_left(ctx, clerk, tomorrow) == 2
    customer_pool.claim(ctx, clerk, cards[3], today=tomorrow)
    ctx.commit()
    assert _owner(ctx, cards[3].id) == clerk.id


@pytest.mark.instant("sunday-morning")
def test_the_claim_day_is_the_offices_not_utcs(ctx):
    # 07:30 on Sunday in Shanghai is still Saturday in UTC: a claim made at 23:00 on
    # Saturday, Beijing time, counts for Saturday, not for today.
    clerk = make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=clerk)
    today = office_today()
    late_yesterday = utc_from_office(
        datetime.combine(today - timedelta(days=1), datetime.min.time()) + timedelta(hours=23)
    )
    ctx.add(
        OwnershipEvent(
            prospect_id=card.id,
            office_id=card.office_id,
            kind="claimed",
            to_user_id=clerk.id,
            by_user_id=clerk.id,
            at=late_yesterday,
        )
    )
    ctx.flush()
    assert late_yesterday.date() == customer_pool.office_day_start(today).date()
    assert customer_pool.claims_today(ctx, clerk) == 0
    assert customer_pool.claims_today(ctx, clerk, today - timedelta(days=1)) == 1


def test_of_two_consultants_claiming_one_card_only_one_wins(app, ctx, monkeypatch):
    first, second = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=None)
    ctx.commit()
    card_id, second_id = card.id, second.id
    counted = customer_pool.claims_today

    def the_other_claims_meanwhile(session, user, today=None):
        # Between the first consultant's check and their UPDATE, the second one's claim
        # commits in a session (and connection) of its own.
        n = counted(session, user, today)
        if user.id != second_id:
            with Session(bind=db.engine) as other:
                rival = other.get(Prospect, card_id)
                customer_pool.claim(other, other.get(type(user), second_id), rival)
                other.commit()
        return n

    monkeypatch.setattr(customer_pool, "claims_today", the_other_claims_meanwhile)
    with pytest.raises(customer_pool.PoolError) as refused:
        customer_pool.claim(ctx, first, card)
    # Refused by the conditional UPDATE (the card was in the pool when first looked at).
    assert str(refused.value) == gettext("Another consultant took this customer a moment ago.")
    ctx.rollback()
    assert _owner(ctx, card_id) == second_id
    assert [e.to_user_id for e in _events(ctx, card_id)] == [second_id]


def test_the_pool_page_shows_the_offices_pool_only(ctx):
    clerk, owner = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    office = _second_office(ctx)
    mine = make_prospect(ctx, consultant=None)
    make_prospect(ctx, consultant=owner)
    make_prospect(ctx, consultant=None, is_scout=True)
    theirs = make_prospect(ctx, consultant=None)
    theirs.office_id = office.id
    ctx.commit()
    page = customer_pool.pool_page(ctx, clerk)
    assert [c.id for c in page.cards] == [mine.id]
    assert not page.has_next
    away = make_user(ctx, "clerk", offices=[office])
    assert [c.id for c in customer_pool.pool_page(ctx, away).cards] == [theirs.id]
