"""entered-by indexes

Indexes on the cards and receptions by (creator, creation time): the home page counts what a
person entered today over every audited table, and on the two big ones that count read the
day's rows of the whole group to keep one person's (20 ms each at 1,000,000 cards on
PostgreSQL; docs/load.md).

Revision ID: b8e1c0de42a7
Revises: a8e1c0de41f6
Create Date: 2026-12-10 19:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e1c0de42a7"
down_revision = "a8e1c0de41f6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_prospects_created_by_id_created_at",
        "prospects",
        ["created_by_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_prospect_visits_created_by_id_created_at",
        "prospect_visits",
        ["created_by_id", "created_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_prospect_visits_created_by_id_created_at", table_name="prospect_visits")
    op.drop_index("ix_prospects_created_by_id_created_at", table_name="prospects")
