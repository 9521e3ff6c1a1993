"""name tokens by record

An index on the name-search tokens by (kind, record id): saving a card's name replaces its
tokens, and without it the DELETE scanned every token of the kind (0.5 s for each new card at
1,000,000 cards on PostgreSQL, measured under `make load`; docs/load.md).

Revision ID: a8e1c0de41f6
Revises: z7e1c0de40e5
Create Date: 2026-12-10 18:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a8e1c0de41f6"
down_revision = "z7e1c0de40e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_name_search_tokens_record", "name_search_tokens", ["kind", "record_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_name_search_tokens_record", table_name="name_search_tokens")
