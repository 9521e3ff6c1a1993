"""mobile by office index

The cards' mobile index holds the office too: a new card's collision check asks for both,
and SQLite without statistics chose the office's index, reading 500,000 rows (200 ms a new
card at 1,000,000 cards; docs/load.md).

Revision ID: c8e1c0de43b8
Revises: b8e1c0de42a7
Create Date: 2026-12-10 20:20:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c8e1c0de43b8"
down_revision = "b8e1c0de42a7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_prospects_mobile_bidx_office_id",
        "prospects",
        ["mobile_bidx", "office_id"],
        unique=False,
    )
    op.drop_index("ix_prospects_mobile_bidx", table_name="prospects")


def downgrade():
    op.create_index("ix_prospects_mobile_bidx", "prospects", ["mobile_bidx"], unique=False)
    op.drop_index("ix_prospects_mobile_bidx_office_id", table_name="prospects")
