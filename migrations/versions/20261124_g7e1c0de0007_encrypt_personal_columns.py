"""encrypt personal columns

Phone numbers, ID numbers, addresses and free text about people become AES-GCM tokens
(models/types.py EncryptedString, EncryptedJSON for the change documents), with keyed HMAC
blind-index columns for exact search by mobile or ID number. The plaintext indexes on those
columns go: an index on a token serves nothing. Existing values are encrypted in place, in
batches, with the keys the app was started with (flask db upgrade runs inside the app).

Revision ID: g7e1c0de0007
Revises: f7e1c0de0006
Create Date: 2026-11-24 04:10:00

"""

import json

import sqlalchemy as sa
from alembic import op

from core import crypto

# revision identifiers, used by Alembic.
revision = "g7e1c0de0007"
down_revision = "f7e1c0de0006"
branch_labels = None
depends_on = None

BATCH = 1000

#: table -> [(column, old type, blind-index purpose or None)]
SHORT_COLUMNS = {
    "prospects": [
        ("mobile", sa.String(20), crypto.PHONE),
        ("landline", sa.String(30), None),
    ],
    "prospect_visits": [("next_appointment_pretext", sa.String(200), None)],
    "owners": [
        ("mobile", sa.String(20), crypto.PHONE),
        ("landline", sa.String(30), None),
        ("id_number", sa.String(18), crypto.ID_NUMBER),
        ("address", sa.String(200), None),
    ],
    "household_members": [
        ("mobile", sa.String(20), crypto.PHONE),
        ("id_number", sa.String(18), crypto.ID_NUMBER),
    ],
    "tenants": [
        ("mobile", sa.String(20), crypto.PHONE),
        ("id_number", sa.String(18), crypto.ID_NUMBER),
    ],
    "dealers": [
        ("mobile", sa.String(20), crypto.PHONE),
        ("landline", sa.String(30), None),
    ],
}
#: Columns that were TEXT already: only their values change.
TEXT_COLUMNS = {
    "prospects": ["notes"],
    "prospect_visits": [
        "summary",
        "appearance",
        "character",
        "job_finances",
        "housing_owned",
        "reasons_needs",
        "concerns",
        "presented",
        "interests",
        "open_problems",
        "next_time_todo",
        "reflection",
    ],
    "owners": ["notes"],
    "tenants": ["notes"],
}
JSON_COLUMNS = {"change_requests": ("changes", False), "record_history": ("changes", True)}
#: Plaintext indexes dropped (name, table, column).
OLD_INDEXES = [
    ("ix_prospects_mobile", "prospects", "mobile"),
    ("ix_owners_mobile", "owners", "mobile"),
    ("ix_owners_id_number", "owners", "id_number"),
    ("ix_tenants_mobile", "tenants", "mobile"),
    ("ix_dealers_mobile", "dealers", "mobile"),
]


def upgrade():
    op.create_table(
        "encryption_key_checks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_encryption_key_checks")),
    )
    dropped = {(table, name) for name, table, _column in OLD_INDEXES}
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, columns in SHORT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, old_type, purpose in columns:
                if purpose is not None:
                    batch.add_column(sa.Column(f"{column}_bidx", sa.String(64), nullable=True))
                batch.alter_column(
                    column, existing_type=old_type, type_=sa.Text(), existing_nullable=True
                )
            for name, index_table, _column in OLD_INDEXES:
                if index_table == table and (table, name) in dropped:
                    batch.drop_index(name)
            for column, _old_type, purpose in columns:
                if purpose is not None:
                    batch.create_index(f"ix_{table}_{column}_bidx", [f"{column}_bidx"])
    for table, (column, nullable) in JSON_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.JSON(),
                type_=sa.Text(),
                existing_nullable=nullable,
                **({"postgresql_using": f"{column}::text"} if postgres else {}),
            )

    keyring = crypto.get_keyring()
    for table, columns in SHORT_COLUMNS.items():
        for column, _old_type, purpose in columns:
            _transform(table, column, purpose, lambda v, aad: keyring.encrypt(v, aad), keyring)
    for table, columns in TEXT_COLUMNS.items():
        for column in columns:
            _transform(table, column, None, lambda v, aad: keyring.encrypt(v, aad), keyring)
    for table, (column, _nullable) in JSON_COLUMNS.items():
        _transform(table, column, None, lambda v, aad: keyring.encrypt(_compact(v), aad), keyring)


def downgrade():
    keyring = crypto.get_keyring()
    for table, (column, _nullable) in JSON_COLUMNS.items():
        _transform(table, column, None, lambda v, aad: keyring.decrypt(v, aad), None)
    for table, columns in TEXT_COLUMNS.items():
        for column in columns:
            _transform(table, column, None, lambda v, aad: keyring.decrypt(v, aad), None)
    for table, columns in SHORT_COLUMNS.items():
        for column, _old_type, _purpose in columns:
            _transform(table, column, None, lambda v, aad: keyring.decrypt(v, aad), None)

    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (column, nullable) in JSON_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.JSON(),
                existing_nullable=nullable,
                **({"postgresql_using": f"{column}::json"} if postgres else {}),
            )
    for table, columns in SHORT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column, _old_type, purpose in columns:
                if purpose is not None:
                    batch.drop_index(f"ix_{table}_{column}_bidx")
                    batch.drop_column(f"{column}_bidx")
            for column, old_type, _purpose in columns:
                batch.alter_column(
                    column, existing_type=sa.Text(), type_=old_type, existing_nullable=True
                )
            for name, index_table, column in OLD_INDEXES:
                if index_table == table:
                    batch.create_index(name, [column])
    op.drop_table("encryption_key_checks")


def _compact(document: str) -> str:
    # Re-serialise as the EncryptedJSON type does, so old and new documents look alike.
    return json.dumps(json.loads(document), ensure_ascii=False, separators=(",", ":"))


def _transform(table, column, purpose, change, keyring) -> None:
    """Rewrite every non-NULL value of table.column with ``change(value, aad)`` in batches,
    setting the blind index from the plaintext when ``purpose`` is given."""
    bind = op.get_bind()
    meta = sa.MetaData()
    columns = [sa.Column("id", sa.Integer, primary_key=True), sa.Column(column, sa.Text)]
    if purpose is not None:
        columns.append(sa.Column(f"{column}_bidx", sa.String(64)))
    target = sa.Table(table, meta, *columns)
    aad = f"{table}.{column}".encode("ascii")
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(target.c.id, target.c[column])
            .where(target.c.id > last_id, target.c[column].is_not(None))
            .order_by(target.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, value in rows:
            values = {column: change(value, aad)}
            if purpose is not None:
                normalised = crypto.normalise(value, purpose)
                values[f"{column}_bidx"] = (
                    keyring.blind_index(value, purpose) if normalised else None
                )
            bind.execute(sa.update(target).where(target.c.id == row_id).values(values))
        last_id = rows[-1][0]
