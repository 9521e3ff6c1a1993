"""offices

The group's offices (issue 18): the tables ``offices``, ``user_offices`` (which offices an
account works for) and ``office_projects`` (which projects/estates an office holds), and an
``office_id`` on every customer record.

An existing database is one office: the migration creates it (本部, kind "combined": it sells
and manages), gives it every project, makes every account a member and puts every record in
it, so nobody sees less than before until the admin adds offices. Change requests of dealer
records stay without an office (dealers are scoped by region).

Downgrade: the columns and tables go; the records stay.

Revision ID: q7e1c0de31b8
Revises: p7e1c0de30a7
Create Date: 2026-12-10 08:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "q7e1c0de31b8"
down_revision = "p7e1c0de30a7"
branch_labels = None
depends_on = None

#: Tables whose rows belong to one office (models.base.OfficeOwnedMixin), frozen here.
OFFICE_TABLES = (
    "prospects",
    "prospect_visits",
    "identity_checks",
    "owners",
    "units",
    "ownerships",
    "household_members",
    "tenants",
    "leases",
    "resident_cards",
    "vehicle_cards",
    "parking_spaces",
    "transfers",
    "move_ins",
    "household_changes",
    "archive_files",
    "lookup_requests",
    "complaints",
    "subject_requests",
)
DEALER_RECORD_TYPES = ("dealer", "dealer_data_card", "potential_dealer_file", "dealer_visit")
DEFAULT_OFFICE_NAME = "本部"


def _add_office_column(table: str, *, nullable: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))


def _finish_office_column(table: str, *, nullable: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        if not nullable:
            batch_op.alter_column("office_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f(f"ix_{table}_office_id"), ["office_id"])
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{table}_office_id_offices"),
            "offices",
            ["office_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def upgrade() -> None:
    offices = op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('sales','management','combined')", name=op.f("ck_offices_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offices")),
        sa.UniqueConstraint("name", name=op.f("uq_offices_name")),
    )
    op.create_table(
        "user_offices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_user_offices_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_offices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "office_id", name=op.f("pk_user_offices")),
    )
    op.create_table(
        "office_projects",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_office_projects_office_id_offices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["reference_items.id"],
            name=op.f("fk_office_projects_project_id_reference_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "project_id", name=op.f("pk_office_projects")),
    )
    op.create_index(
        op.f("ix_office_projects_project_id"), "office_projects", ["project_id"], unique=False
    )

    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        offices,
        [
            {
                "id": 1,
                "name": DEFAULT_OFFICE_NAME,
                "kind": "combined",
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('offices', 'id'), 1)")
    op.execute(
        "INSERT INTO office_projects (office_id, project_id) "
        "SELECT 1, reference_items.id FROM reference_items "
        "JOIN reference_lists ON reference_lists.id = reference_items.list_id "
        "WHERE reference_lists.code = 'project'"
    )
    op.execute("INSERT INTO user_offices (user_id, office_id) SELECT id, 1 FROM users")

    for table in OFFICE_TABLES:
        _add_office_column(table, nullable=False)
        op.execute(f"UPDATE {table} SET office_id = 1")  # noqa: S608 - frozen table names
        _finish_office_column(table, nullable=False)

    _add_office_column("change_requests", nullable=True)
    dealer_types = ", ".join(f"'{t}'" for t in DEALER_RECORD_TYPES)
    op.execute(
        f"UPDATE change_requests SET office_id = 1 WHERE record_type NOT IN ({dealer_types})"  # noqa: S608
    )
    _finish_office_column("change_requests", nullable=True)


def downgrade() -> None:
    for table in (*OFFICE_TABLES, "change_requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_office_id_offices"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_office_id"))
            batch_op.drop_column("office_id")
    op.drop_index(op.f("ix_office_projects_project_id"), table_name="office_projects")
    op.drop_table("office_projects")
    op.drop_table("user_offices")
    op.drop_table("offices")
