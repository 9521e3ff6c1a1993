"""Collisions (撞单): what registering a customer whose mobile a card of the office already
holds becomes, and the supervisor's rulings (services/sales/collisions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models.admin.offices import Office
from models.sales.ownership import Collision, OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect, Visit
from services.admin.office_settings import COLLISION_WINDOW_DAYS, value_of
from services.sales import collisions, followups
from services.sales.ownership import card_clause, card_for, may_open
from tests.factories import make_prospect, make_user, make_visit

pytestmark = pytest.mark.day_sensitive

MOBILE = "13900001111"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def people(ctx):
    owner = make_user(ctx, "clerk", full_name="张顾问")
    claimant = make_user(ctx, "clerk", full_name="李顾问")
    supervisor = make_user(ctx, "supervisor", full_name="王主管")
    return owner, claimant, supervisor


def _card_of(session, owner, *, last_contact, mobile=MOBILE, **kwargs) -> Prospect:
    card = make_prospect(
        session,
        name="陈客户",
        mobile=mobile,
        consultant=owner,
        first_visit_on=last_contact,
        last_contact_on=last_contact,
        **kwargs,
    )
    make_visit(session, card, visited_on=last_contact, consultant=owner, summary="首访")
    return card


def _typed(today, *, mobile=MOBILE, name="陈先生", notes=None, office_id=None) -> Prospect:
    """The new card a consultant's form makes: never added to the session."""
    card = Prospect(name=name, mobile=mobile, notes=notes, progress="follow_up")
    card.office_id = office_id
    card.visits.append(Visit(visited_on=today, summary="二次来访，问价格"))
    return card


def _events(session, card) -> list[tuple[str, int | None, int | None]]:
    rows = session.scalars(
        select(OwnershipEvent)
        .where(OwnershipEvent.prospect_id == card.id)
        .order_by(OwnershipEvent.id)
    )
    return [(e.kind, e.from_user_id, e.to_user_id) for e in rows]


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# --- registering a customer again ---------------------------------------------------------


def test_no_match_is_an_ordinary_new_card(ctx, people, today):
    _, claimant, _ = people
    assert collisions.register_again(ctx, claimant, _typed(today), today=today) is None


def test_another_consultants_recent_card_files_a_collision_and_makes_no_card(ctx, people, today):
    owner, claimant, _ = people
    existing = _card_of(ctx, owner, last_contact=today - timedelta(days=3))
    typed = _typed(today, notes="想要三房")

    outcome = collisions.register_again(ctx, claimant, typed, today=today)
    ctx.flush()

    assert outcome.kind == "collision"
    assert outcome.owner.id == owner.id
    filed = ctx.scalars(select(Collision)).one()
    assert (filed.prospect_id, filed.owner_id, filed.claimant_id) == (
        existing.id,
        owner.id,
        claimant.id,
    )
    assert (filed.name, filed.mobile, filed.visited_on) == ("陈先生", MOBILE, today)
    assert "二次来访，问价格" in filed.summary and "想要三房" in filed.summary
    assert filed.status == "pending" and filed.office_id == existing.office_id
    # Nothing moved: the owner, the card's receptions, no second card, no event.
    assert existing.consultant_id == owner.id
    assert [v.seq for v in existing.visits] == [1]
    assert _count(ctx, Prospect) == 1
    assert typed not in ctx
    assert _events(ctx, existing) == []


def test_registering_again_before_the_ruling_adds_to_the_waiting_collision(ctx, people, today):
    owner, claimant, _ = people
    _card_of(ctx, owner, last_contact=today)
    collisions.register_again(ctx, claimant, _typed(today), today=today)
    ctx.flush()
    second = _typed(today)
    second.visits[0].summary = "带家人再来"

    outcome = collisions.register_again(ctx, claimant, second, today=today)
    ctx.flush()

    assert outcome.kind == "collision_pending"
    filed = ctx.scalars(select(Collision)).one()
    assert "二次来访，问价格" in filed.summary and "带家人再来" in filed.summary
    assert filed.version == 2  # a page shown before cannot rule on it unseen


@pytest.mark.parametrize(("days_ago", "kind"), [(30, "collision"), (31, "taken_over")])
def test_the_window_edge(ctx, people, today, days_ago, kind):
    owner, claimant, _ = people
    assert value_of(ctx, COLLISION_WINDOW_DAYS) == 30
    _card_of(ctx, owner, last_contact=today - timedelta(days=days_ago))
    outcome = collisions.register_again(ctx, claimant, _typed(today), today=today)
    assert outcome.kind == kind


def test_first_visit_counts_when_no_contact_is_recorded(ctx, people, today):
    owner, claimant, _ = people
    card = make_prospect(
        ctx, mobile=MOBILE, consultant=owner, first_visit_on=today - timedelta(days=2)
    )
    card.last_contact_on = None
    ctx.flush()
    outcome = collisions.register_again(ctx, claimant, _typed(today), today=today)
    assert outcome.kind == "collision"


