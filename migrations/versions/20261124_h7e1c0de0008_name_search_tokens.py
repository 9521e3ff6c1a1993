"""name search tokens

The index behind search by part of a name, pinyin or initials (services/name_search.py),
filled for the people already stored.

Revision ID: h7e1c0de0008
Revises: g7e1c0de0007
Create Date: 2026-11-24 05:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h7e1c0de0008"
down_revision = "g7e1c0de0007"
branch_labels = None
depends_on = None

PEOPLE = {"prospect": "prospects", "owner": "owners", "tenant": "tenants"}


def upgrade():
    op.create_table(
        "name_search_tokens",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "token",
            sa.String(length=40).with_variant(sa.String(length=40, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "token", "record_id", name=op.f("pk_name_search_tokens")),
    )
    from services.shared.name_search import rows_for

    bind = op.get_bind()
    tokens = sa.table(
        "name_search_tokens", sa.column("kind"), sa.column("token"), sa.column("record_id")
    )
    for kind, table_name in PEOPLE.items():
        people = sa.table(table_name, sa.column("id"), sa.column("name"))
        last_id = 0
        while True:
            pairs = bind.execute(
                sa.select(people.c.id, people.c.name)
                .where(people.c.id > last_id)
                .order_by(people.c.id)
                .limit(5000)
            ).all()
            if not pairs:
                break
            rows = rows_for(kind, pairs)
            if rows:
                bind.execute(sa.insert(tokens), rows)
            last_id = pairs[-1][0]


def downgrade():
    op.drop_table("name_search_tokens")
