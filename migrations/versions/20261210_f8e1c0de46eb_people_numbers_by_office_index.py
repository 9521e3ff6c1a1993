"""people's numbers by office index

The owners', household members' and tenants' blind indexes of their mobile and ID number
hold the office too, as the cards' mobile index does (c8e1c0de43b8): a look-up asks for the
number among the account's offices, and SQLite without statistics chose the office's index
instead, reading every owner of the office (the paper files' register import: 15 ms each
chunk's query at 100,000 owners; docs/import.md).

Revision ID: f8e1c0de46eb
Revises: e8e1c0de45da
Create Date: 2026-12-10 22:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f8e1c0de46eb"
down_revision = "e8e1c0de45da"
branch_labels = None
depends_on = None

#: (table, blind index column) whose index gains the office.
INDEXES = [
    ("owners", "mobile_bidx"),
    ("owners", "id_number_bidx"),
    ("household_members", "id_number_bidx"),
    ("household_members", "mobile_bidx"),
    ("tenants", "mobile_bidx"),
    ("tenants", "id_number_bidx"),
]


def upgrade():
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}_office_id", table, [column, "office_id"])
        op.drop_index(f"ix_{table}_{column}", table_name=table)


def downgrade():
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column])
        op.drop_index(f"ix_{table}_{column}_office_id", table_name=table)
