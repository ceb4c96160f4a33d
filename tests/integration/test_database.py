"""Migrations against a real PostgreSQL: idempotent, safe to run from many replicas at once."""

import asyncio
import uuid

import asyncpg
import pytest

from shared import db
from tests import infra

pytestmark = pytest.mark.integration


@pytest.fixture
async def empty_database_url(servers):
    name = f"relaydesk_m_{uuid.uuid4().hex[:12]}"
    yield servers.database_for(name)
    await infra.drop_database(servers, name)


async def test_migrate_creates_the_database_and_is_idempotent(empty_database_url):
    every_version = [version for version, _, _ in db.migrations()]
    assert await db.migrate(empty_database_url) == every_version
    assert await db.migrate(empty_database_url) == []
    conn = await asyncpg.connect(empty_database_url)
    try:
        recorded = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
        tables = {
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    finally:
        await conn.close()
    assert recorded == every_version
    assert {"agents", "agent_state", "contacts", "conversations", "messages", "outbox"} <= tables


async def test_concurrent_migrations_apply_each_version_once(empty_database_url):
    await db.ensure_database(empty_database_url)
    results = await asyncio.gather(*(db.migrate(empty_database_url) for _ in range(4)))
    applied = sorted(v for result in results for v in result)
    assert applied == [version for version, _, _ in db.migrations()]


async def test_one_open_conversation_per_customer_is_enforced_by_the_schema(env):
    conn = await env.db()
    try:
        await conn.execute("INSERT INTO contacts (channel, address) VALUES ('sms', '+8613800000000')")
        insert = (
            "INSERT INTO conversations (id, channel, customer_address, status) VALUES ($1, 'sms', '+8613800000000', $2)"
        )
        await conn.execute(insert, uuid.uuid4(), "queued")
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(insert, uuid.uuid4(), "queued")
        await conn.execute(insert, uuid.uuid4(), "resolved")  # closed ones may be many
        with pytest.raises(asyncpg.CheckViolationError):  # assigned needs an agent
            await conn.execute("UPDATE conversations SET status = 'assigned' WHERE status = 'queued'")
    finally:
        await conn.close()


async def test_a_service_role_without_ddl_rights_starts_on_an_up_to_date_schema(env):
    """Compose's relaydesk_app may read and write rows, never change the schema: every service
    runs `migrate` on start, which must then need no DDL."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    dsn = env.settings.database_url
    owner = await asyncpg.connect(dsn)
    try:
        await owner.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        await owner.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {role}")
        await owner.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        as_role = dsn.replace("://postgres@", f"://{role}@", 1)
        assert as_role != dsn
        assert await db.migrate(as_role) == []
        conn = await asyncpg.connect(as_role)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE intruder (id int)")
        finally:
            await conn.close()
    finally:
        await owner.execute(f"DROP OWNED BY {role}; DROP ROLE {role}")
        await owner.close()
