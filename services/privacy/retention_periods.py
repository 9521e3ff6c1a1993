"""How long each kind of record is kept: the kinds of the retention review, the policy's
default periods and reasons, and the admin's setting (``retention_periods``).

A kind without a stored row keeps its default here (the migration wrote the same defaults),
so the review never runs without a period. Changing a period is the admin's, bounded per
kind, with a reason; each change goes to the change history and the access log.
docs/privacy-requests.md explains the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.admin.people import User
from models.base import utcnow
from models.privacy.retention import RetentionPeriod
from models.shared.approvals import RecordHistory
from services.privacy import audit

#: The record_type of the period rows in the change history and the access log.
PERIOD_RECORD = "retention_period"
#: Most characters of the reason given for changing a period.
REASON_MAX = 500


@dataclass(frozen=True)
class Kind:
    code: str
    #: What the records are, as the page names them.
    label: object
    #: The day the period runs from.
    counted_from: object
    #: What the run does to them.
    outcome: object
    #: Why the default period (the policy or the law).
    reason: object
    default_days: int
    min_days: int
    max_days: int


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind(
            "prospect",
            _l("Welcome cards never signed"),
            _l("the last contact"),
            _l("anonymised: names and numbers cleared, the statistics stay"),
            _l(
                "Three years: a buyer not signed and not contacted for three years is no "
                "longer followed up; data is kept no longer than its purpose needs (PIPL "
                "art. 19, GB/T 35273 6.1)."
            ),
            3 * 365,
            180,
            10 * 365,
        ),
        Kind(
            "owner",
            _l("Past owners"),
            _l("the end of their last ownership"),
            _l("anonymised: names and numbers cleared, the statistics stay"),
            _l(
                "Three years: claims from the ownership (fees, repairs, deposits) lapse after "
                "three years (Civil Code art. 188); a current owner is never listed."
            ),
            3 * 365,
            365,
            10 * 365,
        ),
        Kind(
            "tenant",
            _l("Ended tenancies"),
            _l("the end of their last lease"),
            _l("anonymised: names and numbers cleared, the statistics stay"),
            _l(
                "Three years: claims from the lease (rent, fees, deposit, damage) lapse after "
                "three years (Civil Code art. 188); a tenant with a lease not ended is never "
                "listed."
            ),
            3 * 365,
            365,
            10 * 365,
        ),
        Kind(
            "dealer",
            _l("Dealers never signed"),
            _l("the last visit"),
            _l("anonymised: the contact's name and numbers, the files' and visits' texts"),
            _l(
                "Two years: a potential dealer not visited for two years is no longer "
                "worked, and the contact person's data has no purpose left (PIPL art. 19); "
                "a signed dealer is never listed."
            ),
            2 * 365,
            365,
            10 * 365,
        ),
        Kind(
            "visit",
            _l("Observation notes of receptions"),
            _l("the reception"),
            _l("observations cleared: date, channel, consultant and summary stay"),
            _l(
                "Two years: appearance, character and finances are the most intrusive notes "
                "and serve the sale, decided well within two years (GB/T 35273 6.1: no more "
                "than needed)."
            ),
            2 * 365,
            180,
            10 * 365,
        ),
        Kind(
            "access_log",
            _l("Access log"),
            _l("the event"),
            _l("events deleted; the deletion itself is logged"),
            _l(
                "Three years: the Cybersecurity Law (art. 21) asks network logs be kept at "
                "least six months, PIPL art. 56 asks records of processing be kept at least "
                "three years; never less than six months."
            ),
            3 * 365,
            180,
            10 * 365,
        ),
    )
}


class RetentionError(ValueError):
    """The step is not allowed now or by this person; the message is for the user."""


# --- periods --------------------------------------------------------------------------------
def periods(session: Session) -> dict[str, int]:
    """Days per kind: the admin's setting, the default where none is stored."""
    stored = dict(session.execute(select(RetentionPeriod.kind, RetentionPeriod.days)).all())
    return {code: stored.get(code, kind.default_days) for code, kind in KINDS.items()}


def cutoff_for(today: date, days: int) -> date:
    """Records whose day is before this date are past their period."""
    return today - timedelta(days=days)


def set_periods(
    session: Session,
    user: User,
    actor,
    wanted: dict[str, int],
    seen: dict[str, int],
    reason: str,
) -> list[str]:
    """Store the admin's new periods (the kinds whose value differs from what the page
    showed); each change goes to the change history with the reason and to the access log.
    A period someone else changed since the page was shown is refused, nothing is written.
    """
    if not user.has_role("admin"):
        raise RetentionError(_("only an admin sets the retention periods"))
    reason = (reason or "").strip()
    changed = [code for code in KINDS if code in wanted and wanted[code] != seen.get(code)]
    if not changed:
        return []
    if not reason:
        raise RetentionError(_("write why the periods change"))
    current = periods(session)
    for code in changed:
        kind, days = KINDS[code], wanted[code]
        if not kind.min_days <= days <= kind.max_days:
            raise RetentionError(
                _(
                    "%(kind)s: between %(low)s and %(high)s days.",
                    kind=kind.label,
                    low=kind.min_days,
                    high=kind.max_days,
                )
            )
        if current[code] != seen.get(code):
            raise RetentionError(
                _(
                    "%(kind)s was changed meanwhile (now %(days)s days): look again.",
                    kind=kind.label,
                    days=current[code],
                )
            )
    for code in changed:
        row_id = _store_period(session, user, code, seen[code], wanted[code])
        session.add(
            RecordHistory(
                record_type=PERIOD_RECORD,
                record_id=row_id,
                event="updated",
                actor_id=user.id,
                changes={"days": {"old": current[code], "new": wanted[code]}},
                note=reason[:REASON_MAX],
            )
        )
        audit.record(session, actor, "update", record_type=PERIOD_RECORD, record_id=row_id)
    return changed


def _store_period(session: Session, user: User, code: str, seen: int, days: int) -> int:
    # Conditional on the value the page showed: of two admins saving at once, one wins.
    row_id = session.scalar(select(RetentionPeriod.id).where(RetentionPeriod.kind == code))
    if row_id is None:
        row = RetentionPeriod(kind=code, days=days, updated_by_id=user.id)
        session.add(row)
        session.flush()
        return row.id
    done = session.execute(
        update(RetentionPeriod)
        .where(RetentionPeriod.id == row_id, RetentionPeriod.days == seen)
        .values(days=days, updated_by_id=user.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise RetentionError(
            _("%(kind)s was changed meanwhile: look again.", kind=KINDS[code].label)
        )
    return row_id


def period_history(session: Session, limit: int = 20) -> list[tuple[RecordHistory, str]]:
    """The latest changes of the periods, newest first, with the kind each was about."""
    kinds = dict(session.execute(select(RetentionPeriod.id, RetentionPeriod.kind)).all())
    entries = session.scalars(
        select(RecordHistory)
        .where(RecordHistory.record_type == PERIOD_RECORD)
        .order_by(RecordHistory.at.desc(), RecordHistory.id.desc())
        .limit(limit)
    ).all()
    return [(entry, kinds.get(entry.record_id, "")) for entry in entries]
