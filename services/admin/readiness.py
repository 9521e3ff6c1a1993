"""Is this panel ready to serve? Database, schema version and Redis, each with a reason.

Used by ``/readyz`` (a load balancer's question) and by the production start-up check
(wsgi.py), which refuses to serve a database whose migrations are not at head.
"""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine


@cache
def head_revisions(migrations_dir: str) -> frozenset[str]:
    """The heads of the migration chain (read once per process: parsing it costs ~0.1 s)."""
    return frozenset(ScriptDirectory(migrations_dir).get_heads())


def schema_problem(engine: Engine, migrations_dir: str) -> str | None:
    """None when the database is at the migrations' head, else one line saying what it is at."""
    with engine.connect() as connection:
        # Read directly rather than through alembic's MigrationContext, which logs two INFO
        # lines each time a load balancer asks.
        current = frozenset()
        if inspect(connection).has_table("alembic_version"):
            current = frozenset(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    heads = head_revisions(migrations_dir)
    if current == heads:
        return None
    at = ", ".join(sorted(current)) or "no migration"
    return f"the database schema is at {at}, not at head {', '.join(sorted(heads))}"


def database_problem(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"the database does not answer ({type(exc).__name__})"
    return None


def redis_problem(url: str | None) -> str | None:
    """None when ``url`` is not a Redis URL (nothing to ask) or Redis answers a PING."""
    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        return f"Redis does not answer ({type(exc).__name__})"
    return None


def readiness_problems(engine: Engine, migrations_dir: str, redis_url: str | None) -> list[str]:
    """Every reason this panel should not get traffic; empty when it is ready."""
    problems = []
    db_problem = database_problem(engine)
    if db_problem:
        problems.append(db_problem)
    else:
        try:
            schema = schema_problem(engine, migrations_dir)
        except Exception as exc:  # noqa: BLE001
            schema = f"the schema version could not be read ({type(exc).__name__})"
        if schema:
            problems.append(schema)
    redis = redis_problem(redis_url)
    if redis:
        problems.append(redis)
    return problems
