"""incidents

Incidents with customer data and the lockdown (issue 20, models/admin/incidents.py): the
incident register (``incidents``: what happened and the PIPL art. 57 items, the 4-hour report
clock from ``opened_at``), the affected customers saved with an incident and the sending of
the notice to each (``incident_customers``), and the periods of lockdown (``lockdowns``: one
open row while the panel is locked).

Downgrade: the three tables go.

Revision ID: x7e1c0de38c3
Revises: w7e1c0de37b2
Create Date: 2026-12-10 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "x7e1c0de38c3"
down_revision = "w7e1c0de37b2"
branch_labels = None
depends_on = None


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade():
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("found_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("data_categories", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("customer_actions", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("notice_issued_at", sa.DateTime(), nullable=True),
        sa.Column("notice_issued_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        _user_fk("incidents", "opened_by_id"),
        _user_fk("incidents", "reported_by_id"),
        _user_fk("incidents", "notice_issued_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "incident_customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("customer_kind", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("found_by", sa.String(length=300), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_how", sa.String(length=20), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_customers_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        _user_fk("incident_customers", "added_by_id"),
        _user_fk("incident_customers", "sent_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_customers")),
        sa.UniqueConstraint(
            "incident_id",
            "customer_kind",
            "customer_id",
            name=op.f("uq_incident_customers_incident_id_customer_kind_customer_id"),
        ),
    )

    op.create_table(
        "lockdowns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("start_note", sa.Text(), nullable=False),
        sa.Column("non_admin_mode", sa.String(length=20), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lift_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_lockdowns_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        _user_fk("lockdowns", "started_by_id"),
        _user_fk("lockdowns", "lifted_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lockdowns")),
    )


def downgrade():
    op.drop_table("lockdowns")
    op.drop_table("incident_customers")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_opened_at"))
    op.drop_table("incidents")
