"""Handover (客户交接): a supervisor moves a consultant's customers, all or chosen ones, to
another consultant of the office, with a note on each card's history; and an account that
owns customers is not deactivated before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.offices import Office
from models.sales.ownership import OwnershipEvent, ProspectShare
from models.sales.prospects import Prospect
from services.admin import accounts
from services.sales import handover
from tests.factories import make_prospect, make_user


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


@pytest.fixture
def office(ctx):
    """A second sales office, beside the standard data's 本部."""
    office = Office(name="城西售楼部", kind="sales", active=True)
    ctx.add(office)
    ctx.flush()
    return office


def _owners(session, ids) -> list[int | None]:
    rows = dict(
        session.execute(
            select(Prospect.id, Prospect.consultant_id).where(Prospect.id.in_(ids))
        ).all()
    )
    return [rows[i] for i in ids]


def test_all_of_a_consultants_customers_move_with_the_note(ctx, office):
    supervisor = make_user(ctx, "supervisor")
    leaving, taking = make_user(ctx, "clerk", full_name="离职顾问"), make_user(ctx, "clerk")
    cards = [make_prospect(ctx, consultant=leaving) for _ in range(3)]
    elsewhere = make_prospect(ctx, consultant=leaving)
    elsewhere.office_id = office.id
    someone_elses = make_prospect(ctx, consultant=taking)
    ctx.commit()

    moved = handover.hand_over(ctx, supervisor, leaving, taking, None, "  离职交接  ")
    ctx.commit()

    assert moved == 3
    assert _owners(ctx, [c.id for c in cards]) == [taking.id] * 3
    # Another office's card is not this supervisor's to move.
    assert _owners(ctx, [elsewhere.id, someone_elses.id]) == [leaving.id, taking.id]
    events = ctx.scalars(select(OwnershipEvent).order_by(OwnershipEvent.id)).all()
    assert [(e.prospect_id, e.kind) for e in events] == [(c.id, "handed_over") for c in cards]
    assert {(e.from_user_id, e.to_user_id, e.by_user_id, e.note) for e in events} == {
        (leaving.id, taking.id, supervisor.id, "离职交接")
    }
    assert cards[0].version == 2  # an edit form opened before the handover is stale


def test_only_the_ticked_customers_move(ctx):
    supervisor = make_user(ctx, "supervisor")
    a, b = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    cards = [make_prospect(ctx, consultant=a) for _ in range(3)]
    ctx.commit()
    assert handover.hand_over(ctx, supervisor, a, b, [cards[0].id, cards[2].id], "轮岗") == 2
    assert _owners(ctx, [c.id for c in cards]) == [b.id, a.id, b.id]


def test_a_long_book_moves_batch_by_batch(ctx, monkeypatch):
    monkeypatch.setattr(handover, "BATCH", 2)
    supervisor = make_user(ctx, "supervisor")
    a, b = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    cards = [make_prospect(ctx, consultant=a) for _ in range(5)]
    ctx.commit()
    assert handover.hand_over(ctx, supervisor, a, b, None, "离职") == 5
    chosen = [c.id for c in cards[1:]]
    assert handover.hand_over(ctx, supervisor, b, a, chosen, "回来了") == 4
    assert _owners(ctx, [c.id for c in cards]) == [b.id, a.id, a.id, a.id, a.id]


def test_the_receivers_share_of_a_card_ends_when_it_becomes_theirs(ctx):
    supervisor = make_user(ctx, "supervisor")
    a, b, c = make_user(ctx, "clerk"), make_user(ctx, "clerk"), make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=a)
    ctx.add_all(
        [
            ProspectShare(prospect_id=card.id, user_id=b.id),
            ProspectShare(prospect_id=card.id, user_id=c.id),
        ]
    )
    ctx.commit()
    handover.hand_over(ctx, supervisor, a, b, None, "交接")
    assert ctx.scalars(select(ProspectShare.user_id)).all() == [c.id]


@pytest.mark.parametrize(
    "case",
    [
        "not_supervisor",
        "no_note",
        "same_person",
        "inactive",
        "other_office",
        "chosen_not_theirs",
        "nothing_owned",
        "none_ticked",
    ],
)
def test_refused_handovers_move_nothing(ctx, office, case):
    supervisor = make_user(ctx, "supervisor")
    a, b = make_user(ctx, "clerk"), make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant=a)
    other = make_prospect(ctx, consultant=b)
    note, chosen, giver, taker = "交接", None, a, b
    if case == "not_supervisor":
        supervisor = make_user(ctx, "clerk")
    elif case == "no_note":
        note = "   "
    elif case == "same_person":
        taker = a
    elif case == "inactive":
        b.active = False
    elif case == "other_office":
        taker = make_user(ctx, "clerk", offices=[office])
    elif case == "chosen_not_theirs":
        chosen = [card.id, other.id]
    elif case == "nothing_owned":
        giver = make_user(ctx, "clerk")
    elif case == "none_ticked":
        chosen = []
    ctx.commit()
    with pytest.raises(handover.HandoverError):
        handover.hand_over(ctx, supervisor, giver, taker, chosen, note)
    ctx.rollback()
    assert _owners(ctx, [card.id, other.id]) == [a.id, b.id]
    assert ctx.scalars(select(OwnershipEvent)).all() == []


def test_the_pickers_offer_the_offices_people(ctx, office):
    supervisor = make_user(ctx, "supervisor")
    owner = make_user(ctx, "clerk", full_name="甲")
    gone = make_user(ctx, "clerk", full_name="乙")
    away = make_user(ctx, "clerk", full_name="丙", offices=[office])
    idle = make_user(ctx, "clerk", full_name="丁")
    make_prospect(ctx, consultant=owner)
    make_prospect(ctx, consultant=gone)
    away_card = make_prospect(ctx, consultant=away)
    away_card.office_id = office.id
    gone.active = False
    ctx.commit()
    assert {u.id for u in handover.owners(ctx, supervisor)} == {owner.id, gone.id}
    assert {u.id for u in handover.receivers(ctx, supervisor)} == {owner.id, idle.id}
    assert [row[0] for row in handover.cards_of(ctx, supervisor, away.id)] == []


def test_an_account_counts_the_customers_it_owns(ctx):
    clerk = make_user(ctx, "clerk")
    make_prospect(ctx, consultant=clerk)
    make_prospect(ctx, consultant=clerk)
    make_prospect(ctx, consultant=None)
    assert accounts.owned_customers(ctx, clerk.id) == 2
