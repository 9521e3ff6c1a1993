"""a lease's and a tenant's keys checked once a statement on PostgreSQL

A lease's unit, tenant, office, creator and contract witness, and a tenant's office and
creator, lose their foreign keys on PostgreSQL as the cards' and visits' did in i8e1c0de49be:
statement-level triggers check them (one look-up a statement, FOR KEY SHARE); units and
tenants get guards (RESTRICT, no renumbering, TRUNCATE), and the guards of users, offices and
cards are replaced (the new keys; a TRUNCATE hint that names no table). A lease list writes
100,000 leases and 75,000 tenants at a time (docs/import.md, fourteenth pass;
models/shared/key_checks.py). SQLite keeps its foreign keys.

Revision ID: j8e1c0de50cf
Revises: i8e1c0de49be
Create Date: 2026-12-10 23:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "j8e1c0de50cf"
down_revision = "i8e1c0de49be"
branch_labels = None
depends_on = None

#: The keys checked from this revision on: table, column, the table it names, its ON DELETE
#: action.
KEYS = (
    ("leases", "unit_id", "units", "RESTRICT"),
    ("leases", "tenant_id", "tenants", "RESTRICT"),
    ("leases", "office_id", "offices", "RESTRICT"),
    ("leases", "created_by_id", "users", "SET NULL"),
    ("leases", "original_seen_by_id", "users", "SET NULL"),
    ("tenants", "office_id", "offices", "RESTRICT"),
    ("tenants", "created_by_id", "users", "SET NULL"),
)
#: Tables guarded from this revision on.
GUARDED = ("tenants", "units")

#: The statements create_all runs for these keys at this revision (models/shared/key_checks.py).
CREATE = (
    "CREATE TRIGGER leases_units_keys_inserted AFTER INSERT ON leases REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('units', 'unit_id')",
    "CREATE TRIGGER leases_units_keys_updated AFTER UPDATE ON leases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('units', 'unit_id')",
    "CREATE TRIGGER leases_tenants_keys_inserted AFTER INSERT ON leases REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('tenants', 'tenant_id')",
    "CREATE TRIGGER leases_tenants_keys_updated AFTER UPDATE ON leases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('tenants', 'tenant_id')",
    "CREATE TRIGGER leases_offices_keys_inserted AFTER INSERT ON leases REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER leases_offices_keys_updated AFTER UPDATE ON leases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER leases_users_keys_inserted AFTER INSERT ON leases REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'created_by_id', 'original_seen_by_id')",
    "CREATE TRIGGER leases_users_keys_updated AFTER UPDATE ON leases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'created_by_id', 'original_seen_by_id')",
    "CREATE TRIGGER tenants_offices_keys_inserted AFTER INSERT ON tenants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER tenants_offices_keys_updated AFTER UPDATE ON tenants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('offices', 'office_id')",
    "CREATE TRIGGER tenants_users_keys_inserted AFTER INSERT ON tenants REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'created_by_id')",
    "CREATE TRIGGER tenants_users_keys_updated AFTER UPDATE ON tenants REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION referenced_rows_exist('users', 'created_by_id')",
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
        IF EXISTS (SELECT 1 FROM leases WHERE created_by_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM leases WHERE original_seen_by_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE consultant_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE created_by_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospects WHERE consultant_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospects WHERE created_by_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM tenants WHERE created_by_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the tables that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM leases WHERE created_by_id = OLD.id)
        OR EXISTS (SELECT 1 FROM leases WHERE original_seen_by_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE consultant_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE created_by_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospects WHERE consultant_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospects WHERE created_by_id = OLD.id)
        OR EXISTS (SELECT 1 FROM tenants WHERE created_by_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    UPDATE leases SET created_by_id = NULL WHERE created_by_id = OLD.id;
    UPDATE leases SET original_seen_by_id = NULL WHERE original_seen_by_id = OLD.id;
    UPDATE prospect_visits SET consultant_id = NULL WHERE consultant_id = OLD.id;
    UPDATE prospect_visits SET created_by_id = NULL WHERE created_by_id = OLD.id;
    UPDATE prospects SET consultant_id = NULL WHERE consultant_id = OLD.id;
    UPDATE prospects SET created_by_id = NULL WHERE created_by_id = OLD.id;
    UPDATE tenants SET created_by_id = NULL WHERE created_by_id = OLD.id;
    RETURN OLD;
END $$""",
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
        IF EXISTS (SELECT 1 FROM leases WHERE office_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM prospects WHERE office_id IS NOT NULL)
        OR EXISTS (SELECT 1 FROM tenants WHERE office_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the tables that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM leases WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospects WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM tenants WHERE office_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM leases WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospect_visits WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM prospects WHERE office_id = OLD.id)
        OR EXISTS (SELECT 1 FROM tenants WHERE office_id = OLD.id) THEN
        RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$""",
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
                      HINT = 'Truncate the tables that name it in the same statement.';
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
    """\
CREATE OR REPLACE FUNCTION tenants_keys_held() RETURNS trigger LANGUAGE plpgsql
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
        IF EXISTS (SELECT 1 FROM leases WHERE tenant_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the tables that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM leases WHERE tenant_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM leases WHERE tenant_id = OLD.id) THEN
        RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$""",
    """\
CREATE OR REPLACE FUNCTION units_keys_held() RETURNS trigger LANGUAGE plpgsql
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
        IF EXISTS (SELECT 1 FROM leases WHERE unit_id IS NOT NULL) THEN
            RAISE EXCEPTION 'table "%" is still referenced', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'Truncate the tables that name it in the same statement.';
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM leases WHERE unit_id = OLD.id) THEN
            RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM leases WHERE unit_id = OLD.id) THEN
        RAISE EXCEPTION 'row % of "%" is still referenced', OLD.id, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$""",
    "CREATE TRIGGER tenants_keys_held BEFORE DELETE OR UPDATE OF id ON tenants FOR EACH ROW EXECUTE FUNCTION tenants_keys_held()",
    "CREATE TRIGGER tenants_keys_truncated AFTER TRUNCATE ON tenants FOR EACH STATEMENT EXECUTE FUNCTION tenants_keys_held()",
    "CREATE TRIGGER units_keys_held BEFORE DELETE OR UPDATE OF id ON units FOR EACH ROW EXECUTE FUNCTION units_keys_held()",
    "CREATE TRIGGER units_keys_truncated AFTER TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION units_keys_held()",
)

#: The guards of i8e1c0de49be that this revision replaced, as they were.
RESTORE = (
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
    for target in GUARDED:
        op.execute(f"DROP TRIGGER {target}_keys_held ON {target}")
        op.execute(f"DROP TRIGGER {target}_keys_truncated ON {target}")
        op.execute(f"DROP FUNCTION {target}_keys_held()")
    for table, target in dict.fromkeys((table, target) for table, _c, target, _o in KEYS):
        op.execute(f"DROP TRIGGER {table}_{target}_keys_inserted ON {table}")
        op.execute(f"DROP TRIGGER {table}_{target}_keys_updated ON {table}")
    for statement in RESTORE:
        op.execute(statement)
    for table, column, target, ondelete in KEYS:
        op.create_foreign_key(
            f"fk_{table}_{column}_{target}", table, target, [column], ["id"], ondelete=ondelete
        )
