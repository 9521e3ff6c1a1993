"""A consultant's cards are the same set whichever way the list reads them: from their ids
(few cards) or by walking the office newest first (many) — services/sales/ownership.py."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import select
from sqlalchemy.orm import aliased

from extensions import db
from models.sales.ownership import ProspectShare
from models.sales.prospects import Prospect
from services.sales import ownership
from tests.factories import make_prospect, make_user

pytestmark = pytest.mark.instant()


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _visible(s, user, card=Prospect) -> set[int]:
    g.pop("few_cards", None)  # counted once a request: each reading counts again
    return set(s.scalars(select(card.id).where(ownership.card_clause(user, card))))


@pytest.mark.parametrize("few_cards", [5000, 1], ids=["from-ids", "walk"])
def test_both_readings_give_own_shared_and_pool(s, monkeypatch, few_cards):
    monkeypatch.setattr(ownership, "FEW_CARDS", few_cards)
    me, other = make_user(s, "clerk"), make_user(s, "clerk")
    supervisor = make_user(s, "supervisor")
    mine = [make_prospect(s, consultant=me) for _ in range(3)]
    theirs = make_prospect(s, consultant=other)
    shared = make_prospect(s, consultant=other)
    pool = make_prospect(s, consultant=None)
    s.add(ProspectShare(prospect_id=shared.id, user_id=me.id))
    s.flush()
    expected = {c.id for c in mine} | {shared.id, pool.id}
    assert _visible(s, me) == expected
    assert theirs.id not in _visible(s, me)
    # through an alias too (the lists join the card under another name)
    assert _visible(s, me, aliased(Prospect)) == expected
    assert {theirs.id, shared.id, pool.id} <= _visible(s, supervisor)
    assert ownership._has_few_cards(me) is (few_cards > len(expected))


@pytest.mark.parametrize("few_cards", [5000, 1], ids=["from-ids", "walk"])
def test_both_readings_of_a_consultants_own_cards_leave_the_pool_out(s, monkeypatch, few_cards):
    """``owned_clause`` (their follow-ups): owned and shared, never the pool's or another's."""
    monkeypatch.setattr(ownership, "FEW_CARDS", few_cards)
    me, other = make_user(s, "clerk"), make_user(s, "clerk")
    mine = [make_prospect(s, consultant=me) for _ in range(3)]
    theirs = make_prospect(s, consultant=other)
    shared = make_prospect(s, consultant=other)
    make_prospect(s, consultant=None)
    s.add(ProspectShare(prospect_id=shared.id, user_id=me.id))
    s.flush()
    for card in (Prospect, aliased(Prospect)):
        g.pop("few_owned", None)
        owned = set(s.scalars(select(card.id).where(ownership.owned_clause(me, card))))
        assert owned == {c.id for c in mine} | {shared.id}
        assert theirs.id not in owned
    assert ownership._owns_few_cards(me) is (few_cards > 4)
