"""A card's office, consultant and creator, and a visit's card, office, consultant and creator,
keep the foreign key's guarantees on both databases: foreign keys on SQLite, statement-level
triggers and the referenced tables' guards on PostgreSQL (models/shared/key_checks.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from extensions import db
from models.admin.offices import Office
from models.admin.people import User
from models.property.property import Lease, Tenant, Unit
from models.sales.prospects import Prospect, Visit
from models.shared.key_checks import KEYS
from tests.factories import make_prospect, make_user, make_visit, ref_item

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


def _card_rows(count: int, **values) -> list[dict]:
    return [
        {"name": f"客户{n}", "progress": "follow_up", "office_id": 1, **values}
        for n in range(count)
    ]


def _visit_row(card_id: int, seq: int = 1, **values) -> dict:
    return {
        "prospect_id": card_id,
        "seq": seq,
        "visited_on": date(2026, 3, 1),
        "summary": "来访",
        "office_id": 1,
        **values,
    }


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _delete_waits_for_writer(writer, statement) -> None:
    """Run ``statement`` in a second session while ``writer``'s transaction is open: it must
    wait for the writer, then go through once the writer commits."""
    import threading

    deleter = db.engine.connect()
    outcome: list[object] = []

    def run() -> None:
        try:
            with deleter.begin():
                deleter.execute(statement)
            outcome.append("done")
        except Exception as error:  # reported to the test's thread below
            outcome.append(error)

    try:
        waiting = threading.Thread(target=run)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # waiting for the writer's lock
        writer.commit()
        waiting.join(10)
        assert outcome == ["done"]
    finally:
        deleter.close()


@pytest.mark.parametrize("column", ["office_id", "consultant_id", "created_by_id"], ids=lambda c: c)
def test_a_card_naming_a_missing_row_is_refused_whole(ctx, column):
    rows = _card_rows(4)
    rows[2][column] = MISSING
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(insert(Prospect), rows)
    _refused(refused)
    if db.engine.dialect.name == "postgresql":  # the missing key, as a foreign key names it
        assert f"Key (id)=({MISSING})" in refused.value.orig.diag.message_detail
    ctx.rollback()
    assert _count(ctx, Prospect) == 0


@pytest.mark.parametrize(
    "column", ["prospect_id", "office_id", "consultant_id", "created_by_id"], ids=lambda c: c
)
def test_a_visit_naming_a_missing_row_is_refused(ctx, column):
    card = make_prospect(ctx)
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(insert(Visit), [_visit_row(card.id, **{column: MISSING})])
    _refused(refused)


def test_an_update_to_a_missing_row_is_refused_and_one_keeping_its_keys_passes(ctx):
    consultant = make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant_id=consultant.id)
    ctx.commit()
    ctx.execute(update(Prospect).where(Prospect.id == card.id).values(grade="A"))
    ctx.commit()
    for values in ({"consultant_id": MISSING}, {"office_id": MISSING}):
        with pytest.raises(IntegrityError) as refused, ctx.begin_nested():
            ctx.execute(update(Prospect).where(Prospect.id == card.id).values(**values))
        _refused(refused)
    ctx.rollback()
    stored = ctx.get(Prospect, card.id)
    assert (stored.consultant_id, stored.office_id, stored.grade) == (consultant.id, 1, "A")


def test_deleting_a_card_deletes_its_visits(ctx):
    card = make_prospect(ctx)
    other = make_prospect(ctx)
    make_visit(ctx, card)
    make_visit(ctx, card)
    make_visit(ctx, other)
    ctx.commit()
    # A statement, not the ORM (which deletes the visits itself): the database's ON DELETE.
    ctx.execute(delete(Prospect).where(Prospect.id == card.id))
    ctx.commit()
    assert ctx.scalars(select(Visit.prospect_id)).all() == [other.id]


def test_deleting_an_account_clears_it_from_cards_and_visits(ctx):
    gone = make_user(ctx, "clerk")
    kept = make_user(ctx, "clerk")
    card = make_prospect(ctx, consultant_id=gone.id, created_by_id=gone.id)
    make_visit(ctx, card, consultant_id=gone.id, created_by_id=kept.id)
    ctx.commit()
    ctx.execute(delete(User).where(User.id == gone.id))
    ctx.commit()
    ctx.expire_all()
    assert ctx.execute(select(Prospect.consultant_id, Prospect.created_by_id)).one() == (
        None,
        None,
    )
    assert ctx.execute(select(Visit.consultant_id, Visit.created_by_id)).one() == (None, kept.id)


def test_an_office_a_card_or_visit_names_is_kept_one_none_names_can_go(ctx):
    by_card = Office(name="城南售楼处")
    by_visit = Office(name="城北售楼处")
    unused = Office(name="城西售楼处")
    ctx.add_all([by_card, by_visit, unused])
    ctx.flush()
    card = make_prospect(ctx, office_id=by_card.id)
    make_visit(ctx, card, office_id=by_visit.id)
    ctx.commit()
    for office in (by_card, by_visit):
        with pytest.raises(IntegrityError) as refused, ctx.begin_nested():
            ctx.execute(delete(Office).where(Office.id == office.id))
        _refused(refused)
    ctx.execute(delete(Office).where(Office.id == unused.id))
    ctx.commit()
    assert _count(ctx, Office) >= 3
    assert ctx.get(Office, unused.id) is None


def test_a_card_a_visit_names_is_not_renumbered(ctx):
    card = make_prospect(ctx)
    make_visit(ctx, card)
    ctx.commit()
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(update(Prospect).where(Prospect.id == card.id).values(id=MISSING))
    _refused(refused)


def test_on_postgresql_the_checked_keys_are_triggers_not_foreign_keys(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the foreign keys")
    keys = set(
        ctx.execute(
            text(
                "SELECT conrelid::regclass::text, a.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "WHERE c.contype = 'f'"
            )
        ).all()
    )
    assert not {(key.table, key.column) for key in KEYS} & keys
    # Other tables keep theirs: a collision's card, a consent's recorder.
    assert {("collisions", "prospect_id"), ("consent_records", "recorded_by_id")} <= keys
    triggers = set(ctx.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    assert {
        "prospects_offices_keys_inserted",
        "prospects_users_keys_updated",
        "prospect_visits_prospects_keys_inserted",
        "prospect_visits_prospects_keys_updated",
        "offices_keys_held",
        "users_keys_held",
        "prospects_keys_held",
    } <= triggers


def test_on_postgresql_a_card_deleted_while_a_visit_is_written_takes_the_visit(app, ctx):
    """As a foreign key does: the delete waits for the transaction writing a visit of the card,
    then deletes that visit with the card; a visit written after the delete is refused."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    card = make_prospect(ctx)
    ctx.commit()
    card_id = card.id
    writer = db.engine.connect()
    deleter = db.engine.connect()
    try:
        writer.begin()
        writer.execute(insert(Visit), [_visit_row(card_id)])
        deleter.begin()
        deleter.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError) as waited:
            deleter.execute(delete(Prospect).where(Prospect.id == card_id))
        assert waited.value.orig.pgcode == "55P03"  # lock_not_available
        deleter.rollback()
        writer.commit()
        deleter.begin()
        deleter.execute(delete(Prospect).where(Prospect.id == card_id))
        writer.begin()
        writer.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(OperationalError):  # waits on the delete's lock
            writer.execute(insert(Visit), [_visit_row(card_id, seq=2)])
        writer.rollback()
        deleter.commit()
        writer.begin()
        with pytest.raises(IntegrityError) as refused:
            writer.execute(insert(Visit), [_visit_row(card_id, seq=2)])
        _refused(refused)
        writer.rollback()
    finally:
        writer.close()
        deleter.close()
    assert _count(ctx, Visit) == 0
    assert _count(ctx, Prospect) == 0