def test_a_card_left_longer_than_the_window_moves_to_the_registering_consultant(ctx, people, today):
    owner, claimant, _ = people
    existing = _card_of(ctx, owner, last_contact=today - timedelta(days=60))

    outcome = collisions.register_again(ctx, claimant, _typed(today), today=today)
    ctx.flush()

    assert outcome.kind == "taken_over" and outcome.prospect.id == existing.id
    assert existing.consultant_id == claimant.id
    assert _events(ctx, existing) == [
        ("released", owner.id, None),
        ("claimed", None, claimant.id),
    ]
    assert [(v.seq, v.consultant_id) for v in existing.visits] == [(1, owner.id), (2, claimant.id)]
    assert existing.last_contact_on == today
    assert _count(ctx, Prospect) == 1 and _count(ctx, Collision) == 0


def test_a_pool_card_is_claimed_with_the_reception(ctx, people, today):
    _, claimant, _ = people
    existing = _card_of(ctx, None, last_contact=today - timedelta(days=5))

    outcome = collisions.register_again(ctx, claimant, _typed(today), today=today)
    ctx.flush()

    assert outcome.kind == "claimed" and outcome.owner is None
    assert existing.consultant_id == claimant.id
    assert _events(ctx, existing) == [("claimed", None, claimant.id)]
    assert [v.summary for v in existing.visits] == ["首访", "二次来访，问价格"]
    assert _count(ctx, Prospect) == 1


def test_own_or_shared_card_keeps_the_usual_behaviour(ctx, people, today):
    owner, claimant, _ = people
    _card_of(ctx, owner, last_contact=today)
    assert collisions.register_again(ctx, owner, _typed(today), today=today) is None
    other = _card_of(ctx, owner, last_contact=today, mobile="13900002222")
    ctx.add(ProspectShare(prospect_id=other.id, user_id=claimant.id))
    ctx.flush()
    typed = _typed(today, mobile="13900002222")
    assert collisions.register_again(ctx, claimant, typed, today=today) is None


def test_another_offices_card_is_no_collision(ctx, people, today):
    owner, claimant, _ = people
    _card_of(ctx, owner, last_contact=today)
    elsewhere = Office(name="城西售楼部", kind="sales", active=True)
    ctx.add(elsewhere)
    ctx.flush()
    typed = _typed(today, office_id=elsewhere.id)
    assert collisions.register_again(ctx, claimant, typed, today=today) is None


def test_a_supervisor_entering_a_card_is_not_checked(ctx, people, today):
    owner, _, supervisor = people
    _card_of(ctx, owner, last_contact=today)
    assert collisions.register_again(ctx, supervisor, _typed(today), today=today) is None


def test_a_blank_mobile_matches_nothing(ctx, people, today):
    owner, claimant, _ = people
    _card_of(ctx, owner, last_contact=today, mobile=None)
    assert collisions.register_again(ctx, claimant, _typed(today, mobile=None), today=today) is None


# --- the supervisor's rulings -------------------------------------------------------------


@pytest.fixture
def filed(ctx, people, today):
    owner, claimant, _ = people
    _card_of(ctx, owner, last_contact=today - timedelta(days=1))
    outcome = collisions.register_again(ctx, claimant, _typed(today), today=today)
    ctx.flush()
    return outcome.collision


def _rule(ctx, supervisor, collision, ruling, note="两人都接待过"):
    return collisions.rule(ctx, supervisor, collision.id, ruling, note, version=collision.version)


def test_keep(ctx, people, filed, today):
    owner, claimant, supervisor = people
    card = filed.prospect
    _rule(ctx, supervisor, filed, "keep")
    assert card.consultant_id == owner.id
    assert [(v.seq, v.consultant_id, v.visited_on) for v in card.visits][-1] == (
        2,
        claimant.id,
        today,
    )
    assert _events(ctx, card) == [("kept", owner.id, owner.id)]
    assert (filed.status, filed.ruling, filed.ruled_by_id) == ("ruled", "keep", supervisor.id)
    assert filed.note == "两人都接待过"
    assert not may_open(ctx, claimant, card)


def test_reassign(ctx, people, filed):
    owner, claimant, supervisor = people
    card = filed.prospect
    _rule(ctx, supervisor, filed, "reassign")
    assert card.consultant_id == claimant.id
    assert _events(ctx, card) == [("reassigned", owner.id, claimant.id)]
    assert card.visits[-1].consultant_id == claimant.id
    assert may_open(ctx, claimant, card) and not may_open(ctx, owner, card)


def test_share(ctx, people, filed):
    owner, claimant, supervisor = people
    card = filed.prospect
    _rule(ctx, supervisor, filed, "share")
    assert card.consultant_id == owner.id
    assert ctx.get(ProspectShare, (card.id, claimant.id)) is not None
    assert _events(ctx, card) == [("shared", owner.id, claimant.id)]
    assert may_open(ctx, claimant, card) and may_open(ctx, owner, card)
    visible = ctx.scalars(select(Prospect.id).where(card_clause(claimant))).all()
    assert visible == [card.id]


