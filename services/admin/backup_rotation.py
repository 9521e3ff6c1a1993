"""Which backup files to keep: the newest backup of each of the last 7 days, 4 weeks and
12 months that have one (grandfather-father-son; the numbers are configurable).

Counting periods *that have a backup* (not calendar periods back from today) means a panel
whose backups stopped for a month still keeps its last ones instead of pruning them all away.
A backup is dated by the office day (Beijing) of the UTC stamp in its name, so the 00:05 run
counts for the day it ran on. Pure: no files, no clock; ``flask backup prune`` does the deleting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from core.clock import in_office_zone

#: panel-YYYYMMDD-HHMMSS.bak, the stamp in UTC (cli.py ``backup create``).
NAME = re.compile(r"^panel-(\d{8})-(\d{6})\.bak$")


@dataclass(frozen=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(
            daily=int(config.get("BACKUP_KEEP_DAILY", cls.daily)),
            weekly=int(config.get("BACKUP_KEEP_WEEKLY", cls.weekly)),
            monthly=int(config.get("BACKUP_KEEP_MONTHLY", cls.monthly)),
        )


def folder(config, instance_path: str) -> Path:
    """Where backups are written and pruned: BACKUP_DIR, else instance/backups."""
    configured = config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(instance_path) / "backups"


def stamp_of(name: str) -> datetime | None:
    """The UTC moment in a backup file's name (aware), or None for any other file."""
    match = NAME.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def office_day(name: str) -> date | None:
    stamp = stamp_of(name)
    return None if stamp is None else in_office_zone(stamp).date()


def backup_files(folder: Path) -> list[Path]:
    """The panel's backup files in ``folder`` (other files are never considered)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and stamp_of(p.name))


def newest(folder: Path) -> Path | None:
    files = backup_files(folder)
    return max(files, key=lambda p: stamp_of(p.name)) if files else None


def to_keep(names: Iterable[str], today: date, policy: Policy = Policy()) -> set[str]:
    """The names to keep; the others may be deleted. Names that are not backup names are
    kept (never ours to delete), and so is anything dated after ``today`` (a wrong clock)."""
    names = list(names)
    keep = {n for n in names if office_day(n) is None or office_day(n) > today}
    dated = sorted((n for n in names if n not in keep), key=lambda n: stamp_of(n), reverse=True)
    if dated:
        keep.add(dated[0])  # the newest backup, whatever the policy says
    rules = (
        (policy.daily, lambda d: d),
        (policy.weekly, lambda d: d.isocalendar()[:2]),
        (policy.monthly, lambda d: (d.year, d.month)),
    )
    for count, period in rules:
        seen: set = set()
        for name in dated:  # newest first: the first of a period is its newest backup
            key = period(office_day(name))
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(key)
            keep.add(name)
    return keep
