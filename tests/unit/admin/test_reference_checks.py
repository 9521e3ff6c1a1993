"""A card's and a visit's reference-list columns keep the foreign key's guarantees on both
databases: foreign keys on SQLite, statement-level triggers on PostgreSQL
(models/admin/reference_checks.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from extensions import db
from models.admin.reference import ReferenceItem, ReferenceList
from models.admin.reference_checks import CHECKED
from models.sales.prospects import Prospect
from tests.factories import make_prospect, make_visit, ref_item

pytestmark = pytest.mark.instant()

MISSING = 987_654


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


def _refused(error: pytest.ExceptionInfo) -> None:
    """The foreign key's own refusal: SQLSTATE 23503 on PostgreSQL, SQLite's message."""
    original = error.value.orig
    if db.engine.dialect.name == "postgresql":
        assert original.pgcode == "23503", original
    else:
        assert "FOREIGN KEY constraint failed" in str(original)


def _new_item(session, code: str) -> ReferenceItem:
    district = session.scalar(select(ReferenceList).where(ReferenceList.code == "district"))
    item = ReferenceItem(list_id=district.id, code=code, label=f"测试{code}", sort_order=99)
    session.add(item)
    session.flush()
    return item


def test_a_card_naming_no_item_is_refused(ctx):
    make_prospect(ctx, name="张三")
    with pytest.raises(IntegrityError) as refused:
        make_prospect(ctx, name="李四", source=None, district_id=MISSING)
    _refused(refused)
    if db.engine.dialect.name == "postgresql":  # the missing key, as a foreign key names it
        assert f"Key (id)=({MISSING})" in refused.value.orig.diag.message_detail
    ctx.rollback()
    assert ctx.scalar(select(func.count()).select_from(Prospect)) == 0


def test_an_update_to_no_item_is_refused_and_one_keeping_its_items_passes(ctx):
    card = make_prospect(ctx, district=ref_item(ctx, "district"))
    ctx.commit()
    ctx.execute(update(Prospect).where(Prospect.id == card.id).values(grade="A"))
    ctx.commit()
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(update(Prospect).where(Prospect.id == card.id).values(need_id=MISSING))
    _refused(refused)
    ctx.rollback()
    assert ctx.get(Prospect, card.id).need_id is None


def test_a_visit_naming_no_channel_is_refused(ctx):
    card = make_prospect(ctx)
    with pytest.raises(IntegrityError) as refused:
        make_visit(ctx, card, channel_id=MISSING)
    _refused(refused)


def test_a_many_row_insert_with_one_missing_item_is_refused_whole(ctx):
    source = ref_item(ctx, "source_channel", "walk_in")
    rows = [
        {"name": f"客户{n}", "progress": "follow_up", "source_id": source.id, "office_id": 1}
        for n in range(5)
    ]
    rows[3]["housing_id"] = MISSING
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(insert(Prospect), rows)
    _refused(refused)
    ctx.rollback()
    assert ctx.scalar(select(func.count()).select_from(Prospect)) == 0
    ctx.execute(insert(Prospect), [{**row, "housing_id": None} for row in rows])
    assert ctx.scalar(select(func.count()).select_from(Prospect)) == 5


def test_an_item_a_card_or_visit_holds_is_kept_one_none_holds_can_go(ctx):
    held = _new_item(ctx, "held_by_card")
    by_visit = _new_item(ctx, "held_by_visit")
    unused = _new_item(ctx, "unused")
    card = make_prospect(ctx, district_id=held.id)  # a column without an index
    make_visit(ctx, card, channel_id=by_visit.id)
    ctx.commit()
    for item in (held, by_visit):
        with pytest.raises(IntegrityError) as refused, ctx.begin_nested():
            ctx.execute(delete(ReferenceItem).where(ReferenceItem.id == item.id))
        _refused(refused)
    ctx.execute(delete(ReferenceItem).where(ReferenceItem.id == unused.id))
    ctx.commit()
    assert ctx.get(ReferenceItem, held.id) is not None
    assert ctx.get(ReferenceItem, unused.id) is None


def test_on_postgresql_the_checked_columns_are_triggers_not_foreign_keys(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the foreign keys")
    keys = ctx.execute(
        text(
            "SELECT conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid = 'reference_items'::regclass"
        )
    ).all()
    for table, columns in CHECKED.items():
        assert not {column for owner, column in keys if owner == table} & set(columns)
    triggers = set(ctx.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {
        "prospects_reference_items_inserted",
        "prospects_reference_items_updated",
        "prospect_visits_reference_items_inserted",
        "prospect_visits_reference_items_updated",
        "reference_items_held",
    } <= triggers
    # The office, the consultant, the creator and the visit's card are checked per statement
    # too (models/shared/key_checks.py, tests/unit/shared/test_key_checks.py): a visit keeps
    # no foreign key on PostgreSQL.
    assert ("prospects", "office_id") not in keys  # points to offices, not reference items
    assert (
        ctx.scalar(
            text(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid = 'prospect_visits'::regclass"
            )
        )
        == 0
    )


def test_on_postgresql_a_writing_transaction_locks_the_items_it_names(app, ctx):
    """As a foreign key's check does: another session cannot delete the item until the card's
    transaction ends, and then it is refused, the card being there."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    item = _new_item(ctx, "locked")
    ctx.commit()
    item_id = item.id
    writer = db.engine.connect()
    other = db.engine.connect()
    try:
        writer.begin()
        writer.execute(
            insert(Prospect).values(
                name="王五", progress="follow_up", office_id=1, awareness_id=item_id
            )
        )
        other.begin()
        other.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError) as waited:
            other.execute(delete(ReferenceItem).where(ReferenceItem.id == item_id))
        assert waited.value.orig.pgcode == "55P03"  # lock_not_available
        other.rollback()
        writer.commit()
        other.begin()
        with pytest.raises(IntegrityError) as refused:
            other.execute(delete(ReferenceItem).where(ReferenceItem.id == item_id))
        _refused(refused)
        other.rollback()
    finally:
        writer.close()
        other.close()


def test_on_postgresql_an_item_is_deleted_only_under_read_committed(app, ctx):
    """A REPEATABLE READ snapshot taken before a card naming the item was committed would not
    see the card: such a delete is refused, even of an item nothing names."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no isolation levels to choose")
    held = _new_item(ctx, "held_later")
    unused = _new_item(ctx, "unused_rr")
    ctx.commit()
    deleter = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        deleter.begin()
        deleter.execute(text("SELECT 1"))  # the snapshot is taken here
        make_prospect(ctx, housing_id=held.id)
        ctx.commit()
        for item_id in (held.id, unused.id):
            with pytest.raises(OperationalError) as refused, deleter.begin_nested():
                deleter.execute(delete(ReferenceItem).where(ReferenceItem.id == item_id))
            assert refused.value.orig.pgcode == "55000"  # object_not_in_prerequisite_state
        deleter.rollback()
    finally:
        deleter.close()
    assert ctx.get(ReferenceItem, held.id) is not None
