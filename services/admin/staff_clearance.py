"""Who may open customer data: the confidentiality agreement and training gate (issue 19;
售楼部客户信息管理制度 4.2 and 5.2: 保密制度, 定期培训).

The rule, in one function (``decide``): an account opens customer data only with

- a signed agreement of the *current* version (models/admin/staff.py), and
- a passed training session taken within the last N months (the office setting
  ``training_validity_months``, 12 by default), counted from the office's date
  (core.clock.office_today), never the machine clock.

A session taken on day D counts through the day before D + N months: on D + N months
("expired on" that day) the account is blocked again. A month end is kept: a session on
31 March with 1 month runs out on 30 April.

``clearance`` applies the rule to one account (the sign-in gate, views/admin/staff.py);
``statuses`` to many at once (the admin's home page, the compliance report): each account is
``cleared``, ``due`` (cleared, but the training runs out within ``due_within_days``) or
``blocked``. Either says what is missing and whom to ask (the active admin accounts).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import office_today
from models.admin.people import Role, User
from models.admin.staff import StaffAgreement, StaffAgreementVersion, TrainingRecord
from services.admin.office_settings import TRAINING_VALIDITY_MONTHS, value_of

#: What may be missing (``Missing.code``).
NO_AGREEMENT = "no_agreement"
OLD_VERSION = "old_version"
NO_TRAINING = "no_training"
TRAINING_EXPIRED = "training_expired"

#: An account's standing (``Clearance.status``).
CLEARED, DUE, BLOCKED = "cleared", "due", "blocked"
#: The admin's home page warns this many days before a training runs out.
DUE_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Missing:
    code: str
    #: The day the training ran out (TRAINING_EXPIRED only).
    on: date | None = None

    def text(self) -> str:
        """What is missing, in the user's language."""
        if self.code == NO_AGREEMENT:
            return _("No signed confidentiality agreement is on record.")
        if self.code == OLD_VERSION:
            return _(
                "The confidentiality agreement on record is an older version: the current one "
                "must be signed."
            )
        if self.code == NO_TRAINING:
            return _("No passed training on customer data is on record.")
        return _(
            "The training on customer data expired on %(day)s.",
            day=self.on.isoformat() if self.on else "",
        )


@dataclass(frozen=True)
class Clearance:
    user_id: int
    #: cleared, due or blocked.
    status: str
    missing: tuple[Missing, ...] = ()
    #: The day the last passed training runs out (None: none passed).
    training_expires_on: date | None = None
    #: The full names of the active admin accounts: whom to ask.
    ask: tuple[str, ...] = field(default=())

    @property
    def cleared(self) -> bool:
        return not self.missing


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, kept within the month's length (31 Mar + 1 = 30 Apr)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def validity_months(session: Session) -> int:
    return value_of(session, TRAINING_VALIDITY_MONTHS)


def decide(
    *,
    signed_version_ids: Iterable[int],
    current_version_id: int | None,
    last_passed_on: date | None,
    today: date,
    months: int,
    due_within_days: int = DUE_WITHIN_DAYS,
) -> tuple[str, tuple[Missing, ...], date | None]:
    """THE rule: (status, what is missing, the day the training runs out).

    ``signed_version_ids``: the versions the account signed on or before ``today``;
    ``last_passed_on``: its latest passed session on or before ``today``.
    """
    missing: list[Missing] = []
    signed = set(signed_version_ids)
    if current_version_id is None or current_version_id not in signed:
        missing.append(Missing(OLD_VERSION if signed else NO_AGREEMENT))
    expires_on = add_months(last_passed_on, months) if last_passed_on else None
    if expires_on is None:
        missing.append(Missing(NO_TRAINING))
    elif today >= expires_on:
        missing.append(Missing(TRAINING_EXPIRED, expires_on))
    if missing:
        return BLOCKED, tuple(missing), expires_on
    if expires_on - today <= timedelta(days=due_within_days):
        return DUE, (), expires_on
    return CLEARED, (), expires_on


def admins_to_ask(session: Session) -> tuple[str, ...]:
    """The active admin accounts' names, whom a blocked account asks."""
    return tuple(
        session.scalars(
            select(User.full_name)
            .join(Role, User.role_id == Role.id)
            .where(Role.code == "admin", User.active.is_(True))
            .order_by(User.id)
        )
    )


def current_version(session: Session) -> StaffAgreementVersion | None:
    return session.scalars(
        select(StaffAgreementVersion)
        .where(StaffAgreementVersion.current.is_(True))
        .order_by(StaffAgreementVersion.id.desc())
    ).first()


def clearance(
    session: Session, user: User, today: date | None = None, *, whom_to_ask: bool = True
) -> Clearance:
    """The rule applied to one account (see the module's docstring)."""
    return statuses(session, [user.id], today=today, whom_to_ask=whom_to_ask)[user.id]


def statuses(
    session: Session,
    user_ids: Iterable[int] | None = None,
    *,
    today: date | None = None,
    due_within_days: int = DUE_WITHIN_DAYS,
    whom_to_ask: bool = True,
) -> dict[int, Clearance]:
    """The rule applied to many accounts (None: every active account), by account id.

    For the admin's home page and the compliance report: ``status`` is cleared, due (the
    training runs out within ``due_within_days``) or blocked.
    """
    today = today or office_today()
    if user_ids is None:
        ids = list(session.scalars(select(User.id).where(User.active.is_(True)).order_by(User.id)))
    else:
        ids = list(dict.fromkeys(int(i) for i in user_ids))
    if not ids:
        return {}
    months = validity_months(session)
    version = current_version(session)
    signed: dict[int, set[int]] = {i: set() for i in ids}
    for user_id, version_id in session.execute(
        select(StaffAgreement.user_id, StaffAgreement.version_id).where(
            StaffAgreement.user_id.in_(ids), StaffAgreement.signed_on <= today
        )
    ):
        signed[user_id].add(version_id)
    last_passed = dict(
        session.execute(
            select(TrainingRecord.user_id, func.max(TrainingRecord.taken_on))
            .where(
                TrainingRecord.user_id.in_(ids),
                TrainingRecord.passed.is_(True),
                TrainingRecord.taken_on <= today,
            )
            .group_by(TrainingRecord.user_id)
        ).all()
    )
    ask = admins_to_ask(session) if whom_to_ask else ()
    result = {}
    for user_id in ids:
        status, missing, expires_on = decide(
            signed_version_ids=signed[user_id],
            current_version_id=version.id if version else None,
            last_passed_on=last_passed.get(user_id),
            today=today,
            months=months,
            due_within_days=due_within_days,
        )
        result[user_id] = Clearance(user_id, status, missing, expires_on, ask)
    return result


def due_and_blocked(
    session: Session, today: date | None = None
) -> tuple[list[tuple[User, Clearance]], list[tuple[User, Clearance]]]:
    """The active accounts due for training within DUE_WITHIN_DAYS, and those blocked now
    (the admin's home page), each with its clearance, by name."""
    found = statuses(session, today=today, whom_to_ask=False)
    users = {
        user.id: user for user in session.scalars(select(User).where(User.id.in_(list(found))))
    }
    ordered = sorted(found.values(), key=lambda c: (users[c.user_id].full_name, c.user_id))
    due = [(users[c.user_id], c) for c in ordered if c.status == DUE]
    blocked = [(users[c.user_id], c) for c in ordered if c.status == BLOCKED]
    return due, blocked
