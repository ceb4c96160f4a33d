"""Migrations against a real PostgreSQL: idempotent, safe to run from many replicas at once."""

import asyncio
import uuid

import asyncpg
import pytest

from contracts.read_views import SCHEMAS, role
from shared import db, migrator
from tests import infra

pytestmark = pytest.mark.integration

EVERY_MIGRATION = [(service, version) for service in SCHEMAS for version, _, _ in migrator.service_migrations(service)]


@pytest.fixture
async def empty_database_url(servers):
    name = f"relaydesk_m_{uuid.uuid4().hex[:12]}"
    yield servers.database_for(name)
    await infra.drop_database(servers, name)


async def test_migrate_creates_the_database_and_is_idempotent(empty_database_url):
    assert await db.migrate(empty_database_url) == EVERY_MIGRATION
    assert await db.migrate(empty_database_url) == []
    conn = await asyncpg.connect(empty_database_url)
    try:
        recorded = [
            (service, row["version"])
            for service in SCHEMAS
            for row in await conn.fetch(f"SELECT version FROM {service}.schema_migrations ORDER BY 1")
        ]
        tables = {
            (r["schemaname"], r["tablename"]) for r in await conn.fetch("SELECT schemaname, tablename FROM pg_tables")
        }
        owners = {
            r["schema_name"]: r["schema_owner"]
            for r in await conn.fetch("SELECT schema_name, schema_owner FROM information_schema.schemata")
        }
    finally:
        await conn.close()
    assert recorded == EVERY_MIGRATION
    assert {("router", "conversations"), ("agent_api", "agents"), ("notifier", "callback_tasks")} <= tables
    assert not {table for schema, table in tables if schema == "public"}
    assert {schema: owners[schema] for schema in SCHEMAS} == {schema: role(schema) for schema in SCHEMAS}


async def test_a_service_migrates_itself_and_the_owners_it_reads(empty_database_url):
    assert migrator.with_owners(["webchat_adapter"]) == ["router"]
    assert migrator.with_owners(["notifier"]) == ["router", "agent_api", "notifier"]
    applied = await db.migrate(empty_database_url, migrator.with_owners(["email_adapter"]))
    assert {service for service, _ in applied} == {"agent_api", "email_adapter"}


async def test_concurrent_migrations_apply_each_version_once(empty_database_url):
    await db.ensure_database(empty_database_url)
    results = await asyncio.gather(*(db.migrate(empty_database_url) for _ in range(4)))
    applied = sorted(v for result in results for v in result)
    assert applied == sorted(EVERY_MIGRATION)


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


async def test_a_login_without_ddl_rights_starts_on_an_up_to_date_schema(env, monkeypatch):
    """Compose's relaydesk_app is neither superuser nor CREATEROLE: the migrator lets it act as
    every service's role, every service migrates on start, which must then need no DDL, and the
    login by itself may read nothing (NOINHERIT): only a pool acting as a service reads."""
    login = f"app_{uuid.uuid4().hex[:8]}"
    dsn = env.settings.database_url
    owner = await asyncpg.connect(dsn)
    try:
        await owner.execute(f"CREATE ROLE {login} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        monkeypatch.setenv("RELAYDESK_DATABASE_SERVICE_LOGINS", login)
        assert await db.migrate(dsn) == []
        as_login = dsn.replace("://postgres@", f"://{login}@", 1)
        assert as_login != dsn
        assert await db.migrate(as_login) == []
        conn = await asyncpg.connect(as_login)
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE public.intruder (id int)")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT 1 FROM router.conversations")
        finally:
            await conn.close()
        pool = await db.create_pool(as_login, 1, "router")
        try:
            assert await pool.fetchval("SELECT current_user") == role("router")
            await pool.fetch("SELECT 1 FROM conversations JOIN agents ON agents.id = conversations.agent_id")
        finally:
            await pool.close()
    finally:
        await owner.execute(f"DROP OWNED BY {login}; DROP ROLE {login}")
        await owner.close()
