"""desk followups

Leftovers of the approvals, archive, property and sales desks (helper: desks).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: f7e1c0de0006
Revises: e7e1c0de0005
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "f7e1c0de0006"
down_revision = "e7e1c0de0005"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
