"""PostgreSQL: the pool, what counts as a conflict or an outage, versioned SQL migrations.

Transactions are units of work: shared/uow.py.
"""

import asyncio
import logging
from importlib import resources
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger("relaydesk.db")

MIGRATION_LOCK = 0x52454C41  # any constant: serializes migrations across replicas
RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
"""What PostgreSQL raises on the victim of a conflict: the unit of work runs it again, whole."""
UNAVAILABLE = (OSError, asyncpg.PostgresError, asyncio.TimeoutError)
"""What a query raises when the database is unreachable or refuses: callers degrade, not crash."""


async def _keep_session(_: asyncpg.Connection) -> None:
    """Pooled connections never change session state (no LISTEN, SET or session locks), and
    transactions always end in their block: skip asyncpg's reset query on every release."""


async def create_pool(dsn: str, size: int) -> asyncpg.Pool:
    return await asyncpg.create_pool(dsn, min_size=1, max_size=size, command_timeout=30, reset=_keep_session)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in shared/migrations, in version order."""
    found = []
    for entry in resources.files("shared.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(version), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def ensure_database(dsn: str) -> None:
    """Create the database named in `dsn` when it does not exist yet."""
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    conn = await asyncpg.connect(maintenance)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("created database %s", name)
            except asyncpg.DuplicateDatabaseError:
                pass  # another replica won the race
    finally:
        await conn.close()


async def migrate(dsn: str) -> list[int]:
    """Apply the migrations not applied yet; return their versions. Safe to run concurrently."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        # Only when missing: even IF NOT EXISTS needs CREATE on the schema, which a service role
        # without DDL rights (compose's relaydesk_app) lacks; up to date, it then runs no DDL at all.
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            await conn.execute(
                "CREATE TABLE schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        done = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
            log.info("applied migration %04d %s", version, name)
            applied.append(version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await conn.close()
