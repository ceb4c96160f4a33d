"""At-least-once in, exactly-once effect: retries and redeliveries change nothing visible."""

import pytest

from tests.support import inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e


async def test_client_message_sent_three_times_is_stored_and_assigned_once(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor()

    acks = []
    for attempt in range(3):
        await visitor.send("余额不对 balance is wrong", client_id="retry-1")
        acks.append(await visitor.next_frame("ack"))
        if attempt == 1:  # the third try comes after a reconnect, as after a network drop
            await visitor.ws.close()
            await visitor.connect()
    assert len({ack["id"] for ack in acks}) == 1

    assignment = await agent.next_event()
    assert assignment["type"] == "assignment"
    await visitor.send("sentinel")
    # Anything the duplicates caused would arrive before the sentinel's event.
    after = await agent.next_event()
    assert (after["type"], after["text"]) == ("message", "sentinel")

    conn = await env.db()
    try:
        rows = await conn.fetch("SELECT id::text, text FROM messages WHERE direction = 'in' ORDER BY created_at")
        assert [(r["id"], r["text"]) for r in rows] == [
            (acks[0]["id"], "余额不对 balance is wrong"),
            (rows[1]["id"], "sentinel"),
        ]
        assignments = "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE $1"
        assert await conn.fetchval(assignments, '%"type":"assignment"%') == 1
    finally:
        await conn.close()


async def test_same_inbound_message_published_twice_is_stored_once(env, system, people):
    agent = await people.agent()
    message = inbound("+8613800138000", "pay failed", channel_message_id="SM-42", channel="sms")
    await publish_inbound(env.settings, [message, message])
    await publish_inbound(env.settings, [message])

    assignment = await agent.next_event()
    assert assignment["type"] == "assignment"
    await publish_inbound(env.settings, [inbound("+8613800138000", "sentinel", channel="sms")])
    after = await agent.next_event()
    assert (after["type"], after["text"]) == ("message", "sentinel")

    conn = await env.db()
    try:
        assert await conn.fetchval("SELECT count(*) FROM messages WHERE channel_message_id = 'SM-42'") == 1
        assert await conn.fetchval("SELECT count(*) FROM conversations") == 1
    finally:
        await conn.close()


async def test_concurrent_first_messages_open_one_conversation(env, system, people):
    """Many messages of one new customer at once, on 64-deep prefetch: still one conversation."""
    await people.agent()
    messages = [inbound("visitor-burst", f"message {n}") for n in range(40)]
    await publish_inbound(env.settings, messages)
    conn = await env.db()
    try:
        await wait_until(lambda: conn.fetchval("SELECT count(*) = 40 FROM messages"), what="40 messages stored")
        assert await conn.fetchval("SELECT count(*) FROM conversations") == 1
    finally:
        await conn.close()
