"""Foreign keys of the busiest tables that PostgreSQL checks once a statement, not once a row.

An import of 100,000 full welcome cards writes 90,000 cards and 190,000 visits. PostgreSQL
checks a foreign key by a trigger that looks the key up once per row: a card's office,
consultant and creator, a visit's card, office, consultant and creator made 1,030,000
look-ups, and without them the server wrote the visits in 1.6-1.8 s instead of 4.2-4.6 s
(docs/import.md, fourteenth pass). A lease list writes 100,000 leases (unit, tenant, office,
creator, the contract's witness) and 75,000 tenants (office, creator) the same way.
``models/admin/reference_checks.py`` did this for the reference-list columns; this module
does it for keys that carry an ON DELETE action. The models name them with
``check_keys_per_statement``.

On PostgreSQL such a column has no foreign key. Instead:

- a statement-level AFTER INSERT and AFTER UPDATE trigger per referencing table and
  referenced table (``referenced_rows_exist``) reads the statement's rows from a transition
  table and looks the distinct keys up in one query, locking them ``FOR KEY SHARE`` as a
  foreign key's check does; a key that does not exist fails the statement with SQLSTATE
  23503 (``foreign_key_violation``, an ``IntegrityError`` as before). An UPDATE looks up
  every value but those a row keeps in the same column (the guard's statement waits on that
  row's lock and then sees it); a value moved to another row or column is looked up and
  locked like a new one (a read-only review reproduced a delete that missed such a row when
  the look-up compared the statement's values as a whole);
- a BEFORE DELETE OR UPDATE OF id row trigger on the referenced table (``<table>_keys_held``)
  does what the foreign key's ON DELETE did: RESTRICT refuses the delete while a row names
  the key, SET NULL clears the column of the rows naming it, CASCADE deletes them. It
  refuses to renumber a key a row names (ON UPDATE NO ACTION);
- an AFTER TRUNCATE trigger (``<table>_keys_truncated``, the same function) refuses a
  TRUNCATE that leaves rows naming the table (a TRUNCATE fires no DELETE trigger and its
  CASCADE follows foreign keys only): truncate the tables naming it in the same statement.

The functions name tables without a schema and keep the search_path they were created with
(``SET search_path FROM CURRENT``), so a session with another one (``pg_restore`` sets an
empty search_path) still finds them.

Why that holds under concurrency: PostgreSQL locks the row a BEFORE DELETE trigger fires for
before it calls the trigger, so the delete waits for any transaction that locked the row FOR
KEY SHARE (one writing a row that names it), and the trigger's statements, each taking a new
snapshot under READ COMMITTED, then see that row committed and clear, delete or refuse it. A
writer that comes after the delete's lock waits on it and then finds the row gone: its
statement fails. Under REPEATABLE READ or SERIALIZABLE a snapshot taken earlier would miss a
row committed since (a foreign key's own actions read past their snapshot; a function cannot),
so the guard refuses a delete or renumbering there (SQLSTATE 55000), as reference_items' does.

The functions run as the writing role (SECURITY INVOKER), which therefore needs what the
foreign key's owner-run checks needed: UPDATE on the referenced table (FOR KEY SHARE) to write
a row, and rights on the referencing tables to delete a referenced row. The panel's role owns
its tables.

SQLite keeps the foreign keys (it checks them in-process, cheaply). The models keep the
ForeignKey (joins, the ORM's flush order, SQLite's DDL); ``ddl_if`` leaves it out of
PostgreSQL's CREATE TABLE, ``is_checked`` out of autogenerate's comparison there, and
migrations i8e1c0de49be (cards, visits) and j8e1c0de50cf (leases, tenants) drop it from an
existing database with a copy of the statements below; tests/unit/shared/test_migrations.py
checks the two build the same triggers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DDL, ForeignKeyConstraint, Table, event, text

#: Looks a statement's distinct keys up in one query and locks them as a foreign key does.
#: TG_ARGV: the referenced table, then the referencing columns.
EXIST_FUNCTION = """\
CREATE OR REPLACE FUNCTION referenced_rows_exist() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    target text := TG_ARGV[0];
    key_columns text := (SELECT string_agg(format('(%I)', c), ', ')
                         FROM unnest(TG_ARGV[1:]) AS c);
    new_keys text := (SELECT string_agg(format('(%L, n0.%I)', c, c), ', ')
                      FROM unnest(TG_ARGV[1:]) AS c);
    old_keys text := (SELECT string_agg(format('(%L, o0.%I)', c, c), ', ')
                      FROM unnest(TG_ARGV[1:]) AS c);
    wanted integer[];
    found integer;
    missing text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT v) FROM new_rows, '
                       'LATERAL (VALUES %s) AS c(v) WHERE v IS NOT NULL', key_columns)
            INTO wanted;
    ELSE
        -- A row that keeps the value its own column held names a row the guard cannot take
        -- from under it (the guard's statement waits on this row's lock, then sees it): only
        -- the other values are looked up. A value that moves to another row or column is
        -- looked up and locked, else a delete could miss the row that now names it.
        EXECUTE format('SELECT array_agg(DISTINCT n.v) FROM new_rows AS n0, '
                       'LATERAL (VALUES %s) AS n(k, v) WHERE n.v IS NOT NULL AND NOT EXISTS ('
                       'SELECT 1 FROM old_rows AS o0, LATERAL (VALUES %s) AS o(k, v) '
                       'WHERE o0.id = n0.id AND o.k = n.k AND o.v = n.v)', new_keys, old_keys)
            INTO wanted;
    END IF;
    IF wanted IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I WHERE id = ANY ($1) FOR KEY SHARE) '
                   'AS held', target)
        INTO found USING wanted;
    IF found < cardinality(wanted) THEN
        EXECUTE format('SELECT string_agg(w::text, '', '') FROM unnest($1) AS w '
                       'WHERE NOT EXISTS (SELECT 1 FROM %I WHERE id = w)', target)
            INTO missing USING wanted;
        RAISE EXCEPTION 'insert or update on table "%" names a row of "%" that does not exist',
            TG_TABLE_NAME, target USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (id)=(%s) is not present in table "%s".', missing, target);
    END IF;
    RETURN NULL;
