"""Data-card deadlines of signed dealers: 2 working days on the Chinese calendar."""

from __future__ import annotations

from datetime import date

import pytest

from extensions import db
from models.dealers.dealers import Dealer, DealerDataCard
from models.shared.calendar import CalendarOverride
from services.dealers import dealer_deadlines
from services.shared.workdays import WorkdayCalendar
from tests.factories import make_user, ref_item

# Relative to the office's today: make test repeats these at NAMED_INSTANTS.
pytestmark = pytest.mark.day_sensitive


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session


@pytest.mark.parametrize(
    ("signed", "deadline"),
    [
        # the Friday before National Day: the weekend, then Monday and Tuesday
        (date(2026, 9, 25), date(2026, 9, 29)),
        # the eve of National Day: 1-7 October off, the 8th and 9th count
        (date(2026, 9, 30), date(2026, 10, 9)),
        # signed on the swapped working Saturday: Monday and Tuesday after it
        (date(2026, 10, 10), date(2026, 10, 13)),
        # the Friday before it: the swapped Saturday counts as the second day
        (date(2026, 10, 9), date(2026, 10, 12)),
        # Spring Festival 2026 (15-23 February off, Saturday 14 February worked)
        (date(2026, 2, 13), date(2026, 2, 24)),
        (date(2026, 2, 14), date(2026, 2, 25)),
        (date(2026, 2, 16), date(2026, 2, 25)),
    ],
)
def test_deadline_on_the_chinese_calendar(signed, deadline):
    due = dealer_deadlines.card_deadline(WorkdayCalendar(), signed)
    assert due.day == deadline
    assert not due.uncertain


def test_a_year_the_library_does_not_know_is_uncertain_unless_overridden(ctx):
    far = date(2099, 1, 2)  # a Friday
    due = dealer_deadlines.card_deadline(WorkdayCalendar(), far)
    assert (due.day, due.uncertain) == (date(2099, 1, 6), True)
    ctx.add_all(
        [
            CalendarOverride(day=date(2099, 1, 3), is_workday=True),
            CalendarOverride(day=date(2099, 1, 5), is_workday=False),
            CalendarOverride(day=date(2099, 1, 4), is_workday=False),
        ]
    )
    ctx.flush()
    due = dealer_deadlines.card_deadline(WorkdayCalendar.from_session(ctx), far)
    assert (due.day, due.uncertain) == (date(2099, 1, 6), True)  # the 6th itself is a guess
    ctx.add(CalendarOverride(day=date(2099, 1, 6), is_workday=True))
    ctx.flush()
    due = dealer_deadlines.card_deadline(WorkdayCalendar.from_session(ctx), far)
    assert (due.day, due.uncertain) == (date(2099, 1, 6), False)


def _dealer(ctx, region, signed, *, status="signed", card=False, name=None):
    dealer = Dealer(
        name=name or f"经销商{signed}",
        region_id=region.id,
        status=status,
        contract_signed_on=signed,
    )
    ctx.add(dealer)
    ctx.flush()
    if card:
        ctx.add(DealerDataCard(dealer_id=dealer.id, filled_on=signed))
        ctx.flush()
    return dealer


def test_missing_cards_list_with_status_and_region_scoping(ctx):
    south, north = ref_item(ctx, "region", "south"), ref_item(ctx, "region", "north")
    late = _dealer(ctx, south, date(2026, 9, 25))
    due = _dealer(ctx, south, date(2026, 9, 30))
    far = _dealer(ctx, north, date(2099, 1, 2))
    _dealer(ctx, south, date(2026, 9, 25), card=True)
    _dealer(ctx, south, None, status="potential")
    today = date(2026, 10, 8)

    boss = make_user(ctx, "supervisor")
    rows = dealer_deadlines.missing_cards(ctx, boss, today)
    assert [(r.dealer_id, r.deadline, r.status, r.uncertain) for r in rows] == [
        (late.id, date(2026, 9, 29), "late", False),
        # due tomorrow / in 2099: "due soon", not "due now" (issue 25)
        (due.id, date(2026, 10, 9), "soon", False),
        (far.id, date(2099, 1, 6), "soon", True),
    ]
    south_manager = make_user(ctx, "region_manager", region_id=south.id)
    assert [r.dealer_id for r in dealer_deadlines.missing_cards(ctx, south_manager, today)] == [
        late.id,
        due.id,
    ]
    north_manager = make_user(ctx, "region_manager", region_id=north.id)
    assert [r.dealer_id for r in dealer_deadlines.missing_cards(ctx, north_manager, today)] == [
        far.id
    ]
    # the deadline day itself is still "due"
    on_the_day = dealer_deadlines.missing_cards(ctx, south_manager, date(2026, 10, 9))
    assert [r.status for r in on_the_day] == ["late", "due"]


def test_a_card_due_later_is_not_labelled_due_today():
    from datetime import date

    from services.dealers.dealer_deadlines import _status

    today = date(2026, 11, 25)
    assert _status(today, date(2026, 11, 27)) == "soon"
    assert _status(today, today) == "due"
    assert _status(today, date(2026, 11, 24)) == "late"
