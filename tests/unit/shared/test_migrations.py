"""The migrations build the whole schema from empty, match the models, and downgrade cleanly.

Runs on a database of its own: a fresh SQLite file, or a scratch PostgreSQL database next to
the one TEST_DATABASE_URL names.
"""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db
from models.admin.people import Role
from models.admin.reference import ReferenceList
from models.admin.reference_checks import include_object
from tests.keys import TEST_KEYS


@pytest.fixture
def scratch_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(base)
    name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_models_and_downgrades(scratch_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            # As `flask db migrate` compares (migrations/env.py): on PostgreSQL the reference
            # columns checked per statement have no foreign key.
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object(conn.dialect.name)}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert db.session.scalars(select(Role.code)).all()
        assert "source_channel" in db.session.scalars(select(ReferenceList.code)).all()
        db.session.remove()

        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()  # and up again, from the downgraded state
        assert "prospects" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_encryption_migration_seals_existing_values_and_builds_indexes(scratch_url):
    from sqlalchemy import Text, type_coerce

    from core.crypto import ID_NUMBER, PHONE
    from models.property.property import Owner
    from models.types import blind_match

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision="f7e1c0de0006")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO owners (name, mobile, landline, id_number, address, notes,"
                    " created_at, updated_at, version) VALUES ('旧业主', '13800001234',"
                    " '010-12345678', '11010519900307001X', '北京市东城区', '老客户',"
                    " '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)"
                )
            )
        upgrade()
        raw = db.session.execute(
            select(type_coerce(Owner.mobile, Text()), type_coerce(Owner.notes, Text()))
        ).one()
        assert all(value.startswith("t1:") for value in raw)
        owner = db.session.scalars(select(Owner)).one()
        assert (owner.mobile, owner.landline, owner.address, owner.notes) == (
            "13800001234",
            "010-12345678",
            "北京市东城区",
            "老客户",
        )
        assert db.session.scalar(
            select(Owner.id).where(blind_match(Owner.mobile_bidx, "138 0000 1234", PHONE))
        )
        assert db.session.scalar(
            select(Owner.id).where(
                blind_match(Owner.id_number_bidx, "11010519900307001x", ID_NUMBER)
            )
        )
        db.session.remove()

        # And back: the plaintext returns to the old columns.
        downgrade(revision="f7e1c0de0006")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT mobile, notes FROM owners")).one() == (
                "13800001234",
                "老客户",
            )
        db.engine.dispose()


def test_reception_consultants_are_filled_from_the_card(scratch_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision="i7e1c0de0009")
        stamp = {"at": "2026-11-20 02:00:00"}
        with db.engine.begin() as conn:
            for uid, code in ((1, "clerk"), (2, "clerk"), (3, "admin"), (4, "custodian")):
                conn.execute(
                    text(
                        "INSERT INTO users (id, username, full_name, password_hash, role_id,"
                        " active, created_at, updated_at) SELECT :id, :name, :name, 'x', id,"
                        " true, :at, :at FROM roles WHERE code = :code"
                    ),
                    {"id": uid, "name": f"u{uid}", "code": code, **stamp},
                )
            # card 1 names clerk 1; card 2 only records its creator, clerk 2; card 3 was
            # entered by the admin, card 4 names the custodian: neither receives customers.
            cards = ((1, 1, 3), (2, None, 2), (3, None, 3), (4, 4, 3))
            for pid, consultant, creator in cards:
                conn.execute(
                    text(
                        "INSERT INTO prospects (id, name, progress, is_scout, consultant_id,"
                        " created_by_id, created_at, updated_at, version) VALUES"
                        " (:id, '客户', 'follow_up', false, :c, :by, :at, :at, 1)"
                    ),
                    {"id": pid, "c": consultant, "by": creator, **stamp},
                )
            visits = ((10, 1, None), (11, 1, 2), (20, 2, None), (30, 3, None), (40, 4, None))
            for vid, pid, consultant in visits:
                conn.execute(
                    text(
                        "INSERT INTO prospect_visits (id, prospect_id, seq, visited_on,"
                        " consultant_id, summary, created_at, updated_at) VALUES"
                        " (:id, :p, :id, '2026-11-20', :c, 'x', :at, :at)"
                    ),
                    {"id": vid, "p": pid, "c": consultant, **stamp},
                )
        upgrade()
        with db.engine.connect() as conn:
            filled = dict(conn.execute(text("SELECT id, consultant_id FROM prospect_visits")).all())
        assert filled == {10: 1, 11: 2, 20: 2, 30: None, 40: None}
        assert "ix_prospect_visits_consultant_id_visited_on" in {
            index["name"] for index in inspect(db.engine).get_indexes("prospect_visits")
        }
        downgrade(revision="i7e1c0de0009")
        db.engine.dispose()


