"""policy income bands

The office's policy classifies household income in its own bands: 3万以下, 3–5万, 5–10万,
10–20万, 20万以上. The panel had started with other bands (under 5,000 ... over 30,000
yuan). This adds the policy's bands and retires the old ones (a retired item leaves the
selects and stays valid on the cards that name it).

Existing cards: the four old bands under 30,000 yuan all lie inside 3万以下, so those cards
move to it. "Over 30,000 yuan" could be any of the four upper bands; nothing says which, so
those cards keep the retired band, shown by its label, until someone asks the customer.

Downgrade: the old bands are active again and the policy's are retired; cards keep the item
they name.

Revision ID: l7e1c0de26c3
Revises: k7e1c0de25b2
Create Date: 2026-12-07 07:00:00

"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "l7e1c0de26c3"
down_revision = "k7e1c0de25b2"
branch_labels = None
depends_on = None

POLICY_BANDS = [
    ("lt3w", "3万以下", "Under 30,000 yuan"),
    ("3w_5w", "3–5万", "30,000–50,000 yuan"),
    ("5w_10w", "5–10万", "50,000–100,000 yuan"),
    ("10w_20w", "10–20万", "100,000–200,000 yuan"),
    ("gt20w", "20万以上", "Over 200,000 yuan"),
]
OLD_BANDS = ("lt5000", "5000_10000", "10000_20000", "20000_30000", "gt30000")
#: Old bands that lie wholly inside a policy band.
MOVED = {"lt5000": "lt3w", "5000_10000": "lt3w", "10000_20000": "lt3w", "20000_30000": "lt3w"}

lists = sa.table("reference_lists", sa.column("id", sa.Integer), sa.column("code", sa.String))
items = sa.table(
    "reference_items",
    sa.column("id", sa.Integer),
    sa.column("list_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("label", sa.String),
    sa.column("label_en", sa.String),
    sa.column("sort_order", sa.Integer),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)
prospects = sa.table(
    "prospects", sa.column("id", sa.Integer), sa.column("income_band_id", sa.Integer)
)


def _income_list_id(conn):
    return conn.execute(sa.select(lists.c.id).where(lists.c.code == "income_band")).scalar()


def _item_ids(conn, list_id) -> dict[str, int]:
    rows = conn.execute(sa.select(items.c.code, items.c.id).where(items.c.list_id == list_id))
    return dict(rows.all())


def _set_active(conn, list_id, codes, active: bool) -> None:
    conn.execute(
        items.update()
        .where(items.c.list_id == list_id, items.c.code.in_(codes))
        .values(active=active)
    )


def upgrade():
    conn = op.get_bind()
    list_id = _income_list_id(conn)
    if list_id is None:
        return  # an empty database: the standard data brings the policy's bands
    existing = _item_ids(conn, list_id)
    now = datetime.now(UTC).replace(tzinfo=None)
    new_rows = [
        {
            "list_id": list_id,
            "code": code,
            "label": label,
            "label_en": label_en,
            "sort_order": position * 10,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for position, (code, label, label_en) in enumerate(POLICY_BANDS, start=1)
        if code not in existing
    ]
    if new_rows:
        op.bulk_insert(items, new_rows)
    ids = _item_ids(conn, list_id)
    for old, new in MOVED.items():
        if old in ids:
            conn.execute(
                prospects.update()
                .where(prospects.c.income_band_id == ids[old])
                .values(income_band_id=ids[new])
            )
    _set_active(conn, list_id, OLD_BANDS, False)
    _set_active(conn, list_id, [code for code, _l, _e in POLICY_BANDS], True)


def downgrade():
    conn = op.get_bind()
    list_id = _income_list_id(conn)
    if list_id is None:
        return
    _set_active(conn, list_id, OLD_BANDS, True)
    _set_active(conn, list_id, [code for code, _l, _e in POLICY_BANDS], False)
