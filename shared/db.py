"""PostgreSQL: each service's pool (its role, its search_path), what counts as a conflict or an outage,
and the entry to the per-service migrations (shared/migrator.py). Transactions are units of work:
shared/uow.py."""

import asyncio
import logging
import os
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from contracts import read_views
from shared import migrator

log = logging.getLogger("relaydesk.db")

MIGRATION_LOCK = 0x52454C41  # any constant: serializes migrations across replicas
RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
"""What PostgreSQL raises on the victim of a conflict: the unit of work runs it again, whole."""
UNAVAILABLE = (OSError, asyncpg.PostgresError, asyncio.TimeoutError)
"""What a query raises when the database is unreachable or refuses: callers degrade, not crash."""


async def _keep_session(_: asyncpg.Connection) -> None:
    """Pooled connections never change session state (no LISTEN, SET or session locks), and
    transactions always end in their block: skip asyncpg's reset query on every release."""


def service_dsn(dsn: str, service: str) -> str:
    """`RELAYDESK_DATABASE_URL_<SERVICE>` when set (a login of the service's own, even another
    server), else the one URL every service shares."""
    return os.environ.get(f"RELAYDESK_DATABASE_URL_{service.upper()}") or dsn


def service_logins() -> list[str]:
    """`RELAYDESK_DATABASE_SERVICE_LOGINS`: the logins services connect as (compose: relaydesk_app),
    which the migrator lets act as every service's role. Empty when services log in as the migrator
    (development, tests: a superuser may act as any role) or each as its own role."""
    return [name.strip() for name in os.environ.get("RELAYDESK_DATABASE_SERVICE_LOGINS", "").split(",") if name.strip()]


def as_service(service: str) -> dict[str, str]:
    """Session settings that make a connection act as `service`: its role, so the database refuses
    what the service may not touch, and its search_path, so unqualified names find its own tables
    and the views it reads. Sent with the connection's start-up, they cost no round trip."""
    return {"role": read_views.role(service), "search_path": ", ".join(read_views.search_path(service))}


async def create_pool(dsn: str, size: int, service: str) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        service_dsn(dsn, service),
        min_size=1,
        max_size=size,
        command_timeout=30,
        reset=_keep_session,
        server_settings=as_service(service),
    )


async def connect(dsn: str, service: str) -> asyncpg.Connection:
    """One connection acting as `service` (the CLI's, a script's)."""
    return await asyncpg.connect(service_dsn(dsn, service), server_settings=as_service(service))


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


async def migrate(dsn: str, services: Sequence[str] = read_views.SCHEMAS) -> list[tuple[str, int]]:
    """Apply the named services' migrations not applied yet (all by default), each as its own role,
    after adopting a pre-split database; return (service, version) of each. Safe to run concurrently."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        return await migrator.migrate_all(conn, services, service_logins())
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
        await conn.close()
