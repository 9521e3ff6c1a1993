"""What every signed-in page sends besides its own work (issue 21, per-request cost): the
account with its role and offices in one statement, the navbar's badges in one, a list's
many-to-one references one query per kind of record; the numbers shown stay the same."""

from __future__ import annotations

import re

from sqlalchemy import event

from extensions import db
from models.sales.ownership import Collision
from models.shared.approvals import ChangeRequest
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
