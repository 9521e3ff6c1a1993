"""daily work

Spot checks, access alerts and their rules (helper: daily work). Written by hand; the rules
table starts empty (services/access_alerts.py falls back to its defaults until the admin
saves a rule).

Revision ID: d7e1c0de0004
Revises: c7e1c0de0003
Create Date: 2026-11-24 00:10:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "d7e1c0de0004"
down_revision = "c7e1c0de0003"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade():
    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=True),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        _user_fk("spot_checks", "drawn_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
        sa.UniqueConstraint("week_start", name=op.f("uq_spot_checks_week_start")),
    )
    op.create_table(
        "spot_check_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spot_check_id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('match','mismatch')",
            name=op.f("ck_spot_check_items_result"),
        ),
        _user_fk("spot_check_items", "checked_by_id"),
        sa.ForeignKeyConstraint(
            ["prospect_id"],
            ["prospects.id"],
            name=op.f("fk_spot_check_items_prospect_id_prospects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spot_check_id"],
            ["spot_checks.id"],
            name=op.f("fk_spot_check_items_spot_check_id_spot_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_items")),
        sa.UniqueConstraint(
            "spot_check_id",
            "prospect_id",
            name=op.f("uq_spot_check_items_spot_check_id_prospect_id"),
        ),
    )
    op.create_index(
        op.f("ix_spot_check_items_spot_check_id"), "spot_check_items", ["spot_check_id"]
    )
    op.create_index(op.f("ix_spot_check_items_prospect_id"), "spot_check_items", ["prospect_id"])
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("day_starts", sa.String(length=5), nullable=True),
        sa.Column("day_ends", sa.String(length=5), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "code IN ('records_per_hour','export_rows_per_day','off_hours')",
            name=op.f("ck_alert_rules_code"),
        ),
        sa.CheckConstraint(
            "threshold IS NULL OR threshold >= 1", name=op.f("ck_alert_rules_threshold")
        ),
        _user_fk("alert_rules", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("code", name=op.f("uq_alert_rules_code")),
    )
    op.create_table(
        "access_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=True),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=True),
        _user_fk("access_alerts", "acknowledged_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_alerts")),
        sa.UniqueConstraint(
            "rule_code",
            "user_id",
            "window_start",
            name=op.f("uq_access_alerts_rule_code_user_id_window_start"),
        ),
    )
    op.create_index(op.f("ix_access_alerts_user_id"), "access_alerts", ["user_id"])
    op.create_index(op.f("ix_access_alerts_raised_at"), "access_alerts", ["raised_at"])


def downgrade():
    op.drop_index(op.f("ix_access_alerts_raised_at"), table_name="access_alerts")
    op.drop_index(op.f("ix_access_alerts_user_id"), table_name="access_alerts")
    op.drop_table("access_alerts")
    op.drop_table("alert_rules")
    op.drop_index(op.f("ix_spot_check_items_prospect_id"), table_name="spot_check_items")
    op.drop_index(op.f("ix_spot_check_items_spot_check_id"), table_name="spot_check_items")
    op.drop_table("spot_check_items")
    op.drop_table("spot_checks")
