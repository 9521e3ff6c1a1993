"""excel import

Excel import mappings and runs (helper: import).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: e7e1c0de0005
Revises: d7e1c0de0004
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "e7e1c0de0005"
down_revision = "d7e1c0de0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
