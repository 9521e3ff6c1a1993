"""encrypted personal data

Personal data encrypted at rest: ciphertext columns and blind indexes (helper: encryption).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: a7e1c0de0001
Revises: 6a9ecd75e472
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "a7e1c0de0001"
down_revision = "6a9ecd75e472"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
