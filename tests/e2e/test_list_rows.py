"""What the console's list rows and composer read from the API: each row's last message (masked)
and SLA clocks, and the FAQ answers the router weighed for the customer's last message."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support import System, wait_until

pytestmark = pytest.mark.e2e

SMALL_FAQ = str(Path(__file__).resolve().parent.parent / "data" / "faq_small.yaml")
ALL = ("urgent", "high", "normal", "low")


async def _row(client, conversation_id: str, query: str = "") -> dict:
    status, body = await client.request("GET", f"/v1/conversations?limit=200{query}")
    assert status == 200, body
    return next(c for c in body["conversations"] if c["id"] == conversation_id)


async def test_list_rows_carry_the_last_message_masked_like_the_detail_and_the_sla_clocks(env, people):
    system = await System(
        env,
        ["router", "agent_api", "webchat_adapter"],
        sla_sweep_interval=0.2,
        sla_targets={"first_response": dict.fromkeys(ALL, "10m"), "resolution": dict.fromkeys(ALL, "3s")},
        routing_policy={"offline_grace_s": 0, "sla_warning_ratio": 0.3},
    ).start()
    try:
        supervisor = await people.agent(role="supervisor", online=False)
        visitor = await people.visitor(name="Wang Fang")
        await visitor.send("this is Wang Fang, my card 4111 1111 1111 1111 is blocked, call 13812345678")
        for _ in range(2):
            await (await people.visitor()).send("hello")  # two more conversations, all queued
        conversation_id = (await wait_until(lambda: _first_named(supervisor, "Wang Fang"), what="the row"))["id"]
        await wait_until(lambda: _count(supervisor, 3), what="three conversations")
        status, page = await supervisor.request("GET", "/v1/conversations?limit=2")  # the page size holds
        assert status == 200 and len(page["conversations"]) == 2 and page["next_cursor"]
        assert all(c["last_message"]["sender"] == "customer" for c in page["conversations"])

        row = await _row(supervisor, conversation_id)
        status, detail = await supervisor.request("GET", f"/v1/conversations/{conversation_id}")
        assert status == 200
        last = row["last_message"]
        assert last["text"] == detail["messages"][-1]["text"]
        assert "4111 1111 1111 1111" not in last["text"] and "13812345678" not in last["text"]
        assert "Wang Fang" not in last["text"] and "blocked" in last["text"]
        assert (last["direction"], last["sender"], last["kind"]) == ("in", "customer", "text")
        created = datetime.fromisoformat(row["created_at"])
        first_due = datetime.fromisoformat(row["first_response_due"])
        assert timedelta(minutes=9) < first_due - created <= timedelta(minutes=10, seconds=1)
        assert not row["first_response_breached"] and not row["first_response_warned"]

        # The resolution clock (3 s, warned at 30%) runs out while the customer waits in the queue.
        warned = await wait_until(lambda: _when(supervisor, conversation_id, "resolution_warned"), what="warning")
        assert not warned["resolution_breached"]
        breached = await wait_until(lambda: _when(supervisor, conversation_id, "resolution_breached"), what="breach")
        assert datetime.fromisoformat(breached["resolution_due"]) - created <= timedelta(seconds=4)
    finally:
        system.stop()


async def test_the_last_message_is_the_agents_reply_once_sent(system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("where is my money")
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]
    assert (await agent.request("POST", f"/v1/conversations/{conversation_id}/replies", {"text": "x" * 300}))[0] == 202
    row = await wait_until(lambda: _sent_by(agent, conversation_id, "agent"), what="the reply in the row")
    assert row["last_message"]["text"] == "x" * 139 + "…" and row["last_message"]["direction"] == "out"
    assert row["first_response_due"] is not None


async def _first_named(client, name: str) -> dict | None:
    status, body = await client.request("GET", "/v1/conversations?limit=200")
    assert status == 200, body
    return next((c for c in body["conversations"] if c["customer_name"] == name), None)


async def _count(client, count: int) -> bool:
    status, body = await client.request("GET", "/v1/conversations?limit=200")
    assert status == 200, body
    return len(body["conversations"]) == count


async def _when(client, conversation_id: str, flag: str) -> dict | None:
    row = await _row(client, conversation_id)
    return row if row[flag] else None


async def _sent_by(client, conversation_id: str, sender: str) -> dict | None:
    row = await _row(client, conversation_id)
    return row if row["last_message"] and row["last_message"]["sender"] == sender else None


async def _suggested(client, conversation_id: str, faq_id: str) -> list | None:
    status, detail = await client.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200, detail
    found = detail["faq_suggestions"]
    return found if [s["id"] for s in found][:1] == [faq_id] else None


async def test_the_detail_offers_the_faq_answers_weighed_for_the_customers_last_message(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter"], faq_kb=SMALL_FAQ).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        # Close to "忘记登录密码怎么办" but below the auto-answer threshold: it reaches a person.
        await visitor.send("登录密码不对，一直进不去")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        [suggestion] = await wait_until(lambda: _suggested(agent, conversation_id, "password-reset"))
        assert suggestion["answer"] == "在登录页点“忘记密码”，用绑定的手机号收验证码即可重置。"
        assert suggestion["question"] == "忘记登录密码怎么办"
        assert 0.45 <= suggestion["score"] < 0.64
        status, detail = await agent.request("GET", f"/v1/conversations/{conversation_id}")
        assert [m["direction"] for m in detail["messages"]] == ["in"]  # nothing was sent by itself

        await visitor.send("the bank card thing failed again when I tried")  # the last message speaks English
        [suggestion] = await wait_until(lambda: _suggested(agent, conversation_id, "card-bind"))
        assert suggestion["answer"].startswith("Go to Me > Bank cards > Add")
        assert suggestion["question"] == "how do I add a bank card"

        await visitor.send("thanks, hello there")
        # The live message event carries the same picks, so the console needs no second fetch.
        english = await agent.next_event("message")
        assert [s["id"] for s in english["faq_suggestions"]][:1] == ["card-bind"]
        assert english["faq_suggestions"][0]["answer"] == suggestion["answer"]
        assert (await agent.next_event("message"))["faq_suggestions"] == []
        status, detail = await agent.request("GET", f"/v1/conversations/{conversation_id}")
        assert status == 200 and len(detail["messages"]) == 3 and detail["faq_suggestions"] == []
    finally:
        system.stop()
