"""reception consultants

Every reception belongs to the consultant who received the customer. Receptions entered on
the welcome card's own form were saved without one, so the day's count per consultant missed
them: give each such reception the card's consultant, else the card's creator, when that
account is a clerk or a supervisor (the roles that ever received customers; never the
custodian, the admin or a region manager). An index serves the day's count per consultant.

The fill is not undone on downgrade: the consultants it gave are right, and nothing tells
them apart from the ones entered by hand.

Revision ID: j7e1c0de24a1
Revises: i7e1c0de0009
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "j7e1c0de24a1"
down_revision = "i7e1c0de0009"
branch_labels = None
depends_on = None

#: Roles whose accounts received customers at some office.
RECEIVING_ROLES = ("clerk", "supervisor")

visits = sa.table(
    "prospect_visits", sa.column("id"), sa.column("prospect_id"), sa.column("consultant_id")
)
prospects = sa.table(
    "prospects", sa.column("id"), sa.column("consultant_id"), sa.column("created_by_id")
)
users = sa.table("users", sa.column("id"), sa.column("role_id"))
roles = sa.table("roles", sa.column("id"), sa.column("code"))


def _receiving_account_of_card(column) -> sa.ScalarSelect:
    """The card's account in ``column`` when it receives customers, correlated to the visit."""
    return (
        sa.select(users.c.id)
        .select_from(
            prospects.join(users, users.c.id == column).join(roles, roles.c.id == users.c.role_id)
        )
        .where(prospects.c.id == visits.c.prospect_id, roles.c.code.in_(RECEIVING_ROLES))
        .scalar_subquery()
    )


def upgrade():
    with op.batch_alter_table("prospect_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prospect_visits_consultant_id_visited_on"),
            ["consultant_id", "visited_on"],
            unique=False,
        )
    op.get_bind().execute(
        sa.update(visits)
        .where(visits.c.consultant_id.is_(None))
        .values(
            consultant_id=sa.func.coalesce(
                _receiving_account_of_card(prospects.c.consultant_id),
                _receiving_account_of_card(prospects.c.created_by_id),
            )
        )
    )


def downgrade():
    with op.batch_alter_table("prospect_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prospect_visits_consultant_id_visited_on"))