END $$"""


@dataclass(frozen=True)
class CheckedKey:
    """One referencing column PostgreSQL checks per statement, and its ON DELETE action."""

    table: str
    column: str
    target: str
    ondelete: str  # "CASCADE", "SET NULL" or "RESTRICT"


#: Every key checked per statement, in the order the models registered them.
KEYS: list[CheckedKey] = []
ACTIONS = ("CASCADE", "SET NULL", "RESTRICT")


def check_keys_per_statement(table: Table, *columns: str) -> None:
    """Check ``columns`` of ``table`` (each a single-column foreign key to a table's ``id``
    with an ON DELETE action) per statement on PostgreSQL (above)."""
    added: list[CheckedKey] = []
    for name in columns:
        (key,) = table.columns[name].foreign_keys
        target, target_column = key.target_fullname.split(".")
        ondelete = (key.ondelete or "RESTRICT").upper()
        if target_column != "id" or ondelete not in ACTIONS:
            raise ValueError(f"{table.name}.{name}: only a key to id with {ACTIONS} is checked")
        added.append(CheckedKey(table.name, name, target, ondelete))
    KEYS.extend(added)
    for constraint in table.foreign_key_constraints:
        if is_checked(constraint):
            constraint.ddl_if(callable_=not_postgresql)
    statements = [EXIST_FUNCTION]
    for target in dict.fromkeys(key.target for key in added):
        statements += trigger_statements(
            table.name, target, tuple(key.column for key in added if key.target == target)
        )
    for statement in statements:
        event.listen(table, "after_create", as_ddl(statement).execute_if(dialect="postgresql"))
    # The referenced tables were created first (this one points to them): their guards are
    # (re)built with every key registered so far, the functions replaced in place.
    event.listen(table, "after_create", _create_guards)


def trigger_statements(table: str, target: str, columns: tuple[str, ...]) -> tuple[str, str]:
    """The two statement-level triggers that check ``table``'s ``columns`` naming ``target``."""
    arguments = ", ".join(f"'{name}'" for name in (target, *columns))
    return (
        f"CREATE TRIGGER {table}_{target}_keys_inserted AFTER INSERT ON {table} "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION referenced_rows_exist({arguments})",
        f"CREATE TRIGGER {table}_{target}_keys_updated AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION referenced_rows_exist({arguments})",
    )


