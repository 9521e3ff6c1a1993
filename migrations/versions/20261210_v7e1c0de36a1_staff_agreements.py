"""staff agreements: the confidentiality agreement's versions, each account's signed
agreements (with an optional sealed scan), training courses and training records, and the
office setting of how long a training counts (12 months).

Revision ID: v7e1c0de36a1
Revises: u7e1c0de35fc
Create Date: 2026-12-10 13:30:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "v7e1c0de36a1"
down_revision = "u7e1c0de35fc"
branch_labels = None
depends_on = None

#: The gate's setting (services/admin/office_settings.py), today's default frozen.
DEFAULT_VALUES = {"training_validity_months": 12}


def _audited():
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
    ]


def _created_by_fk(table):
    return sa.ForeignKeyConstraint(
        ["created_by_id"],
        ["users.id"],
        name=op.f(f"fk_{table}_created_by_id_users"),
        ondelete="SET NULL",
    )


def upgrade():
    op.create_table(
        "staff_agreement_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        *_audited(),
        _created_by_fk("staff_agreement_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_agreement_versions")),
        sa.UniqueConstraint("code", name=op.f("uq_staff_agreement_versions_code")),
    )
    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_audited(),
        _created_by_fk("training_courses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
        sa.UniqueConstraint("name", name=op.f("uq_training_courses_name")),
    )
    op.create_table(
        "staff_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=True),
        sa.Column("scan", sa.Text(), nullable=True),
        sa.Column("scan_name", sa.String(length=200), nullable=True),
        sa.Column("scan_type", sa.String(length=100), nullable=True),
        *_audited(),
        _created_by_fk("staff_agreements"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_staff_agreements_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["staff_agreement_versions.id"],
            name=op.f("fk_staff_agreements_version_id_staff_agreement_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"],
            ["users.id"],
            name=op.f("fk_staff_agreements_witness_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_agreements")),
    )
    with op.batch_alter_table("staff_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_agreements_user_id_signed_on"), ["user_id", "signed_on"]
        )
        batch_op.create_index(batch_op.f("ix_staff_agreements_version_id"), ["version_id"])
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("trainer", sa.String(length=100), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        *_audited(),
        _created_by_fk("training_records"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_training_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_records_course_id_training_courses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_records_user_id_taken_on"), ["user_id", "taken_on"]
        )
        batch_op.create_index(batch_op.f("ix_training_records_course_id"), ["course_id"])

    settings = sa.table(
        "office_settings",
        sa.column("key", sa.String),
        sa.column("value", sa.Integer),
        sa.column("version", sa.Integer),
        sa.column("updated_at", sa.DateTime),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        settings,
        [
            {"key": key, "value": value, "version": 1, "updated_at": now}
            for key, value in DEFAULT_VALUES.items()
        ],
    )


def downgrade():
    keys = ", ".join(f"'{key}'" for key in DEFAULT_VALUES)
    op.execute(f"DELETE FROM office_settings WHERE key IN ({keys})")  # noqa: S608 - frozen keys
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_course_id"))
        batch_op.drop_index(batch_op.f("ix_training_records_user_id_taken_on"))
    op.drop_table("training_records")
    with op.batch_alter_table("staff_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_agreements_version_id"))
        batch_op.drop_index(batch_op.f("ix_staff_agreements_user_id_signed_on"))
    op.drop_table("staff_agreements")
    op.drop_table("training_courses")
    op.drop_table("staff_agreement_versions")
