"""Callback tasks end to end: follow-ups after resolution, pre-approval calls on the agent's stream,
overdue escalation to supervisors, no-answer retries until unreachable."""

from datetime import datetime, timedelta

import msgspec
import pytest

from contracts import Channel, ConversationClosed
from contracts.topology import APPLICATION_PREAPPROVED_KEY, CONVERSATION_RESOLVED_KEY
from tests.notifier_support import PHONE, desk, fetchval, history_counts, preapproval, publish_in_order
from tests.support import wait_until

pytestmark = pytest.mark.e2e


async def task_count(env, column: str, value) -> int:
    return await fetchval(env, f"SELECT count(*) FROM callback_tasks WHERE {column} = $1", value)


async def test_resolving_a_loan_conversation_creates_its_follow_up_once(env, people):
    async with desk(env, callback_rules={"loan": "1s"}):
        agent, visitor = await people.agent(), await people.visitor()
        await visitor.send("I need help with my loan repayment")
        assignment = await agent.next_event("assignment")
        conversation_id = assignment["conversation_id"]
        assert assignment["category"] == "loan"
        assert (await agent.request("POST", f"/v1/conversations/{conversation_id}/resolve"))[0] == 202

        due = await agent.next_event("callback_due")  # to the agent who resolved it
        assert (due["conversation_id"], due["reason"]) == (
            conversation_id,
            "Follow-up after a resolved loan conversation",
        )
        status, body = await agent.request("GET", f"/v1/callbacks/{due['callback_id']}")
        assert status == 200 and (body["source"], body["category"], body["state"]) == ("rule", "loan", "due")
        assert body["links"]["conversation"] == f"/v1/conversations/{conversation_id}"

        resolved_at = await fetchval(env, "SELECT resolved_at FROM conversations WHERE id = $1::uuid", conversation_id)
        again = ConversationClosed(
            conversation_id=conversation_id,
            channel=Channel.WEBCHAT,
            customer_address=visitor.session_id,
            resolved_at=resolved_at,
            category="loan",
            agent_id=agent.id,
        )
        reopened_and_resolved = msgspec.structs.replace(again, resolved_at=resolved_at + timedelta(hours=1))
        await publish_in_order(env, CONVERSATION_RESOLVED_KEY, again, reopened_and_resolved)
        key = f"resolved:{conversation_id}:{reopened_and_resolved.resolved_at.isoformat()}"
        await wait_until(lambda: task_count(env, "dedupe_key", key), what="the later resolution's follow-up")
        assert await task_count(env, "conversation_id", conversation_id) == 2  # the redelivery added none


async def test_a_preapproved_application_becomes_a_due_callback_on_the_agents_stream(env, people):
    async with desk(env, callback_preapproval_due="1s"):
        agent = await people.agent(skills=["loan"])
        first = preapproval("APP-7")
        await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, first, first, preapproval("APP-8"))

        assigned = await agent.next_event("callback_assigned")
        due = await agent.next_event("callback_due")
        assert due["callback_id"] == assigned["callback_id"] and assigned["how"] == "due"
        assert (due["category"], due["customer_name"], due["conversation_id"]) == ("loan", "王小明", "")
        assert "APP-7" in due["reason"] and due["customer_address"] != PHONE  # masked on the stream

        status, body = await agent.request("GET", f"/v1/callbacks/{due['callback_id']}")
        assert status == 200
        assert (body["source"], body["application_id"], body["application_type"]) == (
            "preapproval",
            "APP-7",
            "cash_loan",
        )
        assert body["customer_address"] != PHONE and "13900139000" not in body["details"]["contact"]
        assert body["details"]["amount"] == "50000 CNY"
        assert [entry["event"] for entry in body["history"]] == ["created", "due", "assigned"]

        await wait_until(lambda: task_count(env, "application_id", "APP-8"), what="the next application's call")
        assert await task_count(env, "application_id", "APP-7") == 1  # the redelivered event added none


async def test_an_overdue_callback_is_escalated_to_supervisors_once(env, people):
    async with desk(env, callback_preapproval_due="1s", callback_overdue_grace="1s"):
        supervisor = await people.agent(role="supervisor", online=False)
        agent = await people.agent()
        await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, preapproval("APP-1"))
        first = (await agent.next_event("callback_due"))["callback_id"]
        overdue = await supervisor.next_event("callback_overdue")
        assert (overdue["callback_id"], overdue["agent_id"]) == (first, agent.id)
        assert (await agent.next_event("callback_overdue"))["callback_id"] == first

        await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, preapproval("APP-2"))
        seen = []
        while not seen or seen[-1]["callback_id"] == first:  # until the second one's escalation
            seen.append(await supervisor.next_event("callback_overdue"))
        assert [event["callback_id"] for event in seen[:-1]] == []
        assert sorted((await history_counts(env, "overdue")).values()) == [1, 1]


async def test_no_answer_calls_again_at_spaced_times_up_to_the_limit_then_closes(env, people):
    async with desk(env, callback_preapproval_due="1s", callback_retry_schedule="1s,2s", callback_no_answer_limit=3):
        agent = await people.agent()
        await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, preapproval("APP-3"))
        callback = (await agent.next_event("callback_due"))["callback_id"]
        path = f"/v1/callbacks/{callback}/outcome"
        for attempt, wait in ((1, 1), (2, 2)):
            assert (await agent.request("POST", path, {"outcome": "no_answer", "note": f"try {attempt}"}))[0] == 202
            updated = await agent.next_event("callback_updated")
            assert (updated["state"], updated["outcome"], updated["attempts"]) == ("scheduled", "no_answer", attempt)
            spacing = datetime.fromisoformat(updated["due_at"]) - datetime.fromisoformat(updated["occurred_at"])
            assert abs(spacing - timedelta(seconds=wait)) < timedelta(milliseconds=500)
            assert (await agent.next_event("callback_due", timeout=15))["attempts"] == attempt

        assert (await agent.request("POST", path, {"outcome": "no_answer"}))[0] == 202
        closed = await agent.next_event("callback_updated")
        assert (closed["state"], closed["outcome"], closed["attempts"]) == ("closed", "unreachable", 3)
        status, body = await agent.request("GET", f"/v1/callbacks/{callback}")
        assert (body["state"], body["result"], body["attempts"]) == ("closed", "unreachable", 3)
        assert [entry["event"] for entry in body["history"]] == [
            "created",
            "due",
            "assigned",
            "no_answer",
            "due",
            "no_answer",
            "due",
            "no_answer",
        ]
        for action, payload in (("outcome", {"outcome": "reached"}), ("claim", None)):
            status, body = await agent.request("POST", f"/v1/callbacks/{callback}/{action}", payload)
            assert (status, body["error"]["code"]) == (409, "callback_closed")
