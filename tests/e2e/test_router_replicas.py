"""Two router replicas: still one open conversation per customer, no agent over capacity."""

import pytest

from tests.support import System, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

CUSTOMERS, PER_CUSTOMER, CAPACITY = 30, 6, 4


async def test_two_routers_keep_one_conversation_per_customer_and_respect_capacity(env, people):
    edge = await System(env, ["agent_api", "webchat_adapter"]).start()
    routers = [await System(env, ["router"], prefetch=16).start() for _ in range(2)]
    try:
        agents = [await people.agent(capacity=CAPACITY) for _ in range(2)]
        messages = [inbound(f"replica-{c}", f"m{n}") for n in range(PER_CUSTOMER) for c in range(CUSTOMERS)]
        await publish_inbound(env.settings, messages)

        conn = await env.db()
        try:
            await wait_until(
                lambda: conn.fetchval("SELECT count(*) = $1 FROM messages", len(messages)),
                timeout=60,
                what="every message stored",
            )
            per_customer = await conn.fetch(
                "SELECT customer_address, count(*) AS n FROM conversations GROUP BY customer_address"
            )
            load = await conn.fetch(
                "SELECT agent_id, count(*) AS n FROM conversations WHERE status = 'assigned' GROUP BY agent_id"
            )
            queued = await conn.fetchval("SELECT count(*) FROM conversations WHERE status = 'queued'")
        finally:
            await conn.close()
        assert len(per_customer) == CUSTOMERS and {r["n"] for r in per_customer} == {1}
        assert sorted(r["n"] for r in load) == [CAPACITY, CAPACITY]
        assert queued == CUSTOMERS - 2 * CAPACITY
        for agent in agents:
            assert (await agent.request("GET", "/v1/me"))[1]["open_conversations"] == CAPACITY
    finally:
        for process in (*routers, edge):
            process.stop()
