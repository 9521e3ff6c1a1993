"""office figures

The weekly B/C snapshot and the weekly spot-check draw belong to one office (issue 18): an
``office_id`` on ``weekly_snapshots`` and ``spot_checks``. A snapshot is one per office, week
and consultant (and one total row per office and week); a draw is one per office and week.
Existing rows were taken for the whole group, which was one office: they go to office 1.

Downgrade: the column goes; where several offices counted or drew the same week, the rows
of the smallest office id are kept (the old keys allow one per week), the others go.

Revision ID: t7e1c0de34eb
Revises: s7e1c0de33da
Create Date: 2026-12-10 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "t7e1c0de34eb"
down_revision = "s7e1c0de33da"
branch_labels = None
depends_on = None

TOTAL_WHERE = "consultant_id IS NULL"


def _add_office_column(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
    # The group's figures so far were those of its only office, created as id 1.
    op.execute(f"UPDATE {table} SET office_id = 1")  # noqa: S608 - a fixed table name


def upgrade():
    # The partial index is dropped and made again outside the batch: SQLite's table copy
    # does not carry an index's WHERE clause over.
    op.drop_index("uq_weekly_snapshots_week_ending_total", table_name="weekly_snapshots")
    _add_office_column("weekly_snapshots")
    with op.batch_alter_table("weekly_snapshots", schema=None) as batch_op:
        batch_op.alter_column("office_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(
            batch_op.f("uq_weekly_snapshots_week_ending_consultant_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_weekly_snapshots_office_id_week_ending_consultant_id"),
            ["office_id", "week_ending", "consultant_id"],
        )
        batch_op.create_index(batch_op.f("ix_weekly_snapshots_office_id"), ["office_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_weekly_snapshots_office_id_offices"),
            "offices",
            ["office_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_index(
        "uq_weekly_snapshots_office_id_week_ending_total",
        "weekly_snapshots",
        ["office_id", "week_ending"],
        unique=True,
        postgresql_where=sa.text(TOTAL_WHERE),
        sqlite_where=sa.text(TOTAL_WHERE),
    )

    _add_office_column("spot_checks")
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.alter_column("office_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_spot_checks_week_start"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_spot_checks_office_id_week_start"), ["office_id", "week_start"]
        )
        batch_op.create_index(batch_op.f("ix_spot_checks_office_id"), ["office_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_spot_checks_office_id_offices"),
            "offices",
            ["office_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    # One office's figures per week survive: the old keys hold one snapshot and one draw.
    op.execute(
        "DELETE FROM weekly_snapshots WHERE office_id <> (SELECT MIN(w.office_id) "
        "FROM weekly_snapshots w WHERE w.week_ending = weekly_snapshots.week_ending)"
    )
    extra_checks = (
        "SELECT id FROM spot_checks WHERE office_id <> (SELECT MIN(c.office_id) "
        "FROM spot_checks c WHERE c.week_start = spot_checks.week_start)"
    )
    # Items first: SQLite may run without its foreign keys enforced (no cascade).
    op.execute(f"DELETE FROM spot_check_items WHERE spot_check_id IN ({extra_checks})")  # noqa: S608
    op.execute(f"DELETE FROM spot_checks WHERE id IN ({extra_checks})")  # noqa: S608

    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_spot_checks_office_id_offices"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_spot_checks_office_id"))
        batch_op.drop_constraint(batch_op.f("uq_spot_checks_office_id_week_start"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_spot_checks_week_start"), ["week_start"])
        batch_op.drop_column("office_id")

    op.drop_index("uq_weekly_snapshots_office_id_week_ending_total", table_name="weekly_snapshots")
    with op.batch_alter_table("weekly_snapshots", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_weekly_snapshots_office_id_offices"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_weekly_snapshots_office_id"))
        batch_op.drop_constraint(
            batch_op.f("uq_weekly_snapshots_office_id_week_ending_consultant_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_weekly_snapshots_week_ending_consultant_id"),
            ["week_ending", "consultant_id"],
        )
        batch_op.drop_column("office_id")
    op.create_index(
        "uq_weekly_snapshots_week_ending_total",
        "weekly_snapshots",
        ["week_ending"],
        unique=True,
        postgresql_where=sa.text(TOTAL_WHERE),
        sqlite_where=sa.text(TOTAL_WHERE),
    )
