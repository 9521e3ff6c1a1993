"""Dealer follow-through: a visited, unsigned wholesale customer's potential-dealer file is
due by the next working day; the directory's important dealers need a visit and a file."""

from __future__ import annotations

from datetime import date

import pytest

from extensions import db
from models.dealers.dealers import Dealer, DealerVisit, PotentialDealerFile
from services.dealers import dealer_deadlines
from tests.factories import make_user, ref_item

FRIDAY = date(2026, 11, 20)  # the next working day is Monday 23 November


@pytest.fixture
def s(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _dealer(s, name, region, *, status="potential", visited=False, filed=False, important=False):
    dealer = Dealer(name=name, region_id=region.id, status=status, in_directory=important)
    if status == "signed":
        dealer.contract_signed_on = FRIDAY
    s.add(dealer)
    s.flush()
    if visited:
        s.add(DealerVisit(dealer_id=dealer.id, visited_on=FRIDAY, summary="首次拜访"))
    if filed:
        s.add(PotentialDealerFile(dealer_id=dealer.id, written_on=FRIDAY, interest="有兴趣"))
    s.flush()
    return dealer


def test_a_visited_unsigned_dealer_without_a_file_is_due_the_next_working_day(s):
    south = ref_item(s, "region", "south")
    due = _dealer(s, "南方建材", south, visited=True)
    _dealer(s, "已建档", south, visited=True, filed=True)
    _dealer(s, "已签约", south, status="signed", visited=True)
    _dealer(s, "未拜访", south)
    supervisor = make_user(s, "supervisor")

    (row,) = dealer_deadlines.missing_files(s, supervisor, date(2026, 11, 23))
    assert (row.dealer_id, row.first_visit_on, row.deadline, row.status) == (
        due.id,
        FRIDAY,
        date(2026, 11, 23),
        "due",
    )
    (late,) = dealer_deadlines.missing_files(s, supervisor, date(2026, 11, 24))
    assert late.status == "late"


def test_the_directorys_important_dealers_need_a_visit_and_a_file(s):
    south = ref_item(s, "region", "south")
    never = _dealer(s, "从未拜访", south, important=True)
    no_file = _dealer(s, "未建档", south, important=True, visited=True)
    _dealer(s, "已完成", south, important=True, visited=True, filed=True)
    _dealer(s, "不重要", south)
    gaps = dealer_deadlines.directory_gaps(s, make_user(s, "supervisor"))
    assert {(g.dealer_id, g.visited, g.has_file) for g in gaps} == {
        (never.id, False, False),
        (no_file.id, True, False),
    }


def test_a_region_manager_sees_only_their_region(s):
    south, east = ref_item(s, "region", "south"), ref_item(s, "region", "east")
    _dealer(s, "南方建材", south, visited=True, important=True)
    east_manager = make_user(s, "region_manager", region_id=east.id)
    south_manager = make_user(s, "region_manager", region_id=south.id)
    assert dealer_deadlines.missing_files(s, east_manager, FRIDAY) == []
    assert dealer_deadlines.directory_gaps(s, east_manager) == []
    assert len(dealer_deadlines.missing_files(s, south_manager, FRIDAY)) == 1
    assert len(dealer_deadlines.directory_gaps(s, south_manager)) == 1


@pytest.mark.instant()
def test_the_deadlines_page_and_the_home_page_show_them(app, client, login_as):
    with app.app_context():
        south = ref_item(db.session, "region", "south")
        region_id = south.id
        dealer = _dealer(db.session, "南方建材", south, visited=True, important=True)
        dealer_id = dealer.id
        db.session.commit()
    login_as("region_manager", region_id=region_id)
    page = client.get("/admin/sales/dealer-deadlines/").get_data(as_text=True)
    files = page.split('id="dealer-files-due"', 1)[1].split("</table>", 1)[0]
    assert f'data-dealer="{dealer_id}"' in files and "南方建材" in files
    gaps = page.split('id="directory-gaps"', 1)[1].split("</table>", 1)[0]
    assert f'data-dealer="{dealer_id}"' in gaps and "缺少" in gaps
    home = client.get("/admin/").get_data(as_text=True)
    tile = home.split('id="stat-dealer-files-due"', 1)[1]
    assert tile.split('data-count="', 1)[1].startswith('1"')