def test_weekly_figures_and_spot_checks_go_to_office_one_and_come_back(scratch_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision="s7e1c0de33da")
        stamp = {"at": "2026-11-20 02:00:00"}
        with db.engine.begin() as conn:
            for week in ("2026-11-14", "2026-11-21"):
                conn.execute(
                    text(
                        "INSERT INTO weekly_snapshots (week_ending, consultant_id, b_count,"
                        " c_count, taken_at) VALUES (:w, NULL, 3, 4, :at)"
                    ),
                    {"w": week, **stamp},
                )
            conn.execute(
                text(
                    "INSERT INTO spot_checks (id, week_start, drawn_at, sample_size, population)"
                    " VALUES (1, '2026-11-16', :at, 0, 0)"
                ),
                stamp,
            )
        upgrade(revision="t7e1c0de34eb")
        with db.engine.begin() as conn:
            offices = {
                table: set(conn.execute(text(f"SELECT office_id FROM {table}")).scalars())  # noqa: S608
                for table in ("weekly_snapshots", "spot_checks")
            }
            assert offices == {"weekly_snapshots": {1}, "spot_checks": {1}}
            # A second office counts and draws the same week: the keys are per office now.
            conn.execute(
                text(
                    "INSERT INTO offices (id, name, kind, active, created_at, updated_at)"
                    " VALUES (2, '城西办', 'sales', true, :at, :at)"
                ),
                stamp,
            )
            conn.execute(
                text(
                    "INSERT INTO weekly_snapshots (office_id, week_ending, consultant_id,"
                    " b_count, c_count, taken_at) VALUES (2, '2026-11-21', NULL, 1, 1, :at)"
                ),
                stamp,
            )
            conn.execute(
                text(
                    "INSERT INTO spot_checks (id, office_id, week_start, drawn_at, sample_size,"
                    " population) VALUES (2, 2, '2026-11-16', :at, 0, 0)"
                ),
                stamp,
            )
        # Back: one office's figures per week remain, the old keys hold again.
        downgrade(revision="s7e1c0de33da")
        with db.engine.connect() as conn:
            totals = conn.execute(
                text("SELECT week_ending, b_count FROM weekly_snapshots ORDER BY week_ending")
            ).all()
            assert [b for _, b in totals] == [3, 3]
            assert conn.execute(text("SELECT id FROM spot_checks")).scalars().all() == [1]
        db.engine.dispose()


def test_migrated_and_created_schemas_have_the_same_triggers(scratch_url):
    """Triggers and their functions are DDL of their own (the access log's, the reference
    checks'): the migrations and create_all (the tests' schema) must build the same ones."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade()
        migrated = _triggers(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        db.drop_all()
        if db.engine.dialect.name == "postgresql":  # functions outlive the tables
            with db.engine.begin() as conn:
                functions = conn.scalars(
                    text(
                        "SELECT oid::regprocedure::text FROM pg_proc "
                        "WHERE pronamespace = current_schema()::regnamespace"
                    )
                ).all()
                conn.execute(text(f"DROP FUNCTION {', '.join(functions)}"))
        db.create_all()
        assert _triggers(db.engine) == migrated
        assert migrated  # the access log's triggers at least
        db.session.remove()
        db.engine.dispose()


def _triggers(engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return set(conn.scalars(text("SELECT sql FROM sqlite_master WHERE type = 'trigger'")))
        triggers = conn.scalars(
            text("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal")
        )
        functions = conn.scalars(
            text(
                "SELECT pg_get_functiondef(p.oid) FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
            )
        )
        return set(triggers) | set(functions)
