"""dealer look-up indexes

A dealer or visit list finds its dealers by business licence number, which had no index
(every chunk read every data card, on SQLite and PostgreSQL alike), and a visit list's
duplicates by dealer and date, which SQLite without statistics read through the date's index
(every visit of that day). The licence number gets its index; the visits' dealer index holds
the date too (docs/import.md).

Revision ID: g8e1c0de47fc
Revises: f8e1c0de46eb
Create Date: 2026-12-10 22:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "g8e1c0de47fc"
down_revision = "f8e1c0de46eb"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_dealer_data_cards_licence_no", "dealer_data_cards", ["licence_no"], unique=False
    )
    op.create_index(
        "ix_dealer_visits_dealer_id_visited_on",
        "dealer_visits",
        ["dealer_id", "visited_on"],
        unique=False,
    )
    op.drop_index("ix_dealer_visits_dealer_id", table_name="dealer_visits")


def downgrade():
    op.create_index("ix_dealer_visits_dealer_id", "dealer_visits", ["dealer_id"], unique=False)
    op.drop_index("ix_dealer_visits_dealer_id_visited_on", table_name="dealer_visits")
    op.drop_index("ix_dealer_data_cards_licence_no", table_name="dealer_data_cards")
