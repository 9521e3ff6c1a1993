"""auditor

The outside auditor (issue 20, core/access.py AUDITOR): a sixth role, read-only across the
panel, and time-boxed accounts (``users.valid_until``: the last office day an account may
sign in; empty for no end).

Downgrade: the column and the role go; an auditor account still in the database makes it
fail (the role row is RESTRICTed): remove those accounts first.

Revision ID: y7e1c0de39d4
Revises: x7e1c0de38c3
Create Date: 2026-12-10 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "y7e1c0de39d4"
down_revision = "x7e1c0de38c3"
branch_labels = None
depends_on = None

roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("code", sa.String))
AUDITOR = ("auditor", "外部审计员")


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
    bind = op.get_bind()
    exists = bind.execute(sa.select(roles.c.id).where(roles.c.code == AUDITOR[0])).first()
    if exists is None:
        full = sa.table("roles", sa.column("code", sa.String), sa.column("name", sa.String))
        op.bulk_insert(full, [{"code": AUDITOR[0], "name": AUDITOR[1]}])


def downgrade():
    op.execute(roles.delete().where(roles.c.code == AUDITOR[0]))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
