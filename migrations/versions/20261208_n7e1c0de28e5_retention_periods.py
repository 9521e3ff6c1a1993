"""retention periods

Every kind of record gets a retention period the admin sets (models/retention.py,
services/retention_periods.py): the table ``retention_periods``, one row per kind, filled
with the policy's defaults (a frozen copy: later changes of the code's defaults do not
rewrite history):

- welcome cards never signed: 3 years after the last contact (the old RETENTION_DAYS);
- past owners: 3 years after their last ownership ended;
- ended tenancies: 3 years after their last lease ended;
- dealers never signed: 2 years after the last visit;
- receptions' observation notes: 2 years after the reception;
- the access log: 3 years after the event.

``retention_batches.record_type`` is held to these kinds by a CHECK constraint (existing
batches are all of welcome cards, "prospect").

Downgrade: the table goes (the periods with it: the code's defaults apply again) and so does
the constraint; batches of the new kinds would break nothing, the column stays a string.

Revision ID: n7e1c0de28e5
Revises: m7e1c0de27d4
Create Date: 2026-12-06 07:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "n7e1c0de28e5"
down_revision = "m7e1c0de27d4"
branch_labels = None
depends_on = None

DEFAULT_DAYS = {
    "prospect": 3 * 365,
    "owner": 3 * 365,
    "tenant": 3 * 365,
    "dealer": 2 * 365,
    "visit": 2 * 365,
    "access_log": 3 * 365,
}
KINDS_SQL = ",".join(f"'{kind}'" for kind in DEFAULT_DAYS)


def upgrade() -> None:
    periods = op.create_table(
        "retention_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("days > 0", name=op.f("ck_retention_periods_days")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_retention_periods_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_periods")),
        sa.UniqueConstraint("kind", name=op.f("uq_retention_periods_kind")),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        periods,
        [{"kind": kind, "days": days, "updated_at": now} for kind, days in DEFAULT_DAYS.items()],
    )
    with op.batch_alter_table("retention_batches", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_retention_batches_record_type"), f"record_type IN ({KINDS_SQL})"
        )


def downgrade() -> None:
    with op.batch_alter_table("retention_batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_retention_batches_record_type"), type_="check")
    op.drop_table("retention_periods")
