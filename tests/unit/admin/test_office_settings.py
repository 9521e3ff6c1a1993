"""The office settings: the default while no row is stored (the instance config's, else the
table's), the admin's change bounded, with a reason, against the version shown, recorded in
the change history and the access log; the rules that read them (SQLite and PostgreSQL)."""

from __future__ import annotations

import runpy
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from models.admin.office_settings import OfficeSetting
from models.privacy.audit import AccessEvent
from models.shared.approvals import RecordHistory
from services.admin import office_settings as settings
from services.archive import archive_recheck
from services.care import complaints
from services.privacy import audit
from tests.factories import make_user

# Fixed dates below were written for this instant (2026-11-25, a Wednesday, in Shanghai).
pytestmark = pytest.mark.instant()

RECHECK, ANSWER = settings.ARCHIVE_RECHECK_DAYS, settings.COMPLAINT_ANSWER_WORKDAYS


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def admin(ctx):
    return make_user(ctx, "admin", full_name="管理员")


def _actor(user) -> audit.Actor:
    return audit.Actor(user.id, user.username, user.role_code)


def _change(session, user, key, value, reason="办公室决定", version=0):
    return settings.change(session, user, _actor(user), key, value, reason, version)


def test_every_setting_has_a_bounded_default_and_the_migration_wrote_the_same():
    for setting in settings.SETTINGS.values():
        assert setting.low <= setting.default <= setting.high
    assert {s.number for s in settings.SETTINGS.values()} == set(settings.BY_NUMBER)
    assert (settings.SETTINGS[RECHECK].low, settings.SETTINGS[RECHECK].high) == (30, 730)
    assert (settings.SETTINGS[ANSWER].low, settings.SETTINGS[ANSWER].high) == (1, 30)
    frozen = {}
    # The first settings came with their own migration, the ownership rules' with theirs.
    for name in (
        "*_p7e1c0de30a7_office_settings.py",
        "*_r7e1c0de32c9_ownership.py",
        "*_v7e1c0de36a1_staff_agreements.py",
    ):
        migration = next(Path("migrations/versions").glob(name))
        frozen.update(runpy.run_path(str(migration))["DEFAULT_VALUES"])
    assert frozen == {key: setting.default for key, setting in settings.SETTINGS.items()}


def test_without_a_row_the_default_is_the_configs_else_the_tables(app, ctx):
    assert settings.value_of(ctx, RECHECK) == 180
    assert settings.value_of(ctx, ANSWER) == 5
    app.config["ARCHIVE_RECHECK_DAYS"] = 90
    saved = app.config.pop("COMPLAINT_ANSWER_WORKDAYS")
    try:
        assert settings.value_of(ctx, RECHECK) == 90
        assert settings.value_of(ctx, ANSWER) == 5  # not configured: the table's default
        assert archive_recheck.interval(ctx) == 90
    finally:
        app.config["ARCHIVE_RECHECK_DAYS"] = 180
        app.config["COMPLAINT_ANSWER_WORKDAYS"] = saved


def test_a_stored_value_wins_over_the_config(app, ctx):
    ctx.add(OfficeSetting(key=RECHECK, value=365, version=1))
    ctx.flush()
    app.config["ARCHIVE_RECHECK_DAYS"] = 90
    try:
        assert settings.value_of(ctx, RECHECK) == 365
        assert archive_recheck.interval(ctx) == 365
    finally:
        app.config["ARCHIVE_RECHECK_DAYS"] = 180


def test_only_the_admin_changes_within_bounds_and_with_a_reason(ctx, admin):
    supervisor = make_user(ctx, "supervisor")
    with pytest.raises(settings.SettingError):
        _change(ctx, supervisor, RECHECK, 90)
    with pytest.raises(settings.SettingError, match="没有这项设置"):
        _change(ctx, admin, "bogus", 90)
    with pytest.raises(settings.SettingError, match="30 至 730 天"):
        _change(ctx, admin, RECHECK, 29)
    with pytest.raises(settings.SettingError, match="30 至 730 天"):
        _change(ctx, admin, RECHECK, 731)
    with pytest.raises(settings.SettingError, match="1 至 30 个工作日"):
        _change(ctx, admin, ANSWER, 0)
    with pytest.raises(settings.SettingError, match="原因"):
        _change(ctx, admin, RECHECK, 90, reason="  ")
    assert _change(ctx, admin, RECHECK, 180, reason="") is False  # the value already set
    assert ctx.scalar(select(OfficeSetting)) is None
    assert ctx.scalar(select(RecordHistory)) is None


def test_a_change_is_stored_recorded_and_logged(ctx, admin):
    assert _change(ctx, admin, RECHECK, 90, reason="季度复核") is True
    ctx.commit()
    row = ctx.get(OfficeSetting, RECHECK)
    assert (row.value, row.version, row.updated_by_id) == (90, 1, admin.id)
    assert settings.value_of(ctx, RECHECK) == 90
    (entry,) = ctx.scalars(select(RecordHistory)).all()
    assert entry.record_type == "office_setting" and entry.record_id == 1
    assert entry.changes == {RECHECK: {"old": 180, "new": 90}}
    assert entry.note == "季度复核" and entry.actor_id == admin.id
    event = ctx.scalars(
        select(AccessEvent).where(AccessEvent.record_type == "office_setting")
    ).one()
    assert (event.action, event.record_id, event.user_id) == ("update", 1, admin.id)
    assert settings.last_changes(ctx)[RECHECK].id == entry.id

    # The next change quotes version 1 and raises it.
    assert _change(ctx, admin, RECHECK, 120, version=1) is True
    ctx.commit()
    assert (ctx.get(OfficeSetting, RECHECK).value, ctx.get(OfficeSetting, RECHECK).version) == (
        120,
        2,
    )
    assert settings.last_changes(ctx)[RECHECK].changes == {RECHECK: {"old": 90, "new": 120}}


def test_a_page_shown_before_anothers_change_cannot_overwrite_it(ctx, admin):
    other = make_user(ctx, "admin")
    ctx.add(OfficeSetting(key=ANSWER, value=5, version=1))
    ctx.commit()
    assert _change(ctx, other, ANSWER, 3, version=1) is True
    ctx.commit()
    with pytest.raises(settings.SettingError, match="已被他人修改"):
        _change(ctx, admin, ANSWER, 7, version=1)
    # Nor a page shown while no row existed.
    with pytest.raises(settings.SettingError, match="已被他人修改"):
        _change(ctx, admin, ANSWER, 7, version=0)
    ctx.rollback()
    assert settings.value_of(ctx, ANSWER) == 3
    assert len(ctx.scalars(select(RecordHistory)).all()) == 1


def test_the_complaints_due_date_follows_the_setting(ctx, admin):
    # Friday 20 November: five working days -> Fri 27; two -> Tue 24.
    assert complaints.answer_workdays(ctx) == 5
    assert complaints.due_date(ctx, date(2026, 11, 20)) == date(2026, 11, 27)
    _change(ctx, admin, ANSWER, 2, reason="提速")
    ctx.flush()
    assert complaints.answer_workdays(ctx) == 2
    assert complaints.due_date(ctx, date(2026, 11, 20)) == date(2026, 11, 24)
