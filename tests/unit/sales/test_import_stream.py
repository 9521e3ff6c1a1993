"""The import's fast paths give what the slow ones gave: the tokens written in bulk are
``rows_for``'s, and the rows put in by COPY (PostgreSQL) read back as an ORM insert would have
stored them."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from models.privacy.privacy import ConsentRecord
from models.sales.prospects import Prospect, Visit
from models.shared.name_search import NameToken
from services.shared import importer, name_search
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("consent", "购房咨询", "2026-01")


@pytest.fixture
def s(app):
    with app.app_context():
        ref_item(db.session, "source_channel", "walk_in")
        yield db.session
        db.session.rollback()


def test_bulk_tokens_write_the_tokens_of_rows_for(s):
    pairs = [(9001, "王伟"), (9002, "单田芳2号"), (9003, "Tom Lee"), (9004, "")]
    written = name_search.bulk_tokens(s, "prospect", pairs)
    stored = set(
        s.execute(
            select(NameToken.kind, NameToken.token, NameToken.record_id).where(
                NameToken.record_id.in_([9001, 9002, 9003, 9004])
            )
        )
    )
    expected = {
        (r["kind"], r["token"], r["record_id"]) for r in name_search.rows_for("prospect", pairs)
    }
    assert stored == expected and written == len(expected)


def test_imported_cards_read_back_whole(s, tmp_path):
    user = make_user(s, role="clerk")
    headers = ["客户姓名", "手机", "等级", "来源", "来访日期", "第二次来访", "备注"]
    rows = [
        ["李四", "13900000011", "A", "来访", "2026-03-01", "2026-03-08", "带\t制表符\\反斜杠"],
        ["李四", "13900000011", None, "来访", "2026-03-20", None, "复访"],
    ]
    path = write_xlsx(tmp_path / "cards.xlsx", rows, headers=headers)
    mapping = importer.guess_mapping(headers)
    outcome = importer.import_file(s, user, path, mapping, skip_rejected=False, consent=CONSENT)
    assert (outcome.inserted, outcome.visits) == (1, 3)
    card = s.scalars(select(Prospect).where(Prospect.name == "李四")).one()
    assert (card.mobile, card.grade, card.progress, card.version) == (
        "13900000011",
        "A",
        "follow_up",
        1,
    )
    assert card.notes == "带\t制表符\\反斜杠"
    assert card.last_contact_on == date(2026, 3, 20)
    assert card.created_at is not None and card.created_by_id == user.id
    visits = s.scalars(select(Visit).where(Visit.prospect_id == card.id).order_by(Visit.seq))
    read = [(v.seq, v.visited_on, v.summary) for v in visits]
    imported = read[0][2]  # "Imported from Excel", in the app's language
    assert imported and read == [
        (1, date(2026, 3, 1), imported),
        (2, date(2026, 3, 8), imported),
        (3, date(2026, 3, 20), "复访"),
    ]
    consent = s.scalars(select(ConsentRecord).where(ConsentRecord.subject_id == card.id)).one()
    assert consent.basis == "consent" and consent.given_at is not None
    found = s.scalars(select(Prospect.id).where(name_search.search_condition(Prospect, "ls")))
    assert card.id in set(found)
