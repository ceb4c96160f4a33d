"""Each service's schema, role and migrations: bring a database to what every service's code expects.

A service's migrations live beside its code (`services/<svc>/migrations/NNNN_name.sql`), run as
its role (`relaydesk_<svc>`, which owns the schema) with `search_path = <svc>`, and are tracked in
`<svc>.schema_migrations`. The migrator (a superuser in development and tests; in compose the
database owner) creates the roles and schemas when they are missing, and adopts a database from
before the split once (shared/adopt.py).
"""

import contextlib
import logging
from collections.abc import Sequence

import asyncpg

from contracts.read_views import SCHEMAS, SERVICES, published, read_schema, role, search_path
from shared.adopt import adopt_legacy
from shared.migrations import sql_files

log = logging.getLogger("relaydesk.db")


OPERATOR_SEARCH_PATH = ", ".join(("public", *SCHEMAS, *(read_schema(owner) for owner in SCHEMAS if published(owner))))
"""The database's default search_path, for a login that sets none (psql, benches' seeds, tests):
every table by its plain name. Services set their own (shared/db.py `as_service`), and their
roles, not this path, decide what they may read."""


def service_migrations(service: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in services/<service>/migrations, in version order."""
    return sql_files(f"services.{service}.migrations")


def with_owners(services: list[str]) -> list[str]:
    """The named services and every owner whose views they read, in migration order: a service
    starts only once what it reads exists."""
    needed = set(services)
    for name in services:
        needed.update(schema.removesuffix("_read") for schema in search_path(name))
    return [name for name in SCHEMAS if name in needed]


async def prepare(conn: asyncpg.Connection, logins: Sequence[str] = ()) -> None:
    """Roles and schemas, created only when missing: a login without CREATEROLE (compose's
    relaydesk_app) then runs no DDL at all once the migrator has been. Each of `logins` (the
    logins services connect as) may then act as every service's role, and as nothing by itself."""
    superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    for service in SERVICES:
        name = role(service)
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
            # Roles belong to the server: another database's migrator may make it meanwhile.
            with contextlib.suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
                await conn.execute(f"CREATE ROLE {name} NOLOGIN")
        if not superuser and not await conn.fetchval("SELECT pg_has_role(current_user, $1, 'MEMBER')", name):
            await conn.execute(f"GRANT {name} TO current_user")
    for login in logins:
        await _service_login(conn, login)
    if superuser and await conn.fetchval("SHOW search_path") != OPERATOR_SEARCH_PATH:
        database = await conn.fetchval("SELECT quote_ident(current_database())")
        await conn.execute(f"ALTER DATABASE {database} SET search_path = {OPERATOR_SEARCH_PATH}")
    for owner in SCHEMAS:
        schemas = [owner, read_schema(owner)] if published(owner) else [owner]
        for schema in schemas:
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role(owner)}")


async def _service_login(conn: asyncpg.Connection, login: str) -> None:
    """NOINHERIT: the login holds no service's rights until it acts as that service (SET ROLE,
    which every pool does on connecting), so a connection that forgot to is refused everything."""
    inherits = await conn.fetchval("SELECT rolinherit FROM pg_roles WHERE rolname = $1", login)
    if inherits is None:
        raise ValueError(f"the service login {login!r} does not exist")
    if inherits:
        await conn.execute(f'ALTER ROLE "{login}" NOINHERIT')
    for service in SERVICES:
        if not await conn.fetchval("SELECT pg_has_role($1, $2, 'MEMBER')", login, role(service)):
            await conn.execute(f'GRANT {role(service)} TO "{login}"')


async def apply(conn: asyncpg.Connection, service: str) -> list[tuple[str, int]]:
    """Apply the service's migrations not applied yet, as its role; return (service, version)s."""
    await conn.execute(f"SET ROLE {role(service)}; SET search_path = {service}")
    try:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            await conn.execute(
                "CREATE TABLE schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        done = {row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in service_migrations(service):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
            log.info("applied migration %s %04d %s", service, version, name)
            applied.append((service, version))
        return applied
    finally:
        await conn.execute("RESET ROLE; RESET search_path")


async def migrate_all(
    conn: asyncpg.Connection, services: Sequence[str], logins: Sequence[str] = ()
) -> list[tuple[str, int]]:
    """Prepare, adopt a pre-split database, then apply each named service's migrations in order.
    The caller holds the migration lock."""
    await prepare(conn, logins)
    await adopt_legacy(conn)
    applied = []
    for service in SCHEMAS:
        if service in services:
            applied += await apply(conn, service)
    return applied
