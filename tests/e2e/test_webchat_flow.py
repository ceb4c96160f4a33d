"""A web-chat visitor reaches an agent and gets the reply, through every service."""

import pytest

from tests.support import wait_until

pytestmark = pytest.mark.e2e


async def test_visitor_reaches_agent_and_gets_the_reply(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor(name="王小明")

    client_id = await visitor.send("我的转账还没到账 / my transfer has not arrived")
    ack = await visitor.next_frame("ack")
    assert ack["client_id"] == client_id

    assignment = await agent.next_event("assignment")
    assert assignment["customer_name"] == "王小明"
    assert assignment["channel"] == "webchat"
    assert assignment["preview"].startswith("我的转账")

    reply_id = await agent.reply(assignment["conversation_id"], "您好，我们正在核查 / we are checking")
    reply = await visitor.next_frame("message")
    assert reply == {
        "type": "message",
        "id": reply_id,
        "seq": 1,
        "from": "agent",
        "text": "您好，我们正在核查 / we are checking",
        "sent_at": reply["sent_at"],
        "attachments": [],
    }

    conn = await env.db()
    try:
        conversations = await conn.fetch("SELECT id, status, agent_id FROM conversations")
        messages = await conn.fetch("SELECT id::text, direction, text FROM messages ORDER BY created_at")
        correlation = await conn.fetchval("SELECT correlation_id FROM outbox WHERE id = $1", assignment["id"])
    finally:
        await conn.close()
    assert [(str(c["id"]), c["status"], str(c["agent_id"])) for c in conversations] == [
        (assignment["conversation_id"], "assigned", agent.id)
    ]
    assert [(m["id"], m["direction"]) for m in messages] == [(ack["id"], "in"), (reply_id, "out")]
    assert correlation == ack["id"], "the assignment carries the visitor message's id for the logs"


async def test_resolving_frees_capacity_for_the_queue(system, people):
    agent = await people.agent(capacity=1)
    first, second = await people.visitor(), await people.visitor()
    await first.send("first customer")
    assigned = await agent.next_event("assignment")
    await second.send("second customer")
    await second.next_frame("ack")

    status, body = await agent.request("GET", "/v1/conversations")
    assert status == 200 and [c["id"] for c in body["conversations"]] == [assigned["conversation_id"]]

    status, _ = await agent.request("POST", f"/v1/conversations/{assigned['conversation_id']}/resolve")
    assert status == 202
    assert (await agent.next_event("resolved"))["conversation_id"] == assigned["conversation_id"]
    queued = await agent.next_event("assignment")
    assert queued["customer_address"] == second.shown and queued["reason"] == "queue"

    status, body = await agent.request(
        "POST", f"/v1/conversations/{assigned['conversation_id']}/replies", {"text": "late"}
    )
    assert (status, body["error"]["code"]) == (409, "conversation_resolved")


async def test_visitor_who_was_away_gets_missed_replies_on_resume(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("hello")
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]
    await visitor.ws.close()

    first = await agent.reply(conversation_id, "reply one")
    second = await agent.reply(conversation_id, "reply two")
    conn = await env.db()
    try:
        await wait_until(
            lambda: conn.fetchval("SELECT count(*) = 2 FROM messages WHERE direction = 'out'"), what="replies stored"
        )
    finally:
        await conn.close()

    await visitor.connect()
    await visitor.ws.send_json({"type": "resume", "after_seq": 0})
    replayed = [await visitor.next_frame("message"), await visitor.next_frame("message")]
    assert [(f["id"], f["seq"]) for f in replayed] == [(first, 1), (second, 2)]

    await visitor.ws.send_json({"type": "resume", "after_seq": 1})
    assert (await visitor.next_frame("message"))["id"] == second


async def test_agent_stream_resumes_after_an_event_id(system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("first")
    assignment = await agent.next_event("assignment")
    await agent.ws.close()

    await visitor.send("second, while the agent is away")
    await visitor.next_frame("ack")
    await agent.connect(after=assignment["id"])
    missed = await agent.next_event("message")
    assert missed["text"] == "second, while the agent is away"
    assert missed["id"] > assignment["id"]


async def test_agents_read_card_and_phone_numbers_masked(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("卡号 4111 1111 1111 1111, 手机 13812345678")
    assignment = await agent.next_event("assignment")
    assert assignment["preview"] == "卡号 **** **** **** 1111, 手机 *******5678"
    status, detail = await agent.request("GET", f"/v1/conversations/{assignment['conversation_id']}")
    assert status == 200 and detail["messages"][0]["text"] == assignment["preview"]

    conn = await env.db()
    try:  # the record keeps the original for the customer's own history and audited unmasking
        assert await conn.fetchval("SELECT text FROM messages") == "卡号 4111 1111 1111 1111, 手机 13812345678"
    finally:
        await conn.close()
