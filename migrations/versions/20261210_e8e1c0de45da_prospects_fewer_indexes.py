"""prospects fewer indexes

Every index of a table is written at each insert: an import of 100,000 welcome cards spent
most of PostgreSQL's one backend on the cards' 27 indexes and their foreign-key checks
(docs/import.md, issue 22). Dropped, their readers checked (docs/import.md, sixth pass):

- ``ix_prospects_consultant_id``: the leading column of (consultant_id, grade, office_id),
  which serves the same conditions (``ix_prospects_office_id`` stays: without it PostgreSQL's
  planner read a half-office's year-long customer analysis by a full scan, 30% slower);
- the reference columns no page filters or looks up by: purpose, timeframe, employer type,
  age band, housing, awareness channel, area band, price band (the customer analysis groups
  the cards it reads by office or first visit; no index on these helps it), and a
  reception's channel. Reference items are retired, never deleted (no delete right), so ON DELETE
  RESTRICT never has to search these columns.

The list filters' reference columns (source, project, customer type, need, district, income)
keep their indexes.

Revision ID: e8e1c0de45da
Revises: d8e1c0de44c9
Create Date: 2026-12-10 22:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e8e1c0de45da"
down_revision = "d8e1c0de44c9"
branch_labels = None
depends_on = None

#: (table, column) of each single-column index dropped, named by the naming convention.
DROPPED = [
    ("prospects", "consultant_id"),
    ("prospects", "purpose_id"),
    ("prospects", "timeframe_id"),
    ("prospects", "unit_nature_id"),
    ("prospects", "age_band_id"),
    ("prospects", "housing_id"),
    ("prospects", "awareness_id"),
    ("prospects", "area_band_id"),
    ("prospects", "price_band_id"),
    ("prospect_visits", "channel_id"),
]


def upgrade():
    for table, column in DROPPED:
        op.drop_index(f"ix_{table}_{column}", table_name=table)


def downgrade():
    # Building them again reads the whole table once per index (a quiet hour at 1,000,000
    # cards, as docs/operating.md says of index builds).
    for table, column in reversed(DROPPED):
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
