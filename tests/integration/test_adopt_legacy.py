"""A database from before the split (one `public` schema, one migration stream) is adopted once:
its rows land in the owners' schemas, and its catalog ends up the same as a fresh install's."""

import uuid

import asyncpg
import pytest

from contracts.read_views import SCHEMAS
from shared import adopt, db
from tests import infra

pytestmark = pytest.mark.integration

AGENT, CONVERSATION = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def database(servers):
    """A URL naming a database of its own, dropped after the test."""
    names = []

    def make() -> str:
        names.append(f"relaydesk_m_{uuid.uuid4().hex[:12]}")
        return servers.database_for(names[-1])

    yield make
    for name in names:
        await infra.drop_database(servers, name)


async def legacy_database(url: str, up_to: int) -> None:
    """What an install from before the split holds: legacy migrations up to `up_to`, and rows."""
    await db.ensure_database(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, sql in adopt.legacy_migrations():
            if version <= up_to:
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
        await conn.execute(
            "INSERT INTO agents (id, name, role, capacity, token_hash) VALUES ($1, 'ann', 'agent', 2, '\\x01')", AGENT
        )
        await conn.execute("INSERT INTO contacts (channel, address) VALUES ('sms', '+8613800000000')")
        await conn.execute(
            "INSERT INTO conversations (id, channel, customer_address, status, agent_id)"
            " VALUES ($1, 'sms', '+8613800000000', 'assigned', $2)",
            CONVERSATION,
            AGENT,
        )
        await conn.execute("INSERT INTO outbox (routing_key, payload) VALUES ('assignment.x', '\\x00')")
        await conn.execute("INSERT INTO notifier_outbox (routing_key, payload) VALUES ('assignment.x', '\\x00')")
        # As compose's default privileges had it: the one service login could touch everything.
        await conn.execute("GRANT SELECT, INSERT ON agents, outbox TO PUBLIC; GRANT USAGE ON outbox_id_seq TO PUBLIC")
    finally:
        await conn.close()


async def test_a_pre_split_database_is_brought_up_to_date_then_moved_into_the_owners_schemas(database):
    url = database()
    await legacy_database(url, up_to=19)
    applied = await db.migrate(url)
    assert {version for _, version in applied} == {2}  # the baselines are recorded, the views applied
    assert await db.migrate(url) == []
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT to_regclass('public.schema_migrations')") is None
        legacy = await conn.fetch("SELECT version FROM public.legacy_schema_migrations ORDER BY 1")
        assert [row["version"] for row in legacy] == [version for version, _, _ in adopt.legacy_migrations()]
        assert not await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                    " AND tablename <> 'legacy_schema_migrations'")  # fmt: skip
        assert await conn.fetchval("SELECT name FROM agent_api.agents WHERE id = $1", AGENT) == "ann"
        assert await conn.fetchval("SELECT agent_id FROM router.conversations WHERE id = $1", CONVERSATION) == AGENT
        # The trigger came along: the router's history of who worked on the conversation.
        history = "SELECT agent_id FROM router.conversation_agents WHERE conversation_id = $1"
        assert await conn.fetchval(history, CONVERSATION) == AGENT
    finally:
        await conn.close()
    router = await db.connect(url, "router")
    notifier = await db.connect(url, "notifier")
    try:
        # Both outboxes still number their events from one sequence, each service acting as itself.
        first = await router.fetchval("INSERT INTO outbox (routing_key, payload) VALUES ('a', '') RETURNING id")
        second = await notifier.fetchval(
            "INSERT INTO notifier_outbox (routing_key, payload) VALUES ('a', '') RETURNING id"
        )
        assert second == first + 1
        assert await router.fetchval("SELECT name FROM agents WHERE id = $1", AGENT) == "ann"  # its view
    finally:
        await router.close()
        await notifier.close()


async def test_an_adopted_database_has_the_catalog_of_a_fresh_one(database):
    fresh, adopted = database(), database()
    await db.migrate(fresh)
    await legacy_database(adopted, up_to=21)
    await db.migrate(adopted)
    fresh_catalog, adopted_catalog = await catalog(fresh), await catalog(adopted)
    for part in fresh_catalog:
        assert adopted_catalog[part] == fresh_catalog[part], part


CATALOG = {
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.relowner::regrole::text FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)",
    "columns": "SELECT c.oid::regclass::text, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
    " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " WHERE c.relnamespace::regnamespace::text = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped"
    " AND c.relname <> 'schema_migrations'",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE connamespace::regnamespace::text = ANY($1) AND conrelid <> 0",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ANY($1)",
    "triggers": "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE c.relnamespace::regnamespace::text = ANY($1) AND NOT t.tgisinternal",
    "functions": "SELECT pronamespace::regnamespace::text, proname, prosrc, proowner::regrole::text FROM pg_proc"
    " WHERE pronamespace::regnamespace::text = ANY($1)",
    "sequences": "SELECT s.seqrelid::regclass::text, d.refobjid::regclass::text, c.relacl::text FROM pg_sequence s"
    " JOIN pg_class c ON c.oid = s.seqrelid LEFT JOIN pg_depend d ON d.objid = s.seqrelid AND d.deptype = 'a'"
    " WHERE s.seqrelid::regclass::text LIKE ANY (SELECT unnest($1::text[]) || '.%')",
    "grants": "SELECT table_schema, table_name, grantee, privilege_type FROM information_schema.role_table_grants"
    " WHERE table_schema = ANY($1)",
}
"""What a fresh install and an adopted one must share, per service schema (and read schema),
with every name printed schema-qualified (the queries run with an empty search_path)."""


async def catalog(url: str) -> dict[str, set]:
    schemas = [*SCHEMAS, *(f"{owner}_read" for owner in SCHEMAS)]
    conn = await asyncpg.connect(url, server_settings={"search_path": ""})
    try:
        return {part: {tuple(row) for row in await conn.fetch(sql, schemas)} for part, sql in CATALOG.items()}
    finally:
        await conn.close()
