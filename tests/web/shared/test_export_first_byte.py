"""An export's first bytes leave before its ids are read; its access event is written and
committed before any customer row is read, and when it cannot be written no row goes out.

Issue 21 (docs/performance.md, "Export's first byte"): the header (CSV titles, or the zip's
package parts) is sent at once; the ids query and the access event run inside the stream.
The log stays fail closed: a failing event write cuts the download after the header."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extensions import db
from models.privacy.audit import AccessEvent
from services.privacy import audit
from services.privacy import consent as consents
from tests.factories import make_prospect, make_user
from views.shared import exports

NAMES = [f"首字节{n}" for n in range(5)]
MOBILES = [f"1371234{n:04d}" for n in range(5)]


def _cards(app) -> list[int]:
    with app.app_context():
        ids = [
            make_prospect(db.session, name=name, mobile=mobile).id
            for name, mobile in zip(NAMES, MOBILES, strict=True)
        ]
        db.session.commit()
    return ids


def _committed_export_events(app) -> list[tuple[int, str | None]]:
    """Export events as another connection sees them: only what was committed."""
    with app.app_context(), Session(bind=db.engine) as session:
        rows = session.execute(
            select(AccessEvent.user_id, AccessEvent.record_ids).where(
                AccessEvent.action == "export"
            )
        )
        return [tuple(row) for row in rows]


def _watch(monkeypatch, app) -> dict:
    """Counts the ids queries, and notes the committed export events at the moment the
    first batch of rows is read."""
    seen: dict = {"ids_queries": 0, "events_at_first_batch": None}
    export_ids, batches = exports.export_ids, exports._batches

    def counting_ids(view):
        seen["ids_queries"] += 1
        return export_ids(view)

    def watching_batches(view, ids):
        if seen["events_at_first_batch"] is None:
            seen["events_at_first_batch"] = _committed_export_events(app)
        return batches(view, ids)

    monkeypatch.setattr(exports, "export_ids", counting_ids)
    monkeypatch.setattr(exports, "_batches", watching_batches)
    return seen


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_header_leaves_first_and_the_event_is_committed_before_any_row(
    app, client, login_as, monkeypatch, kind, fast
):
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    ids = _cards(app)
    user_id = login_as("supervisor")
    seen = _watch(monkeypatch, app)
    response = client.get(f"/admin/prospect/export/{kind}/", buffered=False)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    first = next(chunks)
    # The header went out before the ids were read and before anything was logged.
    assert seen["ids_queries"] == 0
    assert _committed_export_events(app) == []
    if kind == "csv":
        assert list(csv.reader(io.StringIO(first.decode("utf-8-sig"))))[0][0]
        assert not any(name.encode() in first for name in NAMES)
    else:
        assert first.startswith(b"PK") and b"sheet1.xml" not in first
    body = first + b"".join(chunks)
    response.close()
    assert seen["ids_queries"] == 1
    # When the first batch was read the event was already committed, with the ids.
    ((logged_user, logged_ids),) = seen["events_at_first_batch"]
    assert logged_user == user_id
    assert sorted(map(int, logged_ids.split(","))) == sorted(ids)
    assert _committed_export_events(app) == seen["events_at_first_batch"]
    if kind == "csv":
        text = body.decode("utf-8-sig")
        assert all(name in text for name in NAMES)
        assert not any(mobile in text for mobile in MOBILES)  # masked as before


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "per_row"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_failing_access_log_write_sends_no_row(app, client, login_as, monkeypatch, kind, fast):
    monkeypatch.setattr(exports, "FAST_PATH", fast)
    _cards(app)
    login_as("supervisor")
    seen = _watch(monkeypatch, app)
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AccessEvent))

    def broken_log(*args, **kwargs):
        raise RuntimeError("the access log is unavailable")

    monkeypatch.setattr(audit, "record", broken_log)
    response = client.get(f"/admin/prospect/export/{kind}/", buffered=False)
    assert response.status_code == 200  # the header is on its way before the ids are read
    chunks = response.iter_encoded()
    sent = next(chunks)
    with pytest.raises(RuntimeError, match="access log is unavailable"):
        for chunk in chunks:
            sent += chunk
    response.close()
    # The stream ended at the header: no row was read, none was sent.
    assert seen["ids_queries"] == 1
    assert seen["events_at_first_batch"] is None
    assert not any(name.encode() in sent for name in NAMES)
    assert not any(mobile[-4:].encode() in sent for mobile in MOBILES)
    if kind == "csv":
        assert len(list(csv.reader(io.StringIO(sent.decode("utf-8-sig"))))) == 1  # titles
    else:
        assert b"sheet1.xml" not in sent
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AccessEvent)) == events_before


def test_a_list_page_is_still_logged_after_the_view(app, client, login_as):
    # Only the streamed export logs inside its stream; every other read logs as before.
    ids = _cards(app)
    login_as("supervisor")
    assert client.get("/admin/prospect/").status_code == 200
    with app.app_context():
        event = db.session.scalars(
            select(AccessEvent).where(AccessEvent.action == "list").order_by(AccessEvent.seq)
        ).all()[-1]
        assert set(ids) <= set(map(int, event.record_ids.split(",")))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_logged_ids_follow_the_consent_rule(app, client, login_as, kind):
    """The ids query's consent rule (its own form on SQLite: exports._not_withdrawn) is
    withdrawn_condition's: every basis withdrawn leaves the card out; a basis that still
    stands, or no consent row at all, keeps it."""
    ids = _cards(app)
    with app.app_context():
        clerk = make_user(db.session, "clerk", username="first_byte_clerk")

        def basis(card_id):
            return consents.record(
                db.session,
                clerk,
                subject_type="prospect",
                subject_id=card_id,
                basis="consent",
                purpose="购房咨询与回访",
                policy_version="2026-1",
            )

        # ids[0]: its only basis withdrawn; ids[1]: both of its two withdrawn;
        # ids[2]: one of two withdrawn; ids[3]: one standing; ids[4]: none recorded.
        consents.withdraw(db.session, clerk, basis(ids[0]).id, "不再联系")
        for _ in range(2):
            consents.withdraw(db.session, clerk, basis(ids[1]).id, "不再联系")
        consents.withdraw(db.session, clerk, basis(ids[2]).id, "不再联系")
        basis(ids[2])
        basis(ids[3])
        db.session.commit()
    login_as("supervisor")
    body = client.get(f"/admin/prospect/export/{kind}/").get_data()
    ((_user, logged),) = _committed_export_events(app)
    assert sorted(map(int, logged.split(","))) == sorted(ids[2:])
    if kind == "csv":
        text = body.decode("utf-8-sig")
        assert [name in text for name in NAMES] == [False, False, True, True, True]
