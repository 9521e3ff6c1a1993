"""lease intake

A lease is active only when its intake is recorded: both parties came (the day), the original
contract was seen (and by whom), a copy kept, the move-in form filled in and the fees paid.
Until then it is ``registering`` (being registered). Adds the day both parties came and the
account that saw the original, the ``registering`` status (the column grows to 12 characters
for it) and the check constraint that allows it.

Existing leases: an active lease with any of its four intake ticks missing becomes
``registering`` (the office never recorded its intake as complete). An active lease with all
four ticks stays active: its tenant lives there and ending it is a move-out. The day both
parties came and who saw the original were never asked before, and nothing in the old rows
says what they were, so they stay empty rather than invented; the lease's details page lists
them as still to record, and the next save of the lease applies the rule in full.

Downgrade: a registering lease becomes active again (the old meaning of an unended lease),
the newest per unit and only where the unit has no active lease; any other becomes ended
(the old schema allows one active lease per unit). The two new columns are dropped.

Revision ID: k7e1c0de25b2
Revises: j7e1c0de24a1
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "k7e1c0de25b2"
down_revision = "j7e1c0de24a1"
branch_labels = None
depends_on = None

INTAKE_TICKS = ("contract_seen", "contract_copy_kept", "move_in_form_done", "fees_paid")

leases = sa.table(
    "leases",
    sa.column("id", sa.Integer),
    sa.column("unit_id", sa.Integer),
    sa.column("status", sa.String),
    *(sa.column(name, sa.Boolean) for name in INTAKE_TICKS),
)


def upgrade():
    with op.batch_alter_table("leases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("both_parties_came_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("original_seen_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_leases_original_seen_by_id_users"),
            "users",
            ["original_seen_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.alter_column(
            "status", existing_type=sa.String(length=10), type_=sa.String(length=12)
        )
        batch_op.drop_constraint(batch_op.f("ck_leases_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_leases_status"), "status IN ('registering','active','ended')"
        )
    all_ticked = sa.and_(*(leases.c[name].is_(True) for name in INTAKE_TICKS))
    op.get_bind().execute(
        sa.update(leases)
        .where(leases.c.status == "active", sa.not_(all_ticked))
        .values(status="registering")
    )


def downgrade():
    bind = op.get_bind()
    let = set(bind.scalars(sa.select(leases.c.unit_id).where(leases.c.status == "active")))
    registering = bind.execute(
        sa.select(leases.c.id, leases.c.unit_id)
        .where(leases.c.status == "registering")
        .order_by(leases.c.id.desc())
    ).all()
    for lease_id, unit_id in registering:
        status = "ended" if unit_id in let else "active"
        let.add(unit_id)
        bind.execute(sa.update(leases).where(leases.c.id == lease_id).values(status=status))
    with op.batch_alter_table("leases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_leases_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_leases_status"), "status IN ('active','ended')"
        )
        batch_op.alter_column(
            "status", existing_type=sa.String(length=12), type_=sa.String(length=10)
        )
        batch_op.drop_constraint(
            batch_op.f("fk_leases_original_seen_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("original_seen_by_id")
        batch_op.drop_column("both_parties_came_on")
