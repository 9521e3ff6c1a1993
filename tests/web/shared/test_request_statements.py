"""What every signed-in page sends besides its own work (issue 21, per-request cost): the
account with its role and offices in one statement, the navbar's badges in one, a list's
many-to-one references one query per kind of record, a welcome card's buttons in one; what
is shown stays the same."""

from __future__ import annotations

import re

from sqlalchemy import event

from extensions import db
from models.admin.offices import Office
from models.archive.archives import ArchiveFile
from models.sales.ownership import Collision
from models.shared.approvals import ChangeRequest
from services.privacy import consent as consents
from services.sales import scouts
from services.shared import approvals
from tests.factories import make_prospect, make_user, ref_item


def _statements(app, client, url: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def remember(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            response = client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True), seen


def _badge(body: str, badge: str) -> str:
    match = re.search(rf'id="{badge}"[^>]*>[^<]*<span class="badge[^"]*">(\d+)</span>', body)
    assert match, badge
    return match.group(1)


def test_the_account_its_role_and_offices_are_one_statement(app, client, login_as):
    with app.app_context():
        record_id = make_prospect(db.session).id
        db.session.commit()
    login_as("supervisor")
    client.get(f"/admin/prospect/details/?id={record_id}")
    _, statements = _statements(app, client, f"/admin/prospect/details/?id={record_id}")
    accounts = [s for s in statements if "FROM users" in s and "user_offices" in s]
    assert len(accounts) == 1
    assert "roles" in accounts[0]  # the role comes in the same statement
    assert not [s for s in statements if s.startswith("SELECT offices.id")]


def test_the_navbar_badges_are_one_statement_with_the_same_numbers(app, client, login_as):
    with app.app_context():
        prospect = make_prospect(db.session)
        clerk = make_user(db.session, "clerk", username="badge.clerk")
        db.session.flush()
        db.session.add(
            ChangeRequest(
                record_type="prospect",
                record_id=prospect.id,
                office_id=prospect.office_id,
                record_version=1,
                kind="update",
                changes={},
                reason="r",
                requested_by_id=clerk.id,
            )
        )
        db.session.add(
            Collision(
                prospect_id=prospect.id,
                office_id=prospect.office_id,
                claimant_id=clerk.id,
                name="李四",
                visited_on=prospect.created_at.date(),
                summary="s",
            )
        )
        db.session.commit()
        record_id = prospect.id
    login_as("supervisor")
    client.get(f"/admin/prospect/details/?id={record_id}")
    body, statements = _statements(app, client, f"/admin/prospect/details/?id={record_id}")
    counts = [s for s in statements if "FROM change_requests" in s and "FROM collisions" in s]
    assert len(counts) == 1
    assert not [s for s in statements if s.startswith("SELECT count(*) AS count_1 FROM collisions")]
    assert _badge(body, "approvals-badge") == "1"
    assert _badge(body, "collisions-badge") == "1"


def test_a_list_page_reads_each_kind_of_reference_once(app, client, login_as):
    with app.app_context():
        project = ref_item(db.session, "project")
        project_label = project.label
        source_label = ref_item(db.session, "source_channel", "walk_in").label  # the factory's
        for _ in range(3):
            make_prospect(db.session, project=project)
        db.session.commit()
    login_as("supervisor")
    client.get("/admin/prospect/")
    body, statements = _statements(app, client, "/admin/prospect/")
    references = [s for s in statements if s.startswith("SELECT reference_items.id")]
    assert len(references) == 1  # the source and the project: one query for both
    assert body.count(source_label) >= 3 and body.count(project_label) >= 3
    assert not [s for s in statements if "FROM reference_items WHERE reference_items.id = " in s]


def _card_with_buttons(app) -> tuple[int, int]:
    """A card whose consent is withdrawn, with a paper file here and one in another office,
    a waiting change and a scout proposal; returns (card id, this office's file id)."""
    with app.app_context():
        session = db.session
        prospect = make_prospect(session)
        clerk = make_user(session, "clerk", username="buttons.clerk")
        elsewhere = Office(name="城西办", kind="combined", active=True)
        session.add(elsewhere)
        session.flush()
        given = consents.record(
            session,
            clerk,
            subject_type="prospect",
            subject_id=prospect.id,
            basis="consent",
            purpose="购房咨询与回访",
            policy_version="2026-1",
        )
        session.flush()
        consents.withdraw(session, clerk, given.id, "客户来电要求不再联系")
        here = ArchiveFile(code="DA-0701", title="档案", room="一号", prospect_id=prospect.id)
        there = ArchiveFile(
            code="DA-0702",
            title="档案",
            room="一号",
            prospect_id=prospect.id,
            office_id=elsewhere.id,
        )
        session.add_all([here, there])
        grade = {"old": "B", "new": "A", "old_label": "B", "new_label": "A"}
        approvals.file_update(
            session,
            user=clerk,
            record_type="prospect",
            record=prospect,
            changes={"grade": grade},
            reason="升级",
        )
        scouts.propose_scout(session, clerk, prospect, "同行踩盘")
        session.commit()
        return prospect.id, here.id


def test_a_cards_buttons_are_one_statement(app, client, login_as):
    """The consent banner, the paper files and the changes waiting (with the scout
    proposal) above a card's fields: one statement (and the requests, when some wait), the
    same buttons."""
    record_id, file_id = _card_with_buttons(app)
    login_as("clerk")
    client.get(f"/admin/prospect/details/?id={record_id}")
    body, statements = _statements(app, client, f"/admin/prospect/details/?id={record_id}")
    buttons = [s for s in statements if "FROM consent_records" in s or "FROM archive_files" in s]
    assert len(buttons) == 1
    assert "FROM archive_files" in buttons[0] and "JOIN change_requests" in buttons[0]
    # The waiting requests themselves: one more statement, only as some are waiting.
    requests = [s for s in statements if s.startswith("SELECT change_requests.id, ")]
    assert len(requests) == 1 and "change_requests.id IN" in requests[0]
    # Besides these, change requests are read only by the navbar's counts.
    others = [s for s in statements if "change_requests" in s and s not in buttons + requests]
    assert others == [s for s in statements if "FROM collisions" in s]
    assert 'id="consent-withdrawn"' in body and 'id="print-card"' not in body
    assert f"/admin/archive_file/details/?id={file_id}" in body
    assert "DA-0701" in body and "DA-0702" not in body  # another office's file stays out
    assert 'id="pending-changes"' in body and body.count("测试buttons.clerk") >= 2
    assert 'id="scout-pending"' in body and 'id="scout-form"' not in body


def test_a_details_page_in_all(app, client, login_as):
    """Every statement of a plain card's details page, under TESTING (no lockdown or
    clearance cache): the lockdown, the account, the retention setting, the clearance
    (three), the card, its references, the navbar's counts, the buttons, the access event
    (three). 15 while the buttons were three statements."""
    with app.app_context():
        record_id = make_prospect(db.session).id
        db.session.commit()
    login_as("supervisor")
    client.get(f"/admin/prospect/details/?id={record_id}")
    _, statements = _statements(app, client, f"/admin/prospect/details/?id={record_id}")
    assert len(statements) == 13, statements
    assert not [s for s in statements if s.startswith("SELECT change_requests.id, ")]
