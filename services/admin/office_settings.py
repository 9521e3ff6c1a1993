"""The office's settings the admin sets (``office_settings``): how often a paper file is
rechecked, how many working days a complaint's answer may take.

``SETTINGS`` is the one table of known settings: label, unit, default, bounds and why the
default. ``value_of`` is what the rules read: the stored value, else the default. The default
is the instance configuration's value when it sets one (ARCHIVE_RECHECK_DAYS,
COMPLAINT_ANSWER_WORKDAYS in config.py or instance/config.py), else the table's; once a row
exists (the migration writes one per setting) the configuration no longer matters.

Changing a setting is the admin's, bounded per setting, with a reason, against the version
the page showed (of two admins saving at once, one wins; the other is told to look again);
each change goes to the change history and the access log, like the retention periods
(services/privacy/retention_periods.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.admin.office_settings import OfficeSetting
from models.admin.people import User
from models.base import utcnow
from models.shared.approvals import RecordHistory
from services.privacy import audit

#: The record_type of the settings in the change history and the access log.
SETTING_RECORD = "office_setting"
#: Most characters of the reason given for a change.
REASON_MAX = 500

ARCHIVE_RECHECK_DAYS = "archive_recheck_days"
COMPLAINT_ANSWER_WORKDAYS = "complaint_answer_workdays"
PROTECTION_DAYS = "protection_days"
DAILY_CLAIM_LIMIT = "daily_claim_limit"
COLLISION_WINDOW_DAYS = "collision_window_days"
TRAINING_VALIDITY_MONTHS = "training_validity_months"


@dataclass(frozen=True)
class Setting:
    key: str
    #: The setting's number in the change history and the access log, whose record ids are
    #: integers (the table's key is the text ``key``). Never reused.
    number: int
    label: object
    #: What the number counts, as the page says it.
    unit: object
    default: int
    low: int
    high: int
    #: Why the default and the bounds.
    why: object
    #: The configuration value that, where an instance sets it, is the default instead.
    config_name: str


SETTINGS: dict[str, Setting] = {
    setting.key: setting
    for setting in (
        Setting(
            ARCHIVE_RECHECK_DAYS,
            1,
            _l("Paper files' recheck interval"),
            _l("days"),
            180,
            30,
            730,
            _l(
                "Twice a year: the policy asks the files be sorted and rechecked regularly "
                "(定期整理复核最新客户档案资料); a file is due this many days after its last "
                "check. At least monthly work, at most every two years."
            ),
            "ARCHIVE_RECHECK_DAYS",
        ),
        Setting(
            COMPLAINT_ANSWER_WORKDAYS,
            2,
            _l("Complaints' answer time"),
            _l("working days"),
            5,
            1,
            30,
            _l(
                "One working week: the policy asks complaints be handled promptly (及时处理); "
                "counted on the Chinese calendar from the day received. Applies to complaints "
                "registered or re-dated after the change."
            ),
            "COMPLAINT_ANSWER_WORKDAYS",
        ),
        Setting(
            PROTECTION_DAYS,
            3,
            _l("Customer protection period"),
            _l("days"),
            15,
            3,
            180,
            _l(
                "A consultant's customer with no visit or follow-up for this many days goes "
                "back to the office's public pool (保护期), checked every night. Two weeks gives "
                "the 3-to-5-day first follow-up and one more call room."
            ),
            "PROTECTION_DAYS",
        ),
        Setting(
            DAILY_CLAIM_LIMIT,
            4,
            _l("Claims from the public pool per day"),
            _l("customers"),
            5,
            1,
            100,
            _l(
                "How many customers one consultant may take from the public pool in one day, "
                "so the pool is shared and not emptied by the first to look."
            ),
            "DAILY_CLAIM_LIMIT",
        ),
        Setting(
            COLLISION_WINDOW_DAYS,
            5,
            _l("Collision window"),
            _l("days"),
            30,
            1,
            365,
            _l(
                "Registering a phone another consultant's card holds is a collision (撞单) for "
                "the supervisor to rule when that card was worked within this many days; an "
                "older card goes to the consultant who registered the customer again."
            ),
            "COLLISION_WINDOW_DAYS",
        ),
        Setting(
            TRAINING_VALIDITY_MONTHS,
            6,
            _l("Staff training validity"),
            _l("months"),
            12,
            1,
            36,
            _l(
                "An account opens customer data only with passed training this recent "
                "(定期培训): counted from the session's day, "
                "the training runs out on the same day this many months later."
            ),
            "TRAINING_VALIDITY_MONTHS",
        ),
    )
}
BY_NUMBER = {setting.number: setting for setting in SETTINGS.values()}


class SettingError(ValueError):
    """The change is not allowed now or by this person; the message is for the user."""


def default_of(key: str) -> int:
    """The value used while no row is stored: the instance configuration's, else the table's."""
    setting = SETTINGS[key]
    if has_app_context():
        configured = current_app.config.get(setting.config_name)
        if configured is not None:
            return int(configured)
    return setting.default


def value_of(session: Session, key: str) -> int:
    """The setting's value: the admin's stored one, else the default."""
    stored = session.scalar(select(OfficeSetting.value).where(OfficeSetting.key == key))
    return default_of(key) if stored is None else int(stored)


@dataclass(frozen=True)
class Current:
    """One setting as the page shows it."""

    setting: Setting
    value: int
    #: What a change must quote; 0 while no row is stored.
    version: int
    row: OfficeSetting | None


def current(session: Session) -> list[Current]:
    """Every known setting with its value and version, in the table's order."""
    rows = {row.key: row for row in session.scalars(select(OfficeSetting))}
    return [
        Current(
            setting,
            rows[key].value if key in rows else default_of(key),
            rows[key].version if key in rows else 0,
            rows.get(key),
        )
        for key, setting in SETTINGS.items()
    ]


