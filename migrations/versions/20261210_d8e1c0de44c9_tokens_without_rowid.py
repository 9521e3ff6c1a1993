"""tokens without rowid

On SQLite the name-search tokens become a WITHOUT ROWID table: its primary key (kind, token,
record_id) is the table itself, where a rowid table kept every row twice, by rowid and again
in the key's index. Each token written is one B-tree insert less (an import writes some 22 a
card) and the file is smaller (docs/import.md, issue 22 fourth pass). SQLite cannot change
this in place: the rows are copied into a new table in key order. PostgreSQL has no rowid:
nothing changes there.

Revision ID: d8e1c0de44c9
Revises: c8e1c0de43b8
Create Date: 2026-12-10 21:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8e1c0de44c9"
down_revision = "c8e1c0de43b8"
branch_labels = None
depends_on = None

TABLE = "name_search_tokens"
INDEX = "ix_name_search_tokens_record"


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The old table aside first, its index dropped (index names are the schema's, not the
    # table's), so the new one is created under its own name and nothing is renamed after.
    op.rename_table(TABLE, f"{TABLE}_old")
    op.drop_index(INDEX, table_name=f"{TABLE}_old")
    op.create_table(
        TABLE,
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "token", "record_id", name=op.f("pk_name_search_tokens")),
        sqlite_with_rowid=with_rowid,
    )
    # In key order: each row goes at the end of the new table's B-tree.
    op.execute(
        f"INSERT INTO {TABLE} (kind, token, record_id) "  # noqa: S608 (constant names)
        f"SELECT kind, token, record_id FROM {TABLE}_old ORDER BY kind, token, record_id"
    )
    op.drop_table(f"{TABLE}_old")
    op.create_index(INDEX, TABLE, ["kind", "record_id"], unique=False)


def upgrade():
    _rebuild(with_rowid=False)


def downgrade():
    _rebuild(with_rowid=True)
