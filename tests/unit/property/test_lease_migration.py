"""The lease intake migration (k7e1c0de25b2): an active lease whose intake was never ticked
complete becomes "being registered"; one with every tick stays active; and back down.

Runs on a database of its own: a fresh SQLite file, or a scratch PostgreSQL database next to
the one TEST_DATABASE_URL names (the ``scratch_url`` fixture of test_migrations.py).
"""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from extensions import db
from tests.keys import TEST_KEYS
from tests.unit.shared.test_migrations import scratch_url  # noqa: F401 - the fixture

AT = "2026-11-20 02:00:00"


def _insert(conn, lease_id: int, unit_id: int, status: str, ticked: bool) -> None:
    conn.execute(
        text(
            "INSERT INTO leases (id, unit_id, tenant_id, starts_on, management_payer,"
            " water_payer, electricity_payer, gas_payer, status, created_at, updated_at,"
            " version, contract_seen, contract_copy_kept, move_in_form_done, fees_paid) VALUES (:id, :unit, 1, '2025-01-01', 'tenant',"
            " 'tenant', 'tenant', 'tenant', :status, :at, :at, 1,"
            " :t, :t, :t, :t)"
        ),
        {"id": lease_id, "unit": unit_id, "status": status, "t": ticked, "at": AT},
    )


def test_unticked_active_leases_become_being_registered(scratch_url):  # noqa: F811
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "migrations", **TEST_KEYS}
    )
    with app.app_context():
        upgrade(revision="j7e1c0de24a1")
        with db.engine.begin() as conn:
            project = conn.execute(text("SELECT id FROM reference_items LIMIT 1")).scalar()
            for unit_id in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO units (id, project_id, building, room, created_at,"
                        " updated_at, version) VALUES (:id, :p, '3栋', :room, :at, :at, 1)"
                    ),
                    {"id": unit_id, "p": project, "room": f"2-150{unit_id}", "at": AT},
                )
            conn.execute(
                text(
                    "INSERT INTO tenants (id, name, created_at, updated_at, version)"
                    " VALUES (1, '马租户', :at, :at, 1)"
                ),
                {"at": AT},
            )
            _insert(conn, 1, 1, "active", ticked=False)  # nothing ticked
            _insert(conn, 2, 2, "active", ticked=True)  # every tick: the tenant lives there
            _insert(conn, 3, 3, "ended", ticked=False)  # history stays history
        upgrade()
        with db.engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT id, status FROM leases")).all())
        assert statuses == {1: "registering", 2: "active", 3: "ended"}
        columns = {c["name"] for c in inspect(db.engine).get_columns("leases")}
        assert {"both_parties_came_on", "original_seen_by_id"} <= columns
        # The check constraint allows the new status and nothing made up.
        with db.engine.connect() as conn:
            try:
                conn.execute(text("UPDATE leases SET status = 'pending' WHERE id = 1"))
            except Exception:  # noqa: BLE001 - IntegrityError on both databases
                conn.rollback()
            else:
                raise AssertionError("an unknown status was accepted")

        downgrade(revision="j7e1c0de24a1")
        with db.engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT id, status FROM leases")).all())
        assert statuses == {1: "active", 2: "active", 3: "ended"}
        columns = {c["name"] for c in inspect(db.engine).get_columns("leases")}
        assert "both_parties_came_on" not in columns
        db.session.remove()
        db.engine.dispose()
