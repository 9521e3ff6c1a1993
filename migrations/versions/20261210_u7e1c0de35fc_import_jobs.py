"""import jobs

The Excel import's check and import run as background jobs (issue 26,
services/shared/import_jobs.py); their state is a table so that every worker and app server
shows a job's progress and takes its cancel. A partial unique index keeps one running job per
user. ``preview`` is sealed with the data keys (it quotes the rejected cells).

Downgrade: the table goes (jobs are transient: nothing of value is lost).

Revision ID: u7e1c0de35fc
Revises: t7e1c0de34eb
Create Date: 2026-12-10 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "u7e1c0de35fc"
down_revision = "t7e1c0de34eb"
branch_labels = None
depends_on = None

ACTIVE_WHERE = "status IN ('queued', 'running')"


def upgrade():
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("preview", sa.Text(), nullable=True),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("session_signed_in_at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("session_ended", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_import_jobs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_jobs_token"), ["token"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_import_jobs_session_key"), ["session_key"], unique=False
        )
    op.create_index(
        "uq_import_jobs_active_user",
        "import_jobs",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text(ACTIVE_WHERE),
        sqlite_where=sa.text(ACTIVE_WHERE),
    )


def downgrade():
    op.drop_index("uq_import_jobs_active_user", table_name="import_jobs")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_jobs_session_key"))
        batch_op.drop_index(batch_op.f("ix_import_jobs_token"))
    op.drop_table("import_jobs")
