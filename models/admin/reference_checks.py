"""Reference-list columns that PostgreSQL checks once a statement instead of once a row.

A welcome card holds fourteen reference-list columns (source, project, purpose ... district)
and each of its visits one (the channel). PostgreSQL checks a foreign key by a trigger that
runs one look-up per row and key: an import of 90,000 full cards made 1,450,000 of them,
9 of the 13 seconds the server took to store the cards (docs/import.md, twelfth pass).

On PostgreSQL those columns are checked instead by a statement-level trigger, which sees
every row of the statement at once (a transition table) and looks the distinct items up in
one query. It holds the same guarantees as the foreign key it replaces:

- a row can only name an item that exists (an INSERT, or an UPDATE that brings a value no
  row of the statement held before), else the statement fails with SQLSTATE 23503
  (foreign_key_violation, an ``IntegrityError`` as before);
- the items named are locked ``FOR KEY SHARE``, as a foreign key's check locks them, so no
  other transaction can delete one before the writing transaction ends;
- ``reference_items`` refuses to delete (or renumber) an item a checked column holds
  (``reference_items_held``), as ON DELETE RESTRICT did. Items are retired, not deleted, so
  that search of the tables is rare.

The functions name tables without a schema and keep the search_path they were created with
(``SET search_path FROM CURRENT``; migration i8e1c0de49be sets it on a database made before),
so a session with another search_path (``pg_restore`` sets an empty one) still finds them.
The functions run as the writing role (SECURITY INVOKER), which therefore needs the rights
a foreign key's owner-run checks needed: UPDATE on reference_items (FOR KEY SHARE) to write
a card, SELECT on the checked tables to delete an item. The panel's role owns its tables.

SQLite keeps the foreign keys: it checks them in-process, at a fraction of the cost. The
models keep the ForeignKey (joins, the ORM, SQLite's DDL); ``ddl_if`` leaves it out of
PostgreSQL's CREATE TABLE, ``include_object`` out of autogenerate's comparison there, and
migration h8e1c0de48ad drops it from an existing database. The statements below are the ones
create_all runs (the tests' schema); the migration holds a copy, and
tests/unit/shared/test_migrations.py checks the two build the same triggers.
"""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Table, event

from models.shared import key_checks

#: Table name -> its reference-list columns checked per statement on PostgreSQL.
CHECKED: dict[str, tuple[str, ...]] = {}
#: What a reference-list column's foreign key points to.
REFERENCE_KEY = "reference_items.id"

#: Looks up a statement's distinct items in one query and locks them as a foreign key does.
CHECK_FUNCTION = """\
CREATE OR REPLACE FUNCTION reference_items_exist() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    item_columns text := (SELECT string_agg(format('(%I)', c), ', ') FROM unnest(TG_ARGV) AS c);
    wanted integer[];
    found integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT v) FROM new_rows, '
                       'LATERAL (VALUES %s) AS c(v) WHERE v IS NOT NULL', item_columns)
            INTO wanted;
    ELSE
        -- A value some row held before the statement names an item that existed and that
        -- reference_items_held keeps while that row is committed: only new values are looked up.
        EXECUTE format('SELECT array_agg(v) FROM ('
                       'SELECT v FROM new_rows, LATERAL (VALUES %1$s) AS c(v) WHERE v IS NOT NULL '
                       'EXCEPT SELECT v FROM old_rows, LATERAL (VALUES %1$s) AS c(v)) AS added',
                       item_columns)
            INTO wanted;
    END IF;
    IF wanted IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO found
        FROM (SELECT 1 FROM reference_items WHERE id = ANY (wanted) FOR KEY SHARE) AS held;
    IF found < cardinality(wanted) THEN
        RAISE EXCEPTION 'insert or update on table "%" names a reference item that does not exist',
            TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation', DETAIL = format(
                'Key (id)=(%s) is not present in table "reference_items".', (
                    SELECT string_agg(w::text, ', ') FROM unnest(wanted) AS w
                    WHERE NOT EXISTS (SELECT 1 FROM reference_items WHERE id = w)));
    END IF;
    RETURN NULL;
END $$"""


def _trigger_statements(table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    arguments = ", ".join(f"'{column}'" for column in columns)
    return (
        f"CREATE TRIGGER {table}_reference_items_inserted AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION reference_items_exist({arguments})",
        f"CREATE TRIGGER {table}_reference_items_updated AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION reference_items_exist({arguments})",
    )


def held_function(checked: dict[str, tuple[str, ...]]) -> str:
    """reference_items' guard: an item a checked column holds is neither deleted nor renumbered.

    A BEFORE ROW trigger locks the item first, so it waits for a transaction that locked the
    item FOR KEY SHARE (one writing a row that names it), and under READ COMMITTED its look-up
    then sees that row committed; other isolation levels are refused (see the function)."""
    # Table and column names come from the models, never from input.
    holders = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE OLD.id IN ({', '.join(columns)}))"  # noqa: S608
        for table, columns in sorted(checked.items())
    )
    return f"""\
CREATE OR REPLACE FUNCTION reference_items_held() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    -- The look-up below sees what was committed when it starts only under READ COMMITTED; a
    -- REPEATABLE READ snapshot would miss a card committed since (a foreign key's own check
    -- reads past its snapshot, a function cannot).
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'a reference item is deleted or renumbered only under READ COMMITTED'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF {holders} THEN
        RAISE EXCEPTION 'reference item % is still referenced', OLD.id
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'A card or a visit names it; retire it instead.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$"""


HELD_TRIGGER = (
    "CREATE TRIGGER reference_items_held BEFORE DELETE OR UPDATE OF id ON reference_items "
    "FOR EACH ROW EXECUTE FUNCTION reference_items_held()"
)


def check_per_statement(table: Table) -> None:
    """Check every reference-list column of ``table`` per statement on PostgreSQL (above)."""
    columns = tuple(
        column.name
        for column in table.columns
        if any(key.target_fullname == REFERENCE_KEY for key in column.foreign_keys)
    )
    CHECKED[table.name] = columns
    for constraint in table.foreign_key_constraints:
        if _is_checked(constraint):
            constraint.ddl_if(callable_=key_checks.not_postgresql)
    for statement in (CHECK_FUNCTION, *_trigger_statements(table.name, columns)):
        event.listen(
            table, "after_create", key_checks.as_ddl(statement).execute_if(dialect="postgresql")
        )
    # reference_items was created first (the others point to it); its guard is (re)built
    # with every table checked so far, the function replaced in place.
    event.listen(table, "after_create", _create_held_guard)


def _create_held_guard(target, connection, **kw) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.execute(key_checks.as_ddl(held_function(CHECKED)))
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM pg_trigger WHERE tgname = 'reference_items_held' "
        "AND tgrelid = 'reference_items'::regclass"
    ).first()
    if not exists:
        connection.exec_driver_sql(HELD_TRIGGER)


def _is_checked(constraint: ForeignKeyConstraint) -> bool:
    columns = CHECKED.get(constraint.table.name, ())
    return (
        len(constraint.elements) == 1
        and constraint.elements[0].target_fullname == REFERENCE_KEY
        and next(iter(constraint.columns)).name in columns
    )


def include_object(dialect_name: str):
    """Autogenerate's filter: on PostgreSQL the foreign keys checked per statement (these
    reference-list columns, and models/shared/key_checks.py's keys) are not expected."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        return not (
            dialect_name == "postgresql"
            and type_ == "foreign_key_constraint"
            and not reflected
            and (_is_checked(obj) or key_checks.is_checked(obj))
        )

    return include