def test_a_second_ruling_is_refused(ctx, people, filed):
    _, _, supervisor = people
    version = filed.version
    _rule(ctx, supervisor, filed, "keep")
    with pytest.raises(collisions.NotPending):
        collisions.rule(ctx, supervisor, filed.id, "reassign", "改判", version=version)


def test_a_ruling_made_meanwhile_wins(ctx, people, filed):
    _, _, supervisor = people
    version = filed.version
    # Another supervisor's ruling committed after this one loaded the collision.
    ctx.execute(
        update(Collision)
        .where(Collision.id == filed.id)
        .values(version=Collision.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(StaleDataError):
        collisions.rule(ctx, supervisor, filed.id, "reassign", "改判", version=version)


def test_a_stale_page_cannot_rule(ctx, people, filed):
    _, _, supervisor = people
    with pytest.raises(collisions.StalePage):
        collisions.rule(ctx, supervisor, filed.id, "keep", "x", version=filed.version + 1)
    with pytest.raises(collisions.StalePage):
        collisions.rule(ctx, supervisor, filed.id, "keep", "x", version=None)


@pytest.mark.parametrize(
    ("ruling", "note", "error"),
    [
        ("keep", "  ", collisions.NoteRequired),
        ("keep", None, collisions.NoteRequired),
        ("split", "x", collisions.BadRuling),
    ],
)
def test_a_ruling_needs_a_known_choice_and_a_note(ctx, people, filed, ruling, note, error):
    _, _, supervisor = people
    with pytest.raises(error):
        collisions.rule(ctx, supervisor, filed.id, ruling, note, version=filed.version)
    assert filed.status == "pending"


def test_only_a_supervisor_of_the_office_rules(ctx, people, filed):
    owner, claimant, _ = people
    elsewhere = Office(name="城西售楼部", kind="sales", active=True)
    ctx.add(elsewhere)
    ctx.flush()
    other_supervisor = make_user(ctx, "supervisor", offices=[elsewhere])
    admin = make_user(ctx, "admin")
    for user in (owner, claimant, other_supervisor, admin):
        with pytest.raises(LookupError):
            _rule(ctx, user, filed, "reassign")
    assert collisions.pending(ctx, other_supervisor) == []
    assert collisions.pending_count(ctx, other_supervisor) == 0
    assert collisions.pending_count(ctx, people[2]) == 1
    assert [c.id for c in collisions.pending(ctx, admin)] == [filed.id]


# --- who opens a card ---------------------------------------------------------------------


def test_a_consultant_opens_own_shared_and_pool_cards_only(ctx, people, today):
    owner, claimant, supervisor = people
    mine = make_prospect(ctx, consultant=claimant)
    theirs = make_prospect(ctx, consultant=owner)
    pool = make_prospect(ctx)
    shared = make_prospect(ctx, consultant=owner)
    ctx.add(ProspectShare(prospect_id=shared.id, user_id=claimant.id))
    ctx.flush()
    visible = set(ctx.scalars(select(Prospect.id).where(card_clause(claimant))))
    assert visible == {mine.id, pool.id, shared.id}
    assert card_for(ctx, claimant, theirs.id) is None
    assert card_for(ctx, claimant, shared.id) is shared
    assert card_for(ctx, supervisor, theirs.id) is theirs
    elsewhere = Office(name="城西售楼部", kind="sales", active=True)
    ctx.add(elsewhere)
    ctx.flush()
    far = make_prospect(ctx, office_id=elsewhere.id)
    assert card_for(ctx, supervisor, far.id) is None
    assert card_for(ctx, claimant, far.id) is None


def test_follow_ups_list_own_and_shared_cards_of_the_office_only(ctx, people, today):
    owner, claimant, supervisor = people
    seen = today - timedelta(days=4)  # the first follow-up is due
    mine = make_prospect(ctx, consultant=claimant, first_visit_on=seen)
    theirs = make_prospect(ctx, consultant=owner, first_visit_on=seen)
    shared = make_prospect(ctx, consultant=owner, first_visit_on=seen)
    pool = make_prospect(ctx, first_visit_on=seen)
    ctx.add(ProspectShare(prospect_id=shared.id, user_id=claimant.id))
    elsewhere = Office(name="城西售楼部", kind="sales", active=True)
    ctx.add(elsewhere)
    ctx.flush()
    far = make_prospect(ctx, consultant=owner, first_visit_on=seen, office_id=elsewhere.id)

    def listed(user):
        groups = followups.due_list(ctx, user, today)
        return {item.prospect_id for items in groups.values() for item in items}

    assert listed(claimant) == {mine.id, shared.id}
    assert listed(owner) == {theirs.id, shared.id}
    assert listed(supervisor) == {mine.id, theirs.id, shared.id, pool.id}
    assert far.id not in listed(supervisor)
