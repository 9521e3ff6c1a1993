"""PostgreSQL: an import analyses the small tables it fills that foreign keys point to, so
the checks of their rows are planned on what the tables hold
(services/shared/import_statistics.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from extensions import db
from models.property.property import Owner, Unit
from services.shared import import_statistics, importer
from tests.factories import make_user, ref_item
from tests.importing import write_xlsx

pytestmark = pytest.mark.instant()
CONSENT = importer.ConsentBasis("contract", "物业服务", "2026-01")
HEADERS = ["项目", "楼栋", "房号", "姓名", "与业主关系", "手机"]
UNITS = 1_200  # past the first step (1,000 rows) in units and owners


def test_each_watched_table_is_analysed_once_at_each_step(monkeypatch):
    monkeypatch.setattr(import_statistics, "small_targets", lambda conn, names: ["units"])
    stats = import_statistics.ImportStatistics()
    stats.wrote("units", 600)
    stats.wrote("name_search_tokens", 5_000)  # not a foreign key's target
    assert stats.due(None) == []
    stats.wrote("units", 400)
    assert stats.due(None) == ["units"]
    assert stats.due(None) == []
    stats.wrote("units", 8_500)
    assert stats.due(None) == []
    stats.wrote("units", 600)  # 10,100: the second step
    assert stats.due(None) == ["units"]
    stats.wrote("units", 1_000_000)  # past the last step at once: one more
    assert stats.due(None) == ["units"]
    stats.wrote("units", 1_000_000)
    assert stats.due(None) == []


@pytest.fixture
def pg(app):
    with app.app_context():
        conn = db.session.connection()
        if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg2":
            pytest.skip("the import's COPY and planner statistics are PostgreSQL's")
        ref_item(db.session, "project", "lakeside")
        db.session.commit()
        # as after a restore's ANALYZE, or autovacuum after the tables were emptied
        with db.engine.connect() as other:
            other.execute(text("ANALYZE units, owners, ownerships, household_members"))
            other.commit()
        yield db.session
        db.session.rollback()


def _reltuples(table: str) -> float:
    with db.engine.connect() as other:  # pg_class's statistics are updated in place
        return other.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})


def _import(s, tmp_path):
    rows = [["lakeside", f"{n // 100}栋", f"{n % 100}01", f"业主{n}", "本人", f"139{n:08d}"]
            for n in range(UNITS)]  # fmt: skip
    path = write_xlsx(tmp_path / "units.xlsx", rows, HEADERS)
    return importer.import_file(
        s,
        make_user(s, "clerk"),
        path,
        importer.guess_mapping(HEADERS, "unit"),
        skip_rejected=False,
        kind="unit",
        consent=CONSENT,
    )


def _lock_timeout(s) -> str:
    return s.connection().exec_driver_sql("SHOW lock_timeout").scalar()


@pytest.mark.parametrize("lock_timeout", [None, "5s"])
def test_an_import_analyses_the_small_tables_it_fills(pg, tmp_path, lock_timeout):
    if lock_timeout:
        pg.connection().exec_driver_sql(f"SET LOCAL lock_timeout = '{lock_timeout}'")
    before = _lock_timeout(pg)
    assert _reltuples("units") < 1_000
    outcome = _import(pg, tmp_path)
    assert outcome.inserted == UNITS
    # counted by ANALYZE in the import's transaction, before it commits
    assert _reltuples("units") >= 1_000 and _reltuples("owners") >= 1_000
    assert _lock_timeout(pg) == before  # as the import found it
    pg.commit()
    assert pg.scalar(select(func.count(Unit.id))) == UNITS


def test_a_table_whose_statistics_are_locked_is_left_out(pg, tmp_path):
    # Another session analyses the units: the import waits a moment, leaves them and goes on.
    with db.engine.connect() as other:
        other.execute(text("LOCK TABLE units IN SHARE UPDATE EXCLUSIVE MODE"))
        before, timeout = _reltuples("units"), _lock_timeout(pg)
        outcome = _import(pg, tmp_path)
        assert outcome.inserted == UNITS
        assert _reltuples("units") == before  # left out
        assert _reltuples("owners") >= 1_000
        assert _lock_timeout(pg) == timeout
        other.rollback()
    pg.commit()
    assert pg.scalar(select(func.count(Owner.id))) == UNITS


def test_a_table_only_a_key_check_points_to_is_watched(pg, monkeypatch):
    """A key checked per statement (models/shared/key_checks.py) has no foreign key on
    PostgreSQL; its table's look-up is planned with its statistics all the same."""
    from models.shared import key_checks

    names = ["leases", "units"]  # nothing points to leases
    assert import_statistics.small_targets(pg.connection(), names) == ["units"]
    pretend = key_checks.CheckedKey("prospects", "office_id", "leases", "RESTRICT")
    monkeypatch.setattr(key_checks, "KEYS", [*key_checks.KEYS, pretend])
    assert sorted(import_statistics.small_targets(pg.connection(), names)) == names
