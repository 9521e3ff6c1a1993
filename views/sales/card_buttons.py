"""What the buttons above a welcome card's fields read, in one statement (issue 21).

The card's details page shows, above its fields, the consent banner (and, with it, whether
the print button is offered), the links to the card's paper files, and the changes waiting
for approval (among them a scout proposal, views/sales/scouts.py). Each was a statement of
its own; here they are one, read once a request (``CardButtonsMixin.card_buttons``):

- the consent rule of services/privacy/consent.py ``is_withdrawn`` (at least one consent
  row, every one withdrawn), as a one-row aggregate the rest is joined to;
- the paper files of the account's offices (views/archive/archives.py
  ``paper_file_links``: same office clause, same order, same limit), read only when the
  role may open a paper file's details page, the only use of them on this page;
- the ids of the card's pending change requests (services/shared/approvals.py
  ``pending_for_record``), read only when the view is gated; the requests themselves are a
  second statement, sent only when some are waiting (most cards have none).

The files and the requests are joined side by side (each file beside each request), so a
card with files and requests has files x requests rows: at most 20 files and a card's few
waiting requests. Each is taken once, in its order. Plain columns, no ORM entity: the
statement is built once (per record type, role's reads and offices seen) and sent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Integer, Select, and_, bindparam, func, select, true

from core import access
from extensions import db
from models.archive.archives import ArchiveFile
from models.privacy.privacy import ConsentRecord
from models.shared.approvals import ChangeRequest
from services.admin.offices import office_clause, visible_office_ids
from views.shared.mixins.rights import current_role

#: As views/archive/archives.py ``paper_file_links``.
PAPER_FILE_LIMIT = 20


@dataclass(frozen=True)
class CardButtons:
    #: The card's consent is withdrawn (the banner; no print button).
    withdrawn: bool
    #: The card's paper files of the account's offices, as (id, code) by code.
    paper_files: list[tuple[int, str]]
    #: The card's change requests waiting for a decision, oldest first.
    pending: list[ChangeRequest]


#: The statements, built once per (record type, files read, requests read, offices seen) and
#: sent again with the card's id: building one costs more than running it.
_STATEMENTS: dict[tuple, Select] = {}
_STATEMENTS_KEPT = 256


def _statement(subject_type: str, files: bool, pending: bool) -> Select:
    offices = visible_office_ids(current_user) if files else None
    key = (subject_type, files, pending, offices)
    statement = _STATEMENTS.get(key)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_KEPT:
            _STATEMENTS.clear()
        statement = _STATEMENTS[key] = _build(subject_type, files, pending)
    return statement


def _build(subject_type: str, files: bool, pending: bool) -> Select:
    card_id = bindparam("card_id", type_=Integer)
    consent = (
        select(
            func.count().label("given"),
            func.count(ConsentRecord.withdrawn_at).label("withdrawn"),
        )
        .where(ConsentRecord.subject_type == subject_type, ConsentRecord.subject_id == card_id)
        .subquery("consent")
    )
    columns = [consent.c.given, consent.c.withdrawn]
    joined = consent
    order = []
    if pending:
        columns.append(ChangeRequest.id.label("request_id"))
        joined = joined.outerjoin(
            ChangeRequest,
            and_(
                ChangeRequest.record_type == subject_type,
                ChangeRequest.record_id == card_id,
                ChangeRequest.status == "pending",
            ),
        )
        order += [ChangeRequest.requested_at, ChangeRequest.id]
    if files:
        paper = (
            select(ArchiveFile.id, ArchiveFile.code)
            .where(
                ArchiveFile.prospect_id == card_id,
                office_clause(ArchiveFile.office_id, current_user),
            )
            .order_by(ArchiveFile.code)
            .limit(PAPER_FILE_LIMIT)
            .subquery("paper")
        )
        columns += [paper.c.id.label("file_id"), paper.c.code.label("file_code")]
        joined = joined.outerjoin(paper, true())
        order.append(paper.c.code)
    return select(*columns).select_from(joined).order_by(*order)


def read_card_buttons(
    session, subject_type: str, card_id: int, *, files: bool, pending: bool
) -> CardButtons:
    rows = session.execute(_statement(subject_type, files, pending), {"card_id": card_id}).all()
    given, withdrawn = rows[0].given, rows[0].withdrawn
    request_ids: dict[int, None] = {}
    paper_files: dict[int, str] = {}
    for row in rows:
        if pending and row.request_id is not None:
            request_ids.setdefault(row.request_id)
        if files and row.file_id is not None:
            paper_files.setdefault(row.file_id, row.file_code)
    requests: list[ChangeRequest] = []
    if request_ids:
        # Only a card with changes waiting: the requests themselves (their fields and who
        # asked), in the order the statement gave them.
        requests = list(
            session.scalars(
                select(ChangeRequest)
                .where(ChangeRequest.id.in_(list(request_ids)))
                .order_by(ChangeRequest.requested_at, ChangeRequest.id)
            )
        )
    return CardButtons(
        withdrawn=given > 0 and given == withdrawn,
        paper_files=list(paper_files.items()),
        pending=requests,
    )


class CardButtonsMixin:
    """The welcome card view's consent banner, paper-file links and waiting changes, from
    one statement a request. Relies on ``access_key``, ``consent_bases`` and ``is_gated``
    (views/shared/base.py SecureModelView)."""

    def card_buttons(self, model) -> CardButtons:
        known = g.setdefault("card_buttons", {})
        if model.id not in known:
            known[model.id] = read_card_buttons(
                db.session,
                self.access_key,
                model.id,
                # The links are shown only to roles that may open a paper file
                # (views/shared/mixins/links.py allowed_related_links).
                files=access.can(current_role(), "archive_file", access.DETAILS),
                pending=self.is_gated,
            )
        return known[model.id]

    def consent_withdrawn(self, model) -> bool:
        return bool(self.consent_bases) and self.card_buttons(model).withdrawn

    def pending_requests(self, model) -> list:
        return self.card_buttons(model).pending if self.is_gated else []

    def paper_file_links(self, model) -> list[tuple[str, str, dict]]:
        """As views/archive/archives.py ``paper_file_links`` for the card."""
        return [
            (_l("Paper file %(code)s", code=code), "archive_file.details_view", {"id": file_id})
            for file_id, code in self.card_buttons(model).paper_files
        ]
