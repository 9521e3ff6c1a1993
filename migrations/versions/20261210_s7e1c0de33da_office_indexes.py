"""office indexes

Indexes for the office condition every list adds (issue 18, views/shared/mixins/scoping.py:
``prospects.office_id IN (<the user's offices>)``), measured in docs/performance.md "With the
office condition (issue 18)":

- ``ix_prospects_office_id_id`` (office_id, id): a PostgreSQL btree on office_id alone does
  not keep the ids of one office in order, so the office's ids for the export and the
  capped count of a name search were a bitmap scan plus a sort or a hash of the whole
  office; with the id in the index they are one ordered, index-only range. (SQLite keeps
  the rowid in every index, so there it is the same as ``ix_prospects_office_id``.)
- ``ix_prospects_consultant_id_grade`` gains office_id as its last column: the capped count
  of the grade + consultant filter read every matching card from the table to check its
  office (SQLite 0.7 ms -> 17 ms at 100,000 cards); with office_id in the index the count is
  index-only again. Everything that used the old index (the weekly count by consultant and
  grade) uses its first two columns as before.

Downgrade: the old (consultant_id, grade) index comes back, the new ones go.

Revision ID: s7e1c0de33da
Revises: r7e1c0de32c9
Create Date: 2026-12-10 11:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "s7e1c0de33da"
down_revision = "r7e1c0de32c9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospects_consultant_id_grade"))
        batch_op.create_index(
            batch_op.f("ix_prospects_consultant_id_grade_office_id"),
            ["consultant_id", "grade", "office_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_prospects_office_id_id"), ["office_id", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospects_office_id_id"))
        batch_op.drop_index(batch_op.f("ix_prospects_consultant_id_grade_office_id"))
        batch_op.create_index(
            batch_op.f("ix_prospects_consultant_id_grade"), ["consultant_id", "grade"], unique=False
        )