def guard_function(target: str, keys: list[CheckedKey]) -> str:
    """``target``'s guard: what its rows' foreign keys did on a delete, and no renumbering."""
    # Table and column names come from the models, never from input.
    named = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM {key.table} WHERE {key.column} = OLD.id)"  # noqa: S608
        for key in keys
    )
    restricted = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM {key.table} WHERE {key.column} = OLD.id)"  # noqa: S608
        for key in keys
        if key.ondelete == "RESTRICT"
    )
    actions = "".join(
        f"    UPDATE {key.table} SET {key.column} = NULL WHERE {key.column} = OLD.id;\n"  # noqa: S608
        if key.ondelete == "SET NULL"
        else f"    DELETE FROM {key.table} WHERE {key.column} = OLD.id;\n"  # noqa: S608
        for key in keys
        if key.ondelete != "RESTRICT"
    )
    truncated = "\n        OR ".join(
        f"EXISTS (SELECT 1 FROM {key.table} WHERE {key.column} IS NOT NULL)"  # noqa: S608
        for key in keys
    )
    refuse_restricted = (
        f"    IF {restricted} THEN\n"
        "        RAISE EXCEPTION 'row % of \"%\" is still referenced', OLD.id, TG_TABLE_NAME\n"
        "            USING ERRCODE = 'foreign_key_violation';\n"
        "    END IF;\n"
        if restricted
        else ""
    )
    return f"""\
CREATE OR REPLACE FUNCTION {target}_keys_held() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    -- The statements below see what was committed when each starts only under READ
    -- COMMITTED; a REPEATABLE READ snapshot would miss a row committed since.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'a row of "%" is deleted or renumbered only under READ COMMITTED',
            TG_TABLE_NAME USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        -- A TRUNCATE fires no DELETE trigger (and its CASCADE follows foreign keys only): it
        -- passes when no row names the table's rows any more (the tables that do, truncated
        -- in the same statement), as a foreign key's TRUNCATE check asks.
        IF {truncated} THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the tables that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF {named} THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
{refuse_restricted}{actions}    RETURN OLD;
END $$"""


def guard_triggers(target: str) -> dict[str, str]:
    """Trigger name -> the statement that creates it: the guard on each row, and on TRUNCATE."""
    return {
        f"{target}_keys_held": (
            f"CREATE TRIGGER {target}_keys_held BEFORE DELETE OR UPDATE OF id ON {target} "
            f"FOR EACH ROW EXECUTE FUNCTION {target}_keys_held()"
        ),
        f"{target}_keys_truncated": (
            f"CREATE TRIGGER {target}_keys_truncated AFTER TRUNCATE ON {target} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {target}_keys_held()"
        ),
    }


def guarded_keys() -> dict[str, list[CheckedKey]]:
    """Referenced table -> the keys naming it."""
    guarded: dict[str, list[CheckedKey]] = {}
    # By table and column, so the guards' text does not depend on the order models load in.
    for key in sorted(KEYS, key=lambda key: (key.table, key.column)):
        guarded.setdefault(key.target, []).append(key)
    return guarded


def not_postgresql(ddl, target, bind, dialect, **kw) -> bool:
    """``ddl_if``'s test: the DDL runs on every database but PostgreSQL."""
    return dialect.name != "postgresql"


def as_ddl(statement: str) -> DDL:
    """``statement`` as DDL, which formats its text with %: the functions' own format() and
    RAISE placeholders are doubled."""
    return DDL(statement.replace("%", "%%"))


def _create_guards(target, connection, **kw) -> None:
    if connection.dialect.name != "postgresql":
        return
    # A PL/pgSQL body names tables it reads only when it runs: a guard may name a table
    # create_all has not built yet.
    for referenced, keys in guarded_keys().items():
        if (
            connection.execute(text("SELECT to_regclass(:table)"), {"table": referenced}).scalar()
            is None
        ):
            continue  # not created yet: a table created after it (one naming it) builds it
        connection.execute(as_ddl(guard_function(referenced, keys)))
        for name, statement in guard_triggers(referenced).items():
            exists = connection.execute(
                text(
                    "SELECT 1 FROM pg_trigger WHERE tgname = :name AND tgrelid = to_regclass(:table)"
                ),
                {"name": name, "table": referenced},
            ).first()
            if not exists:
                connection.exec_driver_sql(statement)


def is_checked(constraint: ForeignKeyConstraint) -> bool:
    """Whether ``constraint`` is one of the foreign keys checked per statement on PostgreSQL."""
    if len(constraint.elements) != 1:
        return False
    column = next(iter(constraint.columns)).name
    return any(key.table == constraint.table.name and key.column == column for key in KEYS)
