"""The router is SIGKILLed with 500 messages in flight; after a restart each is stored once."""

import pytest

from tests.support import System, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

CUSTOMERS, PER_CUSTOMER = 100, 5


async def test_router_killed_mid_stream_loses_and_duplicates_nothing(env, people):
    edge = await System(env, ["agent_api", "webchat_adapter"]).start()
    router = await System(env, ["router"]).start()
    try:
        agent = await people.agent(capacity=CUSTOMERS)
        messages = [inbound(f"crash-{c}", f"message {n}") for n in range(PER_CUSTOMER) for c in range(CUSTOMERS)]
        await publish_inbound(env.settings, messages)

        conn = await env.db()
        try:
            await wait_until(lambda: conn.fetchval("SELECT count(*) >= 50 FROM messages"), what="work under way")
            router.kill()
            stored_at_kill = await conn.fetchval("SELECT count(*) FROM messages")
            assert stored_at_kill < len(messages), "the router finished before it could be killed"

            router = await System(env, ["router"]).start()
            await wait_until(
                lambda: conn.fetchval("SELECT count(*) = $1 FROM messages", len(messages)),
                timeout=60,
                what="every message stored",
            )
            stored = await conn.fetch("SELECT id::text FROM messages")
            assert sorted(r["id"] for r in stored) == sorted(m.message_id for m in messages)
            assert await conn.fetchval("SELECT count(*) FROM conversations") == CUSTOMERS
            assert await conn.fetchval("SELECT count(DISTINCT customer_address) FROM conversations") == CUSTOMERS
            # Events committed before the kill but never published are swept out after restart.
            await wait_until(
                lambda: conn.fetchval("SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
                timeout=30,
                what="outbox drained",
            )
        finally:
            await conn.close()

        # The agent sees each conversation assigned exactly once (events deduped by id).
        seen: dict[int, dict] = {}
        while len({e["conversation_id"] for e in seen.values() if e["type"] == "assignment"}) < CUSTOMERS:
            event = await agent.next_event(timeout=30)
            seen[event["id"]] = event
        assigned = [e["conversation_id"] for e in seen.values() if e["type"] == "assignment"]
        assert len(assigned) == len(set(assigned)) == CUSTOMERS
    finally:
        router.stop()
        edge.stop()
