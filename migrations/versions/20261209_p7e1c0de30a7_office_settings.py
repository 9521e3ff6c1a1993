"""office settings

Two numbers that were instance configuration become the admin's settings
(models/admin/office_settings.py, services/admin/office_settings.py): the table
``office_settings``, one row per setting, filled with today's defaults (a frozen copy: later
changes of the code's defaults do not rewrite history):

- archive_recheck_days: a paper file is due for its recheck 180 days after its last one
  (the old ARCHIVE_RECHECK_DAYS default, twice a year);
- complaint_answer_workdays: a complaint is answered within 5 working days (the old
  COMPLAINT_ANSWER_WORKDAYS default).

An instance that had set either in its config keeps the migrated default here and sets its
own value again on the page (the config value now only applies while no row exists).

Downgrade: the table goes (the settings with it: the config values apply again).

Revision ID: p7e1c0de30a7
Revises: o7e1c0de29f6
Create Date: 2026-12-09 07:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "p7e1c0de30a7"
down_revision = "o7e1c0de29f6"
branch_labels = None
depends_on = None

DEFAULT_VALUES = {
    "archive_recheck_days": 180,
    "complaint_answer_workdays": 5,
}


def upgrade() -> None:
    settings = op.create_table(
        "office_settings",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("value > 0", name=op.f("ck_office_settings_value")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_office_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_office_settings")),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        settings,
        [
            {"key": key, "value": value, "version": 1, "updated_at": now}
            for key, value in DEFAULT_VALUES.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("office_settings")
