"""Adopting a database from before the split: one schema `public`, one migration stream.

When `public.schema_migrations` exists, the legacy migrations it lacks (the frozen files in
shared/migrations/legacy) bring it to 0021; then, in one transaction, every table moves into its
owner's schema (its indexes, constraints and owned sequences move with it) and passes to the
owner's role, foreign keys across services go (the baselines have none), each service's baseline
is recorded as applied, and the legacy tracking table is renamed so this runs once. What the
baselines do not hold (the read views and grants) the services' later migrations then add.
"""

import logging
import re
from importlib import resources

import asyncpg

from contracts.read_views import SCHEMAS, role
from shared.migrations import sql_files

log = logging.getLogger("relaydesk.db")

LEGACY = "shared.migrations.legacy"
BASELINE = 1


def legacy_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of the frozen pre-split migrations, in version order."""
    return sql_files(LEGACY)


def baseline_objects() -> dict[str, tuple[list[str], list[str]]]:
    """Each service's (tables, functions), read from its baseline: the one list of who owns what."""
    owned = {}
    for service in SCHEMAS:
        sql = (resources.files(f"services.{service}.migrations") / "0001_baseline.sql").read_text(encoding="utf-8")
        owned[service] = (
            re.findall(r"^CREATE TABLE (\w+)", sql, re.M),
            re.findall(r"^CREATE FUNCTION (\w+)\(", sql, re.M),
        )
    return owned


async def apply_legacy(conn: asyncpg.Connection) -> None:
    """Bring a pre-split database up to the last legacy migration, in `public` as it was."""
    done = {row["version"] for row in await conn.fetch("SELECT version FROM public.schema_migrations")}
    await conn.execute("SET search_path = public")
    try:
        for version, name, sql in legacy_migrations():
            if version not in done:
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO public.schema_migrations (version, name) VALUES ($1, $2)", version, name
                    )
                log.info("applied legacy migration %04d %s", version, name)
    finally:
        await conn.execute("RESET search_path")


async def adopt_legacy(conn: asyncpg.Connection) -> bool:
    """Move a pre-split database into the services' schemas, once; True when it did."""
    if await conn.fetchval("SELECT to_regclass('public.schema_migrations')") is None:
        return False
    await apply_legacy(conn)
    owned = baseline_objects()
    owner_of = {table: service for service, (tables, _) in owned.items() for table in tables}
    async with conn.transaction():
        await _drop_foreign_keys_across(conn, owner_of)
        for service, (tables, functions) in owned.items():
            for table in tables:
                await _revoke_grants(conn, table)
                await conn.execute(f"ALTER TABLE public.{table} SET SCHEMA {service}")
                await conn.execute(f"ALTER TABLE {service}.{table} OWNER TO {role(service)}")
            for function in functions:
                await conn.execute(f"ALTER FUNCTION public.{function}() SET SCHEMA {service}")
                await conn.execute(f"ALTER FUNCTION {service}.{function}() OWNER TO {role(service)}")
            await conn.execute(
                f"CREATE TABLE {service}.schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            await conn.execute(f"ALTER TABLE {service}.schema_migrations OWNER TO {role(service)}")
            await conn.execute(
                f"INSERT INTO {service}.schema_migrations (version, name) VALUES ($1, 'baseline')", BASELINE
            )
        await conn.execute("ALTER TABLE public.schema_migrations RENAME TO legacy_schema_migrations")
    log.info("adopted the pre-split database into the services' schemas")
    return True


async def _drop_foreign_keys_across(conn: asyncpg.Connection, owner_of: dict[str, str]) -> None:
    rows = await conn.fetch(
        "SELECT c.conname, t.relname AS child, p.relname AS parent FROM pg_constraint c"
        " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid"
        " WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace"
    )
    for row in rows:
        if owner_of[row["child"]] != owner_of[row["parent"]]:
            await conn.execute(f'ALTER TABLE public.{row["child"]} DROP CONSTRAINT "{row["conname"]}"')


async def _revoke_grants(conn: asyncpg.Connection, table: str) -> None:
    """Grants made on `public` (compose gave relaydesk_app every table and sequence) do not follow
    into the owner's schema: only the owner's role, and the views it publishes, are read from now on."""
    objects = await conn.fetch(
        "SELECT $1::regclass::oid AS oid, 'TABLE' AS kind UNION ALL"
        " SELECT d.objid, 'SEQUENCE' FROM pg_depend d JOIN pg_class s ON s.oid = d.objid"
        " WHERE d.refobjid = $1::regclass AND d.deptype = 'a' AND s.relkind = 'S'",
        f"public.{table}",
    )
    for target in objects:
        grantees = await conn.fetch(
            "SELECT DISTINCT format('%I.%I', c.relnamespace::regnamespace, c.relname) AS object,"
            " CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END AS grantee"
            " FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1 AND a.grantee <> c.relowner",
            target["oid"],
        )
        for row in grantees:
            await conn.execute(f"REVOKE ALL ON {target['kind']} {row['object']} FROM {row['grantee']}")