def change(
    session: Session,
    user: User,
    actor: audit.Actor,
    key: str,
    value: int,
    reason: str,
    expected_version: int,
) -> bool:
    """Store the admin's new value of one setting; False when it is the value already set.

    Refused, nothing written: not the admin, an unknown setting, a value out of bounds, no
    reason, or a setting changed since the page (``expected_version``) was shown.
    """
    if not user.has_role("admin"):
        raise SettingError(_("only an admin changes the office settings"))
    setting = SETTINGS.get(key)
    if setting is None:
        raise SettingError(_("There is no such setting."))
    if not setting.low <= value <= setting.high:
        raise SettingError(
            _(
                "%(setting)s: between %(low)s and %(high)s %(unit)s.",
                setting=setting.label,
                low=setting.low,
                high=setting.high,
                unit=setting.unit,
            )
        )
    row = session.scalar(select(OfficeSetting).where(OfficeSetting.key == key))
    old = row.value if row is not None else default_of(key)
    if (row.version if row is not None else 0) != expected_version:
        raise _stale(setting, old)
    if value == old:
        return False
    reason = (reason or "").strip()
    if not reason:
        raise SettingError(_("write why the setting changes"))
    _store(session, user, setting, row, expected_version, value)
    session.add(
        RecordHistory(
            record_type=SETTING_RECORD,
            record_id=setting.number,
            event="updated",
            actor_id=user.id,
            changes={key: {"old": old, "new": value}},
            note=reason[:REASON_MAX],
        )
    )
    audit.record(session, actor, "update", record_type=SETTING_RECORD, record_id=setting.number)
    return True


def _stale(setting: Setting, now: int) -> SettingError:
    return SettingError(
        _(
            "%(setting)s was changed meanwhile (now %(value)s %(unit)s): look again.",
            setting=setting.label,
            value=now,
            unit=setting.unit,
        )
    )


def _store(
    session: Session, user: User, setting: Setting, row, expected_version: int, value: int
) -> None:
    if row is None:
        # No row yet (a database built without the migration): the first save inserts it; of
        # two admins inserting at once, the second hits the primary key and looks again.
        try:
            with session.begin_nested():
                session.add(
                    OfficeSetting(key=setting.key, value=value, version=1, updated_by_id=user.id)
                )
                session.flush()
        except IntegrityError:
            raise _stale(setting, value_of(session, setting.key)) from None
        return
    # Conditional on the version the page showed: of two admins saving at once, one wins.
    done = session.execute(
        update(OfficeSetting)
        .where(OfficeSetting.key == setting.key, OfficeSetting.version == expected_version)
        .values(
            value=value,
            version=expected_version + 1,
            updated_by_id=user.id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise _stale(setting, value_of(session, setting.key))
    session.expire(row)


def last_changes(session: Session) -> dict[str, RecordHistory]:
    """The latest change of each setting (its history entry), by key."""
    entries = session.scalars(
        select(RecordHistory)
        .where(RecordHistory.record_type == SETTING_RECORD)
        .order_by(RecordHistory.at.desc(), RecordHistory.id.desc())
    )
    latest: dict[str, RecordHistory] = {}
    for entry in entries:
        setting = BY_NUMBER.get(entry.record_id)
        if setting is not None and setting.key not in latest:
            latest[setting.key] = entry
        if len(latest) == len(SETTINGS):
            break
    return latest
