"""reference-list columns checked once a statement on PostgreSQL

A welcome card's fourteen reference-list columns and its visits' channel lose their foreign
keys on PostgreSQL: statement-level triggers check them instead, with one look-up a
statement (transition tables), locking the items FOR KEY SHARE as a foreign key's check
does; reference_items refuses to delete or renumber an item they hold, as ON DELETE RESTRICT
did. An import of 90,000 full cards made 1,450,000 per-row checks (docs/import.md, twelfth
pass; models/admin/reference_checks.py). SQLite keeps its foreign keys.

Revision ID: h8e1c0de48ad
Revises: g8e1c0de47fc
Create Date: 2026-12-10 23:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "h8e1c0de48ad"
down_revision = "g8e1c0de47fc"
branch_labels = None
depends_on = None

#: The checked columns, as the models named them at this revision.
CHECKED = {
    "prospects": (
        "source_id",
        "project_id",
        "purpose_id",
        "timeframe_id",
        "unit_nature_id",
        "age_band_id",
        "housing_id",
        "awareness_id",
        "area_band_id",
        "price_band_id",
        "income_band_id",
        "customer_type_id",
        "need_id",
        "district_id",
    ),
    "prospect_visits": ("channel_id",),
}

#: The statements create_all runs at this revision (models/admin/reference_checks.py).
CREATE = (
    (
        "CREATE OR REPLACE FUNCTION reference_items_exist() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE\n"
        "    item_columns text := (SELECT string_agg(format('(%I)', c), ', ') FROM unnest(TG_ARGV) AS c);\n"
        "    wanted integer[];\n"
        "    found integer;\n"
        "BEGIN\n"
        "    IF TG_OP = 'INSERT' THEN\n"
        "        EXECUTE format('SELECT array_agg(DISTINCT v) FROM new_rows, '\n"
        "                       'LATERAL (VALUES %s) AS c(v) WHERE v IS NOT NULL', item_columns)\n"
        "            INTO wanted;\n"
        "    ELSE\n"
        "        -- A value some row held before the statement names an item that existed and that\n"
        "        -- reference_items_held keeps while that row is committed: only new values are looked up.\n"
        "        EXECUTE format('SELECT array_agg(v) FROM ('\n"
        "                       'SELECT v FROM new_rows, LATERAL (VALUES %1$s) AS c(v) WHERE v IS NOT NULL '\n"
        "                       'EXCEPT SELECT v FROM old_rows, LATERAL (VALUES %1$s) AS c(v)) AS added',\n"
        "                       item_columns)\n"
        "            INTO wanted;\n"
        "    END IF;\n"
        "    IF wanted IS NULL THEN\n"
        "        RETURN NULL;\n"
        "    END IF;\n"
        "    SELECT count(*) INTO found\n"
        "        FROM (SELECT 1 FROM reference_items WHERE id = ANY (wanted) FOR KEY SHARE) AS held;\n"
        "    IF found < cardinality(wanted) THEN\n"
        "        RAISE EXCEPTION 'insert or update on table \"%\" names a reference item that does not exist',\n"
        "            TG_TABLE_NAME USING ERRCODE = 'foreign_key_violation', DETAIL = format(\n"
        "                'Key (id)=(%s) is not present in table \"reference_items\".', (\n"
        "                    SELECT string_agg(w::text, ', ') FROM unnest(wanted) AS w\n"
        "                    WHERE NOT EXISTS (SELECT 1 FROM reference_items WHERE id = w)));\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END $$"
    ),
    (
        "CREATE TRIGGER prospects_reference_items_inserted AFTER INSERT ON prospects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reference_items_exist('source_id', 'project_id', 'purpose_id', 'timeframe_id', 'unit_nature_id', 'age_band_id', 'housing_id', 'awareness_id', 'area_band_id', 'price_band_id', 'income_band_id', 'customer_type_id', 'need_id', 'district_id')"
    ),
    (
        "CREATE TRIGGER prospects_reference_items_updated AFTER UPDATE ON prospects REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reference_items_exist('source_id', 'project_id', 'purpose_id', 'timeframe_id', 'unit_nature_id', 'age_band_id', 'housing_id', 'awareness_id', 'area_band_id', 'price_band_id', 'income_band_id', 'customer_type_id', 'need_id', 'district_id')"
    ),
    (
        "CREATE TRIGGER prospect_visits_reference_items_inserted AFTER INSERT ON prospect_visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reference_items_exist('channel_id')"
    ),
    (
        "CREATE TRIGGER prospect_visits_reference_items_updated AFTER UPDATE ON prospect_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reference_items_exist('channel_id')"
    ),
    (
        "CREATE OR REPLACE FUNCTION reference_items_held() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN\n"
        "        RETURN NEW;\n"
        "    END IF;\n"
        "    -- The look-up below sees what was committed when it starts only under READ COMMITTED; a\n"
        "    -- REPEATABLE READ snapshot would miss a card committed since (a foreign key's own check\n"
        "    -- reads past its snapshot, a function cannot).\n"
        "    IF current_setting('transaction_isolation') <> 'read committed' THEN\n"
        "        RAISE EXCEPTION 'a reference item is deleted or renumbered only under READ COMMITTED'\n"
        "            USING ERRCODE = 'object_not_in_prerequisite_state';\n"
        "    END IF;\n"
        "    IF EXISTS (SELECT 1 FROM prospect_visits WHERE OLD.id IN (channel_id))\n"
        "        OR EXISTS (SELECT 1 FROM prospects WHERE OLD.id IN (source_id, project_id, purpose_id, timeframe_id, unit_nature_id, age_band_id, housing_id, awareness_id, area_band_id, price_band_id, income_band_id, customer_type_id, need_id, district_id)) THEN\n"
        "        RAISE EXCEPTION 'reference item % is still referenced', OLD.id\n"
        "            USING ERRCODE = 'foreign_key_violation',\n"
        "                  DETAIL = 'A card or a visit names it; retire it instead.';\n"
        "    END IF;\n"
        "    IF TG_OP = 'DELETE' THEN\n"
        "        RETURN OLD;\n"
        "    END IF;\n"
        "    RETURN NEW;\n"
        "END $$"
    ),
    (
        "CREATE TRIGGER reference_items_held BEFORE DELETE OR UPDATE OF id ON reference_items FOR EACH ROW EXECUTE FUNCTION reference_items_held()"
    ),
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in CHECKED.items():
        for column in columns:
            op.drop_constraint(f"fk_{table}_{column}_reference_items", table, type_="foreignkey")
    for statement in CREATE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER reference_items_held ON reference_items")
    for table, columns in CHECKED.items():
        op.execute(f"DROP TRIGGER {table}_reference_items_inserted ON {table}")
        op.execute(f"DROP TRIGGER {table}_reference_items_updated ON {table}")
        for column in columns:
            op.create_foreign_key(
                f"fk_{table}_{column}_reference_items",
                table,
                "reference_items",
                [column],
                ["id"],
                ondelete="RESTRICT",
            )
    op.execute("DROP FUNCTION reference_items_held()")
    op.execute("DROP FUNCTION reference_items_exist()")
