"""A broker cut under traffic: every live event still reaches open agent streams and visitor sockets once, in order."""

import asyncio
import uuid

import aiohttp
import pytest

from contracts.topology import SUPERVISORS_KEY
from tests.support import System, behind_proxy, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

CUSTOMERS = 4
BATCH = 5
"""Messages published together; the next batch waits until these are stored."""
FRAME_TIMEOUT = 20.0


async def count(env, sql: str, *args) -> int:
    conn = await env.db()
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def stored_inbound(env) -> int:
    return await count(env, "SELECT count(*) FROM messages WHERE direction = 'in'")


async def agent_events(env, agent_id: str) -> list[tuple[int, str | None]]:
    """(id, conversation) of every event the agent's stream carries, from both outboxes, in id order."""
    conn = await env.db()
    try:
        rows = await conn.fetch(
            "SELECT id, convert_from(payload, 'UTF8')::jsonb->>'conversation_id' AS conversation FROM ("
            " SELECT id, payload, routing_key, agent_id FROM outbox"
            " UNION ALL SELECT id, payload, routing_key, agent_id FROM notifier_outbox) AS e"
            " WHERE agent_id = $1::uuid AND routing_key <> $2 ORDER BY id",
            uuid.UUID(agent_id),
            SUPERVISORS_KEY,
        )
    finally:
        await conn.close()
    return [(r["id"], r["conversation"]) for r in rows]


async def send_batches(env, customers: list[str], total: int, tag: str) -> None:
    """`total` customer messages round-robin over `customers`, a batch at a time, each batch stored first."""
    for start in range(0, total, BATCH):
        before = await stored_inbound(env)
        batch = [inbound(customers[i % len(customers)], f"{tag} {i}") for i in range(start, min(start + BATCH, total))]
        await publish_inbound(env.settings, batch)
        wanted = before + len(batch)
        await wait_until(lambda wanted=wanted: _at_least(stored_inbound(env), wanted), what=f"{tag} stored")


async def _at_least(value, wanted: int) -> bool:
    return await value >= wanted


async def ready(http: aiohttp.ClientSession, url: str, expected: int) -> bool:
    async with http.get(url) as response:
        return response.status == expected


async def received_once_in_order(ws, expected: list[tuple[int, str | None]]) -> None:
    """`ws` carries exactly the `expected` events (each once, each conversation's in id order) and a resync."""
    frames, resyncs = [], 0
    while len(frames) < len(expected):
        try:
            frame = await asyncio.wait_for(ws.receive_json(), FRAME_TIMEOUT)
        except TimeoutError:
            missing = {i for i, _ in expected} - {f["id"] for f in frames}
            raise AssertionError(f"{len(missing)} of {len(expected)} events never reached the stream") from None
        if frame["type"] == "resync":
            resyncs += 1
        else:
            frames.append(frame)
    assert sorted(f["id"] for f in frames) == [i for i, _ in expected]  # each exactly once
    for conversation in {c for _, c in expected}:
        ids = [f["id"] for f in frames if f.get("conversation_id") == conversation]
        assert ids == sorted(ids), f"conversation {conversation} out of order"
    assert resyncs >= 1
    with pytest.raises(TimeoutError):  # nothing more arrives: no late duplicate
        await asyncio.wait_for(ws.receive_json(), 1.0)


async def test_an_open_agent_stream_misses_nothing_across_a_broker_cut(env, people):
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router"]).start()
    edge = await System(env, ["agent_api"], amqp_url=proxied_url).start()
    http = aiohttp.ClientSession()
    try:
        agent = await people.agent(capacity=CUSTOMERS)
        customers = [f"gap-{uuid.uuid4().hex[:8]}" for _ in range(CUSTOMERS)]
        await send_batches(env, customers, 30, "before")

        await proxy.cut()
        await wait_until(lambda: ready(http, env.url("agent_api", "/readyz"), 503), what="agent API loses the broker")
        await send_batches(env, customers, 15, "during")
        # A stream opened in the outage is live from its opening on, once the connection is back.
        opened_after = (await agent_events(env, agent.id))[-1][0]
        late = await agent.open_stream(env.url("agent_api"))
        await send_batches(env, customers, 15, "during")
        await proxy.restore()
        # Published while the agent API reconnects: before and after its live queue is back.
        await send_batches(env, customers, 30, "after")
        await wait_until(lambda: ready(http, env.url("agent_api", "/readyz"), 200), 30, "agent API reconnected")
        await send_batches(env, customers, 10, "settled")

        expected = await agent_events(env, agent.id)
        assert len({c for _, c in expected}) == CUSTOMERS
        await received_once_in_order(agent.ws, expected)
        await received_once_in_order(late, [(i, c) for i, c in expected if i > opened_after])
        await late.close()
    finally:
        await http.close()
        edge.stop()
        core.stop()
        await proxy.cut()


async def replies_stored(env, session_id: str) -> int:
    return await count(
        env,
        "SELECT count(*) FROM messages WHERE channel = 'webchat' AND customer_address = $1 AND direction = 'out'",
        session_id,
    )


async def reply_batches(env, agent, conversation_id: str, session_id: str, total: int, tag: str) -> None:
    """`total` agent replies, a batch at a time, each batch stored before the next."""
    for start in range(0, total, BATCH):
        before = await replies_stored(env, session_id)
        end = min(start + BATCH, total)
        for i in range(start, end):
            await agent.reply(conversation_id, f"{tag} {i}")
        wanted = before + end - start
        await wait_until(lambda wanted=wanted: _at_least(replies_stored(env, session_id), wanted), what=f"{tag} stored")


async def test_an_open_visitor_socket_misses_no_reply_across_a_broker_cut(env, people):
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["webchat_adapter"], amqp_url=proxied_url).start()
    http = aiohttp.ClientSession()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("hello")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        await reply_batches(env, agent, conversation_id, visitor.session_id, 20, "before")

        await proxy.cut()
        await wait_until(lambda: ready(http, env.url("webchat", "/readyz"), 503), what="web chat loses the broker")
        await reply_batches(env, agent, conversation_id, visitor.session_id, 20, "during")
        await proxy.restore()
        await reply_batches(env, agent, conversation_id, visitor.session_id, 20, "after")
        await wait_until(lambda: ready(http, env.url("webchat", "/readyz"), 200), 30, "web chat reconnected")
        await reply_batches(env, agent, conversation_id, visitor.session_id, 5, "settled")

        conn = await env.db()
        try:
            expected = [
                (r["seq"], r["text"])
                for r in await conn.fetch(
                    "SELECT seq, text FROM messages WHERE customer_address = $1 AND direction = 'out' ORDER BY seq",
                    visitor.session_id,
                )
            ]
        finally:
            await conn.close()
        assert [seq for seq, _ in expected] == list(range(1, 66))
        received, resyncs = [], 0
        while len(received) < len(expected):
            try:
                frame = await visitor.next_frame(timeout=FRAME_TIMEOUT)
            except TimeoutError:
                raise AssertionError(
                    f"{len(expected) - len(received)} of 65 replies never reached the visitor"
                ) from None
            if frame["type"] == "resync":
                resyncs += 1
            elif frame["type"] == "message":
                received.append((frame["seq"], frame["text"]))
        assert received == expected  # each once, in order
        assert resyncs >= 1
        with pytest.raises(TimeoutError):
            await visitor.next_frame(timeout=1.0)
    finally:
        await http.close()
        edge.stop()
        core.stop()
        await proxy.cut()