def test_on_postgresql_a_waiting_delete_sees_the_visit_committed_meanwhile(app, ctx):
    """The delete blocks on the writer's lock; once the writer commits, the delete goes on and
    its cascade sees the new visit (no visit is left without its card)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    card = make_prospect(ctx)
    ctx.commit()
    card_id = card.id
    writer = db.engine.connect()
    try:
        writer.begin()
        writer.execute(insert(Visit), [_visit_row(card_id)])
        _delete_waits_for_writer(writer, delete(Prospect).where(Prospect.id == card_id))
    finally:
        writer.close()
    assert _count(ctx, Visit) == 0


def test_on_postgresql_a_card_is_deleted_only_under_read_committed(app, ctx):
    """A REPEATABLE READ snapshot taken before a visit of the card was committed would not see
    the visit: such a delete is refused."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no isolation levels to choose")
    card = make_prospect(ctx)
    ctx.commit()
    deleter = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        deleter.begin()
        deleter.execute(text("SELECT 1"))  # the snapshot is taken here
        make_visit(ctx, card)
        ctx.commit()
        with pytest.raises(OperationalError) as refused:
            deleter.execute(delete(Prospect).where(Prospect.id == card.id))
        assert refused.value.orig.pgcode == "55000"  # object_not_in_prerequisite_state
        deleter.rollback()
    finally:
        deleter.close()
    assert _count(ctx, Visit) == 1


