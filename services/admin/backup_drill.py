"""The restore drill: the newest backup restored into a scratch database, its access-log chain
verified and its records counted, then the scratch copy removed.

The outcome is one access-log event (action ``restore_drill``, outcome ok/failed, the backup's
file name and the counts or the reason in its ``path`` field), so the drills need no table of
their own, are tamper-evident like every other event, and the admin's home page reads the last
one. A reason is a short sentence of ours or the tool's first error line, never row data.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from models.privacy.audit import AccessEvent
from services.admin import backup, backup_rotation
from services.privacy import audit

ACTION = "restore_drill"
DEFAULT_SCRATCH = "panel_restore_drill"


@dataclass(frozen=True)
class DrillResult:
    ok: bool
    backup_name: str | None
    events: int = 0
    records: int = 0
    reason: str | None = None

    @property
    def summary(self) -> str:
        name = self.backup_name or "-"
        if self.ok:
            return f"{name}: {self.events} events, {self.records} records"
        return f"{name}: {self.reason}"[:200]


@dataclass(frozen=True)
class LastDrill:
    at: datetime
    ok: bool
    summary: str | None


def run(database_uri: str, folder: Path, key: bytes, scratch_name: str) -> DrillResult:
    """Restore the newest backup in ``folder`` into a scratch database of the live database's
    kind, check it, and remove the scratch copy whatever happened."""
    latest = backup_rotation.newest(folder)
    if latest is None:
        return DrillResult(False, None, reason="no backup file found")
    url = make_url(database_uri)
    try:
        if url.get_backend_name() == "sqlite":
            with tempfile.TemporaryDirectory(prefix="panel-drill-") as tmp:  # mode 700
                target = Path(tmp) / "drill.db"
                backup.restore(latest, f"sqlite:///{target}", key)  # written mode 600
                events, records = _check(f"sqlite:///{target}")
        else:
            events, records = _drill_postgres(url, latest, key, scratch_name)
    except backup.BackupError as exc:
        return DrillResult(False, latest.name, reason=str(exc))
    except _ChainBroken as exc:
        return DrillResult(False, latest.name, reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - a drill reports every failure, never raises
        # The type only: a database error's text may quote statements and values.
        return DrillResult(False, latest.name, reason=f"{type(exc).__name__} during the drill")
    return DrillResult(True, latest.name, events, records)


class _ChainBroken(Exception):
    pass


def _drill_postgres(url, latest: Path, key: bytes, scratch_name: str) -> tuple[int, int]:
    if scratch_name == url.database:
        raise backup.BackupError("the scratch database name is the live database's name")
    maintenance = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quoted = '"' + scratch_name.replace('"', '""') + '"'
    try:
        with maintenance.connect() as conn:
            # A drill that died half-way may have left its scratch database behind.
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {quoted}"))
        try:
            target = url.set(database=scratch_name).render_as_string(hide_password=False)
            backup.restore(latest, target, key)
            return _check(target)
        finally:
            with maintenance.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        maintenance.dispose()


def _check(target_uri: str) -> tuple[int, int]:
    """Verify the restored access log; count the rows of every table the backup holds."""
    engine = create_engine(target_uri)
    try:
        with Session(engine) as session:
            result = audit.verify(session)
            if not result.ok:
                raise _ChainBroken(
                    f"access log does not verify: {result.problem} at event {result.first_bad_seq}"
                )
            names = [n for n in inspect(engine).get_table_names() if n != "alembic_version"]
            records = sum(
                session.scalar(select(func.count()).select_from(table(name))) or 0 for name in names
            )
            return result.checked, records
    finally:
        engine.dispose()


def record(session: Session, result: DrillResult) -> None:
    """The drill's outcome as an access-log event, in the caller's transaction."""
    audit.record(
        session,
        audit.SYSTEM,
        ACTION,
        record_type="backup",
        outcome="ok" if result.ok else "failed",
        path=result.summary,
    )


def last(session: Session, *, ok_only: bool = False) -> LastDrill | None:
    query = select(AccessEvent.at, AccessEvent.outcome, AccessEvent.path).where(
        AccessEvent.action == ACTION
    )
    if ok_only:
        query = query.where(AccessEvent.outcome == "ok")
    row = session.execute(
        query.order_by(AccessEvent.at.desc(), AccessEvent.seq.desc()).limit(1)
    ).first()
    return None if row is None else LastDrill(row.at, row.outcome == "ok", row.path)
