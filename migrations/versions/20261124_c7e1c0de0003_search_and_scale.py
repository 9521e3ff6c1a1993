"""search and scale

Name search index (pinyin), list and access-log indexes (helper: scale).
Placeholder in the chain until its helper fills it; an empty step is a valid no-op.

Revision ID: c7e1c0de0003
Revises: b7e1c0de0002
Create Date: 2026-11-24 00:10:00

"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = "c7e1c0de0003"
down_revision = "b7e1c0de0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
