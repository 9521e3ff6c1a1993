"""An export reads its ids once, then its rows a batch at a time: what changes in between
must not go out. A card moved to another office, a customer whose consent is withdrawn, a
dealer moved out of the region manager's region after the ids were read and before their
batch is left out, on the fast path and the per-row one, CSV and XLSX.

The gate is the stream itself: the first chunk (titles, or the zip's package parts) leaves
before any batch is read, the second after the first batch; the row is changed then, in
another session, and committed, before the rest is read. No sleeps."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models.dealers.dealers import Dealer
from models.sales.prospects import Prospect
from services.privacy import consent as consents
from tests.factories import make_prospect, make_user, ref_item
from tests.web.second_office import make_office_b
from views.shared import exports

NAMES = [f"竞态{n}" for n in range(6)]


def _names(kind: str, body: bytes) -> list[str]:
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        rows = [
            ["" if cell is None else str(cell) for cell in row]
            for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
        ]
    return [cell for row in rows[1:] for cell in row if cell in NAMES]


def _export_changing_one_row(client, monkeypatch, url: str, kind: str, change) -> tuple:
    """The export of ``url`` with 2 rows a batch; after the first batch has been read,
    ``change(name)`` is applied to a row of a later batch. Returns (changed, exported)."""
    monkeypatch.setattr(exports, "FAST_BATCH", 2)
    monkeypatch.setattr(exports, "BATCH", 2)
    response = client.get(url, buffered=False)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    body = next(chunks)  # the titles (CSV) or the package parts (XLSX): no batch read yet
    body += next(chunks)  # the first batch
    if kind == "csv":
        seen = set(_names(kind, body))
        assert len(seen) == 2, seen
    else:
        seen = set()  # a zip's rows cannot be read before it is whole: the first two listed
    later = [name for name in NAMES if name not in seen]
    # A row the first batch did not hold (XLSX: any row after the first two listed).
    changed = later[-1] if kind == "csv" else None
    if changed is None:
        changed = change(None)
    else:
        change(changed)
    body += b"".join(chunks)
    return changed, _names(kind, body)


def _cards(app, **kwargs) -> None:
    with app.app_context():
        for name in NAMES:
            make_prospect(db.session, name=name, **kwargs)
        db.session.commit()


def _oldest(model) -> str:
    # Lists show the newest first: the oldest is in the last batch.
    return db.session.scalars(select(model.name).order_by(model.id)).first()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_card_moved_to_another_office_between_batches_is_left_out(
    app, client, login_as, monkeypatch, kind, fast
):
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    _cards(app)
    login_as("supervisor")

    def move(name):
        with app.app_context():
            name = name or _oldest(Prospect)
            office = make_office_b(db.session)
            card = db.session.scalars(select(Prospect).where(Prospect.name == name)).one()
            card.office_id = office.id
            db.session.commit()
            return name

    changed, exported = _export_changing_one_row(
        client, monkeypatch, f"/admin/prospect/export/{kind}/", kind, move
    )
    assert changed not in exported
    assert sorted(exported) == sorted(name for name in NAMES if name != changed)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_consent_withdrawn_between_batches_is_left_out(
    app, client, login_as, monkeypatch, kind, fast
):
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    _cards(app)
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="race_clerk")
        for card in db.session.scalars(select(Prospect)):
            consents.record(
                db.session,
                clerk,
                subject_type="prospect",
                subject_id=card.id,
                basis="consent",
                purpose="购房咨询与回访",
                policy_version="2026-1",
            )
        db.session.commit()
    login_as("supervisor")

    def withdraw(name):
        with app.app_context():
            name = name or _oldest(Prospect)
            card_id = db.session.scalar(select(Prospect.id).where(Prospect.name == name))
            clerk = make_user(db.session, "clerk", username="race_clerk_2")
            (consent,) = consents.for_subject(db.session, "prospect", card_id)
            consents.withdraw(db.session, clerk, consent.id, "客户来电要求不再联系")
            db.session.commit()
            return name

    changed, exported = _export_changing_one_row(
        client, monkeypatch, f"/admin/prospect/export/{kind}/", kind, withdraw
    )
    assert changed not in exported
    assert sorted(exported) == sorted(name for name in NAMES if name != changed)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
def test_a_dealer_moved_out_of_the_region_between_batches_is_left_out(
    app, client, login_as, monkeypatch, fast
):
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    with app.app_context():
        south = ref_item(db.session, "region", "south").id
        north = ref_item(db.session, "region", "north").id
        for name in NAMES:
            db.session.add(
                Dealer(region_id=south, name=name, status="signed", mobile="13900000000")
            )
        db.session.commit()
    login_as("region_manager", region_id=south)

    def move(name):
        with app.app_context():
            dealer = db.session.scalars(select(Dealer).where(Dealer.name == name)).one()
            dealer.region_id = north
            db.session.commit()

    changed, exported = _export_changing_one_row(
        client, monkeypatch, "/admin/dealer/export/csv/", "csv", move
    )
    assert changed not in exported
    assert sorted(exported) == sorted(name for name in NAMES if name != changed)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
def test_the_batch_consent_rule_is_the_lists(app, client, login_as, monkeypatch, fast):
    """A card whose every consent is withdrawn is left out; one with a basis still standing
    (a second consent) or with no consent row at all is exported, batch by batch."""
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    monkeypatch.setattr(exports, "FAST_BATCH", 2)
    monkeypatch.setattr(exports, "BATCH", 2)
    _cards(app)
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="rule_clerk")
        cards = {card.name: card.id for card in db.session.scalars(select(Prospect))}

        def consent(name):
            return consents.record(
                db.session,
                clerk,
                subject_type="prospect",
                subject_id=cards[name],
                basis="consent",
                purpose="购房咨询与回访",
                policy_version="2026-1",
            )

        for name in NAMES[:4]:
            consent(name)
        consent(NAMES[1])  # a second basis, standing
        for name in NAMES[:2]:
            first = consents.for_subject(db.session, "prospect", cards[name])[0]
            consents.withdraw(db.session, clerk, first.id, "客户来电要求不再联系")
        db.session.commit()
    login_as("supervisor")
    body = client.get("/admin/prospect/export/csv/").get_data()
    # 竞态0: its only consent withdrawn; 竞态1: one of two; 竞态4, 竞态5: no consent row.
    assert sorted(_names("csv", body)) == sorted(name for name in NAMES if name != NAMES[0])
