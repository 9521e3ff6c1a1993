"""daily work

Spot checks, access alerts and their rules (helper: daily work).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: d7e1c0de0004
Revises: c7e1c0de0003
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "d7e1c0de0004"
down_revision = "c7e1c0de0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
