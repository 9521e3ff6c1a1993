"""PostgreSQL: the statistics of the tables an import fills, kept up to date during it.

PostgreSQL checks each foreign key of a new row with a query of its own, planned once per
connection and kept (after five runs, a generic plan). It plans with the table's statistics
as they stand: a table analysed while empty (by autovacuum after it was emptied, or by an
`ANALYZE`/`vacuumdb --analyze` after a restore) is taken for a few rows, and the check of
each new household member, ownership or lease then reads its owner or unit by scanning the
whole table, which the import itself is filling: the import slows down as it goes (a unit
list of 100,000 rows, 1,604 rows/s instead of 9,900; docs/import.md, "tenth pass").

So an import analyses each table that rows elsewhere point to (a foreign key's target)
whose statistics counted fewer than ``SMALL`` rows when the import first wrote to it, when
the rows the import put in it first reach each of ``STEPS``. `ANALYZE` in the import's
transaction counts the transaction's own rows, and the new statistics make PostgreSQL plan
the checks again. Each runs under a short lock timeout in a savepoint: if another session holds the
table's statistics lock (another import, a VACUUM), it is left to them.

What it costs: the lock ANALYZE takes (SHARE UPDATE EXCLUSIVE) is held until the import
ends, so meanwhile autovacuum leaves those tables and a manual VACUUM or ANALYZE of them
waits; reads and writes are not held up. An import that fails or is cancelled after an
ANALYZE leaves the table's row count as the import saw it (PostgreSQL updates it in place)
until autovacuum analyses the table again. ANALYZE needs the tables' owner: the panel's
account, which runs the migrations, owns them; for another account it is skipped with a
warning.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import exc

from models.shared import key_checks

log = logging.getLogger(__name__)

#: A table whose statistics count fewer rows than this when the import first writes to it
#: is analysed.
SMALL = 10_000
#: The import's rows in such a table at which it is analysed (beyond the last, the table
#: is large enough for every check to take its index).
STEPS = (1_000, 10_000, 100_000)
#: How long an `ANALYZE` waits for the table's statistics lock before it is left out.
LOCK_TIMEOUT = "200ms"


class ImportStatistics:
    """Counts the rows an import puts in each table and says which tables to analyse."""

    def __init__(self) -> None:
        self.written: Counter[str] = Counter()
        #: {table: whether it is analysed during the import}, read when first written.
        self.watched: dict[str, bool] = {}
        #: {table: how many of STEPS it has passed}.
        self.passed: Counter[str] = Counter()

    def wrote(self, table: str, rows: int) -> None:
        self.written[table] += rows

    def due(self, conn) -> list[str]:
        """The tables to analyse now (after the writes counted so far). ``conn`` reads the
        catalogue: never the import's own connection while its writer may be using it."""
        new = [name for name in self.written if name not in self.watched]
        if new:
            self.watched.update(dict.fromkeys(new, False))
            for name in small_targets(conn, new):
                self.watched[name] = True
        names = []
        for name, watched in self.watched.items():
            if not watched:
                continue
            passed = sum(1 for step in STEPS if self.written[name] >= step)
            if passed > self.passed[name]:
                self.passed[name] = passed
                names.append(name)
        return sorted(names)


def small_targets(conn, names: list[str]) -> list[str]:
    """Of the tables ``names`` (this schema), those a foreign key or a key check points to
    whose statistics count fewer than SMALL rows (or that were never analysed: -1). A key
    check's look-up (models/shared/key_checks.py) is planned with its table's statistics as a
    foreign key's check is."""
    checked = sorted({key.target for key in key_checks.KEYS})
    rows = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
        "AND c.relname = ANY(%(names)s) AND c.reltuples < %(small)s "
        "AND (EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.confrelid = c.oid) OR c.relname = ANY(%(checked)s))",
        {"names": list(names), "small": SMALL, "checked": checked},
    )
    return [name for (name,) in rows]


def analyze(conn, names: list[str]) -> None:
    """`ANALYZE` each table on ``conn`` (the import's connection, in its transaction), each
    in a savepoint under a short lock timeout; a table whose lock is held is left out."""
    quote = conn.dialect.identifier_preparer.quote
    previous = conn.exec_driver_sql("SHOW lock_timeout").scalar()
    for name in names:
        conn.exec_driver_sql("SAVEPOINT import_statistics")
        try:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            conn.exec_driver_sql(f"ANALYZE {quote(name)}")
        except exc.DBAPIError as error:
            # lock_not_available (another session analyses or vacuums it), or anything else
            # ANALYZE met: an optimisation never fails the import; a lost connection does
            if error.connection_invalidated:
                raise
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT import_statistics")
            log.info("import: %s not analysed (%s)", name, type(error.orig).__name__)
        conn.exec_driver_sql("RELEASE SAVEPOINT import_statistics")
    # SET LOCAL outlives the savepoint's release: the rest of the import waits as before
    conn.exec_driver_sql("SELECT set_config('lock_timeout', %(value)s, true)", {"value": previous})