def test_on_postgresql_a_key_moved_to_another_row_is_locked_as_a_new_one(app, ctx):
    """An UPDATE giving a second card the consultant a first card of the statement already
    names, while another session deletes the account: the delete waits for the writer, then
    clears both cards. A look-up of the statement's new values as a whole left the second
    card naming a deleted account (a read-only review's reproduction): the delete waited on
    the first card's row only, and its snapshot had not seen the second card's new value."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    consultant = make_user(ctx, "clerk")
    first = make_prospect(ctx, consultant_id=consultant.id)
    second = make_prospect(ctx)
    ctx.commit()
    ids, consultant_id = [first.id, second.id], consultant.id
    writer = db.engine.connect()
    try:
        writer.begin()
        writer.execute(
            update(Prospect).where(Prospect.id.in_(ids)).values(consultant_id=consultant_id)
        )
        _delete_waits_for_writer(writer, delete(User).where(User.id == consultant_id))
    finally:
        writer.close()
    ctx.expire_all()
    assert ctx.scalars(select(Prospect.consultant_id).where(Prospect.id.in_(ids))).all() == [
        None,
        None,
    ]


def test_on_postgresql_a_truncate_leaving_rows_that_name_the_table_is_refused(app, ctx):
    """A TRUNCATE fires no DELETE trigger and its CASCADE follows foreign keys only: it is
    refused while cards or visits name the truncated rows, as a foreign key refused it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    card = make_prospect(ctx, consultant_id=make_user(ctx, "clerk").id)
    make_visit(ctx, card)
    ctx.commit()
    for statement in ("TRUNCATE prospects CASCADE", "TRUNCATE users CASCADE"):
        with pytest.raises(IntegrityError) as refused, ctx.begin_nested():
            ctx.execute(text(statement))
        _refused(refused)
    with ctx.begin_nested() as emptied:  # the cards and their visits together: allowed
        ctx.execute(text("TRUNCATE prospects, prospect_visits CASCADE"))
        assert _count(ctx, Visit) == 0
        emptied.rollback()
    ctx.rollback()
    assert _count(ctx, Visit) == 1


def test_on_postgresql_the_checks_find_their_tables_under_another_search_path(app, ctx):
    """pg_restore and other tools run with an empty search_path: the functions keep theirs."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's search_path")
    unused = Office(name="城东售楼处")
    ctx.add(unused)
    ctx.commit()
    unused_id = unused.id
    # Every name written with its schema, as pg_restore writes them.
    qualified = {"schema_translate_map": {None: ctx.scalar(text("SELECT current_schema()"))}}
    ctx.execute(text("SET LOCAL search_path = ''"))
    ctx.execute(insert(Prospect), _card_rows(1), execution_options=qualified)
    ctx.execute(delete(Office).where(Office.id == unused_id), execution_options=qualified)
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(insert(Prospect), _card_rows(1, office_id=MISSING), execution_options=qualified)
    _refused(refused)


def _lease_with_unit(session) -> Lease:
    unit = Unit(project_id=ref_item(session, "project").id, building="3栋", room="2-1502")
    lease = Lease(unit=unit, tenant=Tenant(name="马租户"), starts_on=date(2024, 3, 1))
    session.add(lease)
    session.flush()
    return lease


@pytest.mark.parametrize(
    "column",
    ["unit_id", "tenant_id", "office_id", "created_by_id", "original_seen_by_id"],
    ids=lambda c: c,
)
def test_a_lease_naming_a_missing_row_is_refused(ctx, column):
    lease = _lease_with_unit(ctx)
    ctx.commit()
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(update(Lease).where(Lease.id == lease.id).values(**{column: MISSING}))
    _refused(refused)
    ctx.rollback()
    with pytest.raises(IntegrityError) as refused:
        ctx.execute(
            insert(Lease),
            [{"unit_id": lease.unit_id, "tenant_id": lease.tenant_id, "office_id": 1,
              "starts_on": date(2024, 4, 1), "status": "registering", column: MISSING}],
        )  # fmt: skip
    _refused(refused)


def test_a_unit_or_tenant_a_lease_names_is_kept(ctx):
    lease = _lease_with_unit(ctx)
    ctx.commit()
    for model, row_id in ((Unit, lease.unit_id), (Tenant, lease.tenant_id)):
        with pytest.raises(IntegrityError) as refused, ctx.begin_nested():
            ctx.execute(delete(model).where(model.id == row_id))
        _refused(refused)
    ctx.execute(delete(Lease).where(Lease.id == lease.id))
    ctx.execute(delete(Tenant).where(Tenant.id == lease.tenant_id))
    ctx.commit()
    assert _count(ctx, Tenant) == 0


def test_deleting_an_account_clears_it_from_leases_and_tenants(ctx):
    gone = make_user(ctx, "clerk")
    lease = _lease_with_unit(ctx)
    lease.created_by_id = lease.original_seen_by_id = gone.id
    lease.tenant.created_by_id = gone.id
    ctx.commit()
    ctx.execute(delete(User).where(User.id == gone.id))
    ctx.commit()
    ctx.expire_all()
    assert ctx.execute(select(Lease.created_by_id, Lease.original_seen_by_id)).one() == (
        None,
        None,
    )
    assert ctx.scalar(select(Tenant.created_by_id)) is None
