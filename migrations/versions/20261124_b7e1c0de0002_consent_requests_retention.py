"""consent requests retention

Consent records, data-subject requests, retention reviews (helper: consent).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: b7e1c0de0002
Revises: a7e1c0de0001
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "b7e1c0de0002"
down_revision = "a7e1c0de0001"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
