"""Flagging a welcome card as a competitor's scout (踩盘).

The consultant tells the supervisor, and the flag is set only once the supervisor agrees:
proposing files a change request of ``is_scout`` False → True through services/shared/approvals.py,
so it waits in the approvals queue with its reason, the requester cannot decide it, and the
approver's approval sets the flag (services/shared/approval_policy.py gates it for every role).
Scouts are then left out of the weekly B/C count, the follow-up lists and the day's cards.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from models.admin.people import User
from models.sales.prospects import Prospect
from models.shared.approvals import ChangeRequest
from services.shared import approvals

RECORD_TYPE = "prospect"
FIELD = "is_scout"
#: How the flag reads on pages and in the request's stored labels.
SCOUT_LABEL = _l("Competitor's scout")
NOT_SCOUT_LABEL = _l("Not a scout")


class AlreadyScout(approvals.ApprovalError):
    code = "already_scout"


def propose_scout(session: Session, user: User, prospect: Prospect, reason: str) -> ChangeRequest:
    """File the request to flag ``prospect`` as a scout, for a supervisor to confirm.

    Raises MissingReason (no reason given), AlreadyScout (the card is flagged already) and
    DuplicatePending (a proposal, or another change of the flag, is already waiting).
    Flushes; the caller commits.
    """
    if not (reason or "").strip():
        raise approvals.MissingReason("a scout proposal needs a reason")
    if prospect.is_scout:
        raise AlreadyScout("the card is already flagged as a scout")
    return approvals.file_update(
        session,
        user=user,
        record_type=RECORD_TYPE,
        record=prospect,
        changes={
            FIELD: {
                "old": False,
                "new": True,
                "old_label": str(NOT_SCOUT_LABEL),
                "new_label": str(SCOUT_LABEL),
            }
        },
        reason=reason,
    )


def pending_proposal(
    session: Session, prospect_id: int, pending: list[ChangeRequest] | None = None
) -> ChangeRequest | None:
    """The waiting request that would flag the card, if any. ``pending``: the card's waiting
    requests when the caller has read them already (its details page shows them)."""
    if pending is None:
        pending = approvals.pending_for_record(session, RECORD_TYPE, prospect_id)
    for request in pending:
        if FIELD in (request.changes or {}):
            return request
    return None
