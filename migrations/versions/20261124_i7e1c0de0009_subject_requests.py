"""subject requests and retention

Customers' requests about their data (copy, correction, deletion) with their due date, and
the batches of the retention review (services/subject_requests.py).

Revision ID: i7e1c0de0009
Revises: h7e1c0de0008
Create Date: 2026-11-24 05:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i7e1c0de0009"
down_revision = "h7e1c0de0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('cutoff_on', sa.Date(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('anonymised', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending','done','rejected')", name=op.f('ck_retention_batches_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_retention_batches_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_retention_batches_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_batches'))
    )
    op.create_table('subject_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('anonymise_requested_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer_note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('copy','correct','delete')", name=op.f('ck_subject_requests_kind')),
    sa.CheckConstraint("status IN ('open','awaiting_approval','answered','refused')", name=op.f('ck_subject_requests_status')),
    sa.CheckConstraint("subject_type IN ('prospect','owner','tenant')", name=op.f('ck_subject_requests_subject_type')),
    sa.ForeignKeyConstraint(['anonymise_requested_by_id'], ['users.id'], name=op.f('fk_subject_requests_anonymise_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_subject_requests_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_subject_requests_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_subject_requests_registered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_requests'))
    )
    with op.batch_alter_table('subject_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_requests_status_due_on'), ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_requests_subject_type_subject_id'), ['subject_type', 'subject_id'], unique=False)



def downgrade():
    with op.batch_alter_table('subject_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_requests_subject_type_subject_id'))
        batch_op.drop_index(batch_op.f('ix_subject_requests_status_due_on'))

    op.drop_table('subject_requests')
    op.drop_table('retention_batches')
