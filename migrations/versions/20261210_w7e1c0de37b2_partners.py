"""partners and sharing a customer's data with them

Issue 19 (PIPL art. 23): the register of partners (banks, notaries, referral partners,
agencies), their data-sharing agreements (purpose, fields, masked fields, valid from/to), the
customer's separate consent to share with one partner, and every share made (one row per
customer of a share action). Rules: services/privacy/sharing.py.

Downgrade: the four tables go (the shares stay named in the access log).

Revision ID: w7e1c0de37b2
Revises: v7e1c0de36a1
Create Date: 2026-12-10 13:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "w7e1c0de37b2"
down_revision = "v7e1c0de36a1"
branch_labels = None
depends_on = None

SUBJECTS = "subject_type IN ('prospect','owner','tenant')"


def _user_fk(table: str, column: str):
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def upgrade():
    op.create_table(
        "partners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('bank','notary','referral','agency')", name=op.f("ck_partners_kind")
        ),
        _user_fk("partners", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("name", name=op.f("uq_partners_name")),
    )
    op.create_table(
        "sharing_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("masked_fields", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("partner_contact", sa.String(length=100), nullable=True),
        sa.Column("confidentiality_clause", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "valid_to >= valid_from", name=op.f("ck_sharing_agreements_valid_range")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_sharing_agreements_partner_id_partners"),
            ondelete="RESTRICT",
        ),
        _user_fk("sharing_agreements", "created_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
    )
    op.create_index(
        op.f("ix_sharing_agreements_partner_id_valid_to"),
        "sharing_agreements",
        ["partner_id", "valid_to"],
    )
    op.create_table(
        "partner_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("notice_version", sa.String(length=20), nullable=False),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawal_note", sa.Text(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(SUBJECTS, name=op.f("ck_partner_consents_subject_type")),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_consents_partner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_partner_consents_office_id_offices"),
            ondelete="RESTRICT",
        ),
        _user_fk("partner_consents", "recorded_by_id"),
        _user_fk("partner_consents", "withdrawn_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_consents")),
    )
    op.create_index(
        op.f("ix_partner_consents_subject_type_subject_id"),
        "partner_consents",
        ["subject_type", "subject_id"],
    )
    op.create_index(op.f("ix_partner_consents_partner_id"), "partner_consents", ["partner_id"])
    op.create_index(op.f("ix_partner_consents_office_id"), "partner_consents", ["office_id"])
    op.create_table(
        "partner_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("masked_fields", sa.JSON(), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(SUBJECTS, name=op.f("ck_partner_shares_subject_type")),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_shares_partner_id_partners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["sharing_agreements.id"],
            name=op.f("fk_partner_shares_agreement_id_sharing_agreements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["offices.id"],
            name=op.f("fk_partner_shares_office_id_offices"),
            ondelete="RESTRICT",
        ),
        _user_fk("partner_shares", "shared_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_shares")),
    )
    op.create_index(op.f("ix_partner_shares_batch"), "partner_shares", ["batch"])
    op.create_index(op.f("ix_partner_shares_agreement_id"), "partner_shares", ["agreement_id"])
    op.create_index(op.f("ix_partner_shares_office_id"), "partner_shares", ["office_id"])
    op.create_index(
        op.f("ix_partner_shares_subject_type_subject_id"),
        "partner_shares",
        ["subject_type", "subject_id"],
    )
    op.create_index(
        op.f("ix_partner_shares_partner_id_shared_at"),
        "partner_shares",
        ["partner_id", "shared_at"],
    )


def downgrade():
    op.drop_table("partner_shares")
    op.drop_table("partner_consents")
    op.drop_table("sharing_agreements")
    op.drop_table("partners")
