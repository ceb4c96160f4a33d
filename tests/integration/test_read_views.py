"""The database contract between services, against the live catalog: each published view has the
columns contracts/read_views.py lists and is granted to its consumers only; a service acting as
its role reads its own tables and the views it consumes, and is refused everything else."""

import asyncpg
import pytest

from contracts.read_views import READ_VIEWS, SCHEMAS, SERVICES, read_schema, role, search_path
from shared import db

pytestmark = pytest.mark.integration

TABLES = "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])"


@pytest.fixture
async def conn(env):
    connection = await env.db()
    yield connection
    await connection.close()


async def test_each_published_view_has_the_contracts_columns_and_only_its_consumers_may_read_it(conn):
    published = await conn.fetch(
        "SELECT table_schema, table_name FROM information_schema.views WHERE table_schema = ANY($1::text[])",
        [read_schema(owner) for owner in SCHEMAS],
    )
    assert {(r["table_schema"], r["table_name"]) for r in published} == {(v.schema, v.name) for v in READ_VIEWS}
    for view in READ_VIEWS:
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2"
            " ORDER BY ordinal_position",
            view.schema,
            view.name,
        )
        assert tuple(r["column_name"] for r in columns) == view.columns, view.name
        grants = await conn.fetch(
            "SELECT grantee, privilege_type FROM information_schema.role_table_grants"
            " WHERE table_schema = $1 AND table_name = $2 AND grantee <> $3",
            view.schema,
            view.name,
            role(view.owner),
        )
        assert {(r["grantee"], r["privilege_type"]) for r in grants} == {
            (role(consumer), "SELECT") for consumer in view.consumers
        }, view.name


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_reads_its_own_tables_and_its_views_and_is_refused_every_other_table(env, conn, service):
    tables = await conn.fetch(TABLES, list(SCHEMAS))
    actor = await db.connect(env.settings.database_url, service)
    try:
        assert await actor.fetchval("SELECT current_user") == role(service)
        for row in tables:
            query = f"SELECT 1 FROM {row['schemaname']}.{row['tablename']} LIMIT 1"
            if row["schemaname"] == service:
                await actor.fetch(query)
            else:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await actor.fetch(query)
        for view in READ_VIEWS:
            query = f"SELECT {', '.join(view.columns)} FROM {view.schema}.{view.name} LIMIT 1"
            if service in view.consumers:
                await actor.fetch(query)
                assert view.schema in search_path(service)
            elif service != view.owner:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await actor.fetch(query)
    finally:
        await actor.close()


async def test_a_consumer_cannot_write_through_a_view(env):
    notifier = await db.connect(env.settings.database_url, "notifier")
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await notifier.execute("INSERT INTO contacts (channel, address) VALUES ('sms', '+8613800000001')")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await notifier.execute("UPDATE agents SET capacity = 99")
    finally:
        await notifier.close()


async def test_the_running_services_work_as_their_roles(system, people):
    """The whole path with every pool acting as its role: web chat in, the router assigns (reading
    the agent API's agents), the agent API shows the conversation (reading the router's views) and
    the reply reaches the visitor (the web-chat adapter replays from the router's messages)."""
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("card was charged twice")
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]
    status, body = await agent.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200 and [m["text"] for m in body["messages"]] == ["card was charged twice"]
    await agent.reply(conversation_id, "refunded")
    assert (await visitor.next_frame("message"))["text"] == "refunded"
