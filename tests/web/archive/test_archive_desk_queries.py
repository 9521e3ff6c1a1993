"""The archive desk's page reads its queues in a fixed number of statements: a busy desk
(hundreds of requests waiting, out or overdue) must not load each row's file and people one
query at a time (the 1,000,000-prospect load found the desk the slowest read)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from extensions import db
from models.admin.people import User
from models.archive.archive_desk import LookupRequest
from models.archive.archives import ArchiveFile

pytestmark = pytest.mark.instant()


def _fill_desk(app, custodian_id: int, per_queue: int, tag: str) -> None:
    """``per_queue`` requests in each queue, each with its own file and requester."""
    with app.app_context():
        custodian = db.session.get(User, custodian_id)
        office_id = custodian.offices[0].id
        statuses = (
            ("requested", "take_out"),  # to decide
            ("requested", "copy"),  # waits for the superior: not the desk's yet
            ("approved_by_superior", "copy"),  # to decide
            ("approved", "take_out"),  # to hand out
            ("handed_out", "take_out"),  # out now or overdue
        )
        for n in range(per_queue):
            for k, (status, mode) in enumerate(statuses):
                requester = User(
                    username=f"req_{tag}{n}_{k}",
                    full_name=f"借阅人{tag}{n}-{k}",
                    password_hash="not-a-hash",
                    role_id=custodian.role_id,
                )
                requester.offices = list(custodian.offices)
                archive_file = ArchiveFile(
                    code=f"DQ{tag}-{n:03d}-{k}",
                    title=f"档案{tag}{n}-{k}",
                    room="一号档案室",
                    office_id=office_id,
                )
                db.session.add_all([requester, archive_file])
                db.session.flush()
                db.session.add(
                    LookupRequest(
                        file_id=archive_file.id,
                        requested_by_id=requester.id,
                        superior_id=requester.id if status == "approved_by_superior" else None,
                        reason="核对面积",
                        mode=mode,
                        days=2,
                        status=status,
                        due_on=date(2026, 1, 1) + timedelta(days=n % 2 * 3000)
                        if status == "handed_out"
                        else None,
                        office_id=office_id,
                    )
                )
        db.session.commit()


def _desk_statements(app, client) -> tuple[str, list[str]]:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            body = client.get("/admin/archive-desk/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    return body, seen


def test_the_desk_reads_its_queues_in_the_same_statements_however_busy(app, client, login_as):
    custodian_id = login_as("custodian")
    _fill_desk(app, custodian_id, per_queue=2, tag="a")
    _, small = _desk_statements(app, client)
    with app.app_context():
        db.session.query(LookupRequest).delete()
        db.session.commit()
    _fill_desk(app, custodian_id, per_queue=12, tag="b")
    body, busy = _desk_statements(app, client)

    assert len(busy) == len(small), (len(small), len(busy))
    # every row is there with its file and its requester ...
    assert len(re.findall(r"DQb-\d{3}-", body)) == 12 * 4
    assert "借阅人b11-0" in body and "档案b11-3" in body
    # ... and a copy that still waits for the superior is not the desk's to decide
    decide = body.split('id="to-decide"')[1].split("</table>")[0]
    assert "DQb-000-1" not in decide and "DQb-000-0" in decide and "DQb-000-2" in decide
