"""subject request links

A customer's correction request is carried out by an edit of their record, which for a clerk
becomes a change request a supervisor decides. ``change_requests.subject_request_id`` links
such a change request to the customer's request it carries out, so approving the change
answers the request in the same transaction, and the request's page shows each attempt (a
rejection with the approver's comment). Nullable, no data to move: existing change requests
were filed before requests could be linked.

Downgrade drops the column (its index and foreign key with it).

Revision ID: o7e1c0de29f6
Revises: n7e1c0de28e5
Create Date: 2026-12-06 07:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "o7e1c0de29f6"
down_revision = "n7e1c0de28e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_request_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_change_requests_subject_request_id"), ["subject_request_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_change_requests_subject_request_id_subject_requests"),
            "subject_requests",
            ["subject_request_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("change_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_change_requests_subject_request_id_subject_requests"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_change_requests_subject_request_id"))
        batch_op.drop_column("subject_request_id")
