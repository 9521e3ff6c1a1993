"""the office, consultant, creator and card of every card and visit checked once a statement on PostgreSQL

A welcome card's office, consultant and creator, and a visit's card, office, consultant and
creator lose their foreign keys on PostgreSQL: statement-level triggers check them instead,
with one look-up a statement (transition tables), locking the rows FOR KEY SHARE as a foreign
key's check does; the referenced tables' guards do what ON DELETE did (RESTRICT, SET NULL,
CASCADE), refuse to renumber a row these name, and refuse a TRUNCATE that leaves rows naming
the table. An import of 100,000 full cards made 1,030,000 per-row checks (docs/import.md,
fourteenth pass; models/shared/key_checks.py). The reference-list checks' functions keep their
search_path too, as the new ones do. SQLite keeps its foreign keys.

Revision ID: i8e1c0de49be
Revises: h8e1c0de48ad
Create Date: 2026-12-10 23:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "i8e1c0de49be"
down_revision = "h8e1c0de48ad"
branch_labels = None
depends_on = None

#: The keys checked, as the models named them at this revision: table, column, the table
#: it names, its ON DELETE action.
KEYS = (
    ("prospects", "office_id", "offices", "RESTRICT"),
    ("prospects", "consultant_id", "users", "SET NULL"),
    ("prospects", "created_by_id", "users", "SET NULL"),
    ("prospect_visits", "prospect_id", "prospects", "CASCADE"),
    ("prospect_visits", "office_id", "offices", "RESTRICT"),
    ("prospect_visits", "consultant_id", "users", "SET NULL"),
    ("prospect_visits", "created_by_id", "users", "SET NULL"),
)

#: The statements create_all runs at this revision (models/shared/key_checks.py,
#: models/admin/reference_checks.py).
CREATE = (
    """\
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
END $$""",
    "CREATE TRIGGER prospects_offices_keys_inserted AFTER INSERT ON prospects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER prospects_offices_keys_updated AFTER UPDATE ON prospects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER prospects_users_keys_inserted AFTER INSERT ON prospects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'consultant_id', 'created_by_id')",
    "CREATE TRIGGER prospects_users_keys_updated AFTER UPDATE ON prospects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'consultant_id', 'created_by_id')",
    "CREATE TRIGGER prospect_visits_prospects_keys_inserted AFTER INSERT ON prospect_visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('prospects', 'prospect_id')",
    "CREATE TRIGGER prospect_visits_prospects_keys_updated AFTER UPDATE ON prospect_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('prospects', 'prospect_id')",
    "CREATE TRIGGER prospect_visits_offices_keys_inserted AFTER INSERT ON prospect_visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER prospect_visits_offices_keys_updated AFTER UPDATE ON prospect_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER prospect_visits_users_keys_inserted AFTER INSERT ON prospect_visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'consultant_id', 'created_by_id')",
    "CREATE TRIGGER prospect_visits_users_keys_updated AFTER UPDATE ON prospect_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'consultant_id', 'created_by_id')",
    """\
CREATE OR REPLACE FUNCTION offices_keys_held() RETURNS trigger LANGUAGE plpgsql
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
        IF EXISTS (SELECT 1 FROM prospects WHERE office_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the cards and visits that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM prospects WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM prospects WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id = OLD.id) THEN
        RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$""",
    "CREATE TRIGGER offices_keys_held BEFORE DELETE OR UPDATE OF id ON offices FOR EACH ROW EXECUTE FUNCTION offices_keys_held()",
    "CREATE TRIGGER offices_keys_truncated AFTER TRUNCATE ON offices FOR EACH STATEMENT EXECUTE FUNCTION offices_keys_held()",
    """\
CREATE OR REPLACE FUNCTION users_keys_held() RETURNS trigger LANGUAGE plpgsql
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
        IF EXISTS (SELECT 1 FROM prospects WHERE consultant_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospects WHERE created_by_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE consultant_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE created_by_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the cards and visits that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM prospects WHERE consultant_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospects WHERE created_by_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE consultant_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE created_by_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    UPDATE prospects SET consultant_id = NULL WHERE consultant_id = OLD.id;
    UPDATE prospects SET created_by_id = NULL WHERE created_by_id = OLD.id;
    UPDATE prospect_visits SET consultant_id = NULL WHERE consultant_id = OLD.id;
    UPDATE prospect_visits SET created_by_id = NULL WHERE created_by_id = OLD.id;
    RETURN OLD;
END $$""",
    "CREATE TRIGGER users_keys_held BEFORE DELETE OR UPDATE OF id ON users FOR EACH ROW EXECUTE FUNCTION users_keys_held()",
    "CREATE TRIGGER users_keys_truncated AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION users_keys_held()",
    """\
CREATE OR REPLACE FUNCTION prospects_keys_held() RETURNS trigger LANGUAGE plpgsql
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
        IF EXISTS (SELECT 1 FROM prospect_visits WHERE prospect_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the cards and visits that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM prospect_visits WHERE prospect_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    DELETE FROM prospect_visits WHERE prospect_id = OLD.id;
    RETURN OLD;
END $$""",
    "CREATE TRIGGER prospects_keys_held BEFORE DELETE OR UPDATE OF id ON prospects FOR EACH ROW EXECUTE FUNCTION prospects_keys_held()",
    "CREATE TRIGGER prospects_keys_truncated AFTER TRUNCATE ON prospects FOR EACH STATEMENT EXECUTE FUNCTION prospects_keys_held()",
    "ALTER FUNCTION reference_items_exist() SET search_path FROM CURRENT",
    "ALTER FUNCTION reference_items_held() SET search_path FROM CURRENT",
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, target, _ondelete in KEYS:
        op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
    for statement in CREATE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER FUNCTION reference_items_exist() RESET search_path")
    op.execute("ALTER FUNCTION reference_items_held() RESET search_path")
    targets = dict.fromkeys(target for _table, _column, target, _ondelete in KEYS)
    for target in targets:
        op.execute(f"DROP TRIGGER {target}_keys_held ON {target}")
        op.execute(f"DROP TRIGGER {target}_keys_truncated ON {target}")
    for table, target in dict.fromkeys((table, target) for table, _c, target, _o in KEYS):
        op.execute(f"DROP TRIGGER {table}_{target}_keys_inserted ON {table}")
        op.execute(f"DROP TRIGGER {table}_{target}_keys_updated ON {table}")
    for table, column, target, ondelete in KEYS:
        op.create_foreign_key(
            f"fk_{table}_{column}_{target}", table, target, [column], ["id"], ondelete=ondelete
        )
    for target in targets:
        op.execute(f"DROP FUNCTION {target}_keys_held()")
    op.execute("DROP FUNCTION referenced_rows_exist()")
