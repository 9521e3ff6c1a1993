"""complaints register

The register of customers' complaints and feedback (投诉处理, models/complaints.py): the
customer's record (prospect, owner or tenant), when and how it came in, its category, what the
customer said, the handler, the due date in working days, the answer and what was improved,
each step with who and when. Free text is stored encrypted (Text here: the application
encrypts it). CHECK constraints hold the fixed choices and that an answered complaint has its
answer and a closed one its improvement; indexes serve the open/overdue counts (status,
due_on), a customer's complaints (subject) and a handler's own open complaints. A new table:
no data to move.

Revision ID: m7e1c0de27d4
Revises: l7e1c0de26c3
Create Date: 2026-12-06 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "m7e1c0de27d4"
down_revision = "l7e1c0de26c3"
branch_labels = None
depends_on = None


def _user_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["users.id"],
        name=op.f(f"fk_complaints_{column}_users"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("improvement", sa.Text(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("registered_by_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "subject_type IN ('prospect','owner','tenant')",
            name=op.f("ck_complaints_subject_type"),
        ),
        sa.CheckConstraint(
            "channel IN ('in_person','phone','letter','online','other')",
            name=op.f("ck_complaints_channel"),
        ),
        sa.CheckConstraint(
            "category IN ('service','property','sales','privacy','other')",
            name=op.f("ck_complaints_category"),
        ),
        sa.CheckConstraint(
            "status IN ('open','answered','closed')", name=op.f("ck_complaints_status")
        ),
        sa.CheckConstraint(
            "status = 'open' OR (answer IS NOT NULL AND answered_at IS NOT NULL)",
            name=op.f("ck_complaints_answered_has_answer"),
        ),
        sa.CheckConstraint(
            "status <> 'closed' OR (improvement IS NOT NULL AND closed_at IS NOT NULL)",
            name=op.f("ck_complaints_closed_has_improvement"),
        ),
        _user_fk("handler_id"),
        _user_fk("answered_by_id"),
        _user_fk("closed_by_id"),
        _user_fk("registered_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_status_due_on"), ["status", "due_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_subject_type_subject_id"),
            ["subject_type", "subject_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_complaints_handler_id_status"), ["handler_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_handler_id_status"))
        batch_op.drop_index(batch_op.f("ix_complaints_subject_type_subject_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_status_due_on"))
    op.drop_table("complaints")
