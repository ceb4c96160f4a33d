"""The callback worklist in the agent API: who sees, claims and closes what, and bad requests refused."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.topology import APPLICATION_PREAPPROVED_KEY
from tests.notifier_support import desk, fetchval, preapproval, publish_in_order
from tests.support import wait_until

pytestmark = pytest.mark.e2e


def ids(body: dict) -> set[str]:
    return {callback["id"] for callback in body["callbacks"]}


async def pool_callback(env, application_id: str) -> str:
    """A pre-approval call not due until tomorrow: nobody's yet, in the pool for anyone to claim."""
    await publish_in_order(
        env, APPLICATION_PREAPPROVED_KEY, preapproval(application_id, approved_at=datetime.now(UTC) + timedelta(days=1))
    )
    query = "SELECT id::text FROM callback_tasks WHERE application_id = $1"
    return await wait_until(lambda: fetchval(env, query, application_id), what="the pool callback")


async def cast(env, people):
    """An owner (online), another agent and a supervisor; a callback due and assigned to the owner,
    and one in the pool."""
    owner = await people.agent()
    other = await people.agent(online=False)
    supervisor = await people.agent(role="supervisor", online=False)
    await publish_in_order(env, APPLICATION_PREAPPROVED_KEY, preapproval(f"APP-{uuid.uuid4().hex[:8]}"))
    mine = (await owner.next_event("callback_due"))["callback_id"]
    return owner, other, supervisor, mine, await pool_callback(env, f"APP-{uuid.uuid4().hex[:8]}")


async def claimed(agent, callback: str) -> bool:
    return (await agent.request("GET", f"/v1/callbacks/{callback}"))[1]["claimed"]


async def test_agents_see_their_own_and_the_pool_and_supervisors_see_and_filter_all(env, people):
    async with desk(env, callback_preapproval_due="1s"):
        owner, other, supervisor, mine, pooled = await cast(env, people)

        for who, query, status, expected in [
            (owner, "", 200, {mine, pooled}),
            (owner, "?agent_id=me", 200, {mine}),
            (owner, "?agent_id=none", 200, {pooled}),
            (other, "", 200, {pooled}),
            (supervisor, "", 200, {mine, pooled}),
            (supervisor, f"?agent_id={owner.id}", 200, {mine}),
            (supervisor, "?agent_id=none&state=scheduled", 200, {pooled}),
            (supervisor, "?state=closed", 200, set()),
            (other, f"?agent_id={owner.id}", 403, None),
            (owner, "?state=bogus", 422, None),
            (owner, "?limit=0", 422, None),
            (supervisor, "?agent_id=someone", 422, None),
        ]:
            got, body = await who.request("GET", f"/v1/callbacks{query}")
            assert got == status, (query, body)
            if expected is not None:
                assert ids(body) == expected, query

        for who, callback, status in [
            (owner, mine, 200),
            (supervisor, mine, 200),
            (other, mine, 404),
            (other, pooled, 200),
            (owner, str(uuid.uuid4()), 404),
            (owner, "not-a-uuid", 404),
        ]:
            got, body = await who.request("GET", f"/v1/callbacks/{callback}")
            assert got == status, (callback, body)
        body = (await owner.request("GET", f"/v1/callbacks/{mine}"))[1]
        assert body["customer_address"] != "+8613800138000" and body["assigned_agent_id"] == owner.id


async def test_claims_and_outcomes_follow_ownership(env, people):
    async with desk(env, callback_preapproval_due="1s"):
        owner, other, supervisor, mine, pooled = await cast(env, people)

        assert (await other.request("POST", f"/v1/callbacks/{mine}/claim"))[0] == 404
        assert (await owner.request("POST", f"/v1/callbacks/{mine}/claim"))[0] == 202
        assert (await owner.next_event("callback_assigned"))["how"] == "claimed"
        await wait_until(lambda: claimed(owner, mine), what="the claim applied")
        status, body = await supervisor.request("POST", f"/v1/callbacks/{mine}/claim")
        assert (status, body["error"]["code"]) == (409, "callback_already_claimed")
        assert (await other.request("POST", f"/v1/callbacks/{pooled}/claim"))[0] == 202
        assert (await other.next_event("callback_assigned"))["callback_id"] == pooled

        outcome = f"/v1/callbacks/{mine}/outcome"
        later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        for who, body, status, code in [
            (supervisor, {"outcome": "reached"}, 409, "not_assigned_to_you"),
            (other, {"outcome": "reached"}, 404, "not_found"),
            (owner, {"outcome": "bogus"}, 422, "invalid_request"),
            (owner, {"outcome": "reschedule"}, 422, "invalid_request"),
            (owner, {"outcome": "reached", "reschedule_at": later}, 422, "invalid_request"),
            (owner, {"outcome": "reschedule", "reschedule_at": "2030-01-01T10:00:00"}, 422, "invalid_request"),
            (owner, {"outcome": "reschedule", "reschedule_at": "2020-01-01T10:00:00Z"}, 422, "invalid_request"),
            (owner, {"outcome": "reached", "extra": 1}, 422, "invalid_request"),
            (owner, {"outcome": "reached", "note": "x" * 2001}, 422, "invalid_request"),
        ]:
            got, answer = await who.request("POST", outcome, body)
            assert (got, answer["error"]["code"]) == (status, code), body
        async with owner.http.post(owner.env.url("agent_api", outcome), data=b"{oops") as response:
            assert response.status == 400

        assert (await owner.request("POST", outcome, {"outcome": "reschedule", "reschedule_at": later}))[0] == 202
        moved = await owner.next_event("callback_updated")
        assert (moved["state"], datetime.fromisoformat(moved["due_at"])) == ("scheduled", datetime.fromisoformat(later))
        assert (await owner.request("POST", outcome, {"outcome": "reached", "note": "客户已确认"}))[0] == 202
        done = await owner.next_event("callback_updated")
        assert (done["state"], done["outcome"]) == ("closed", "reached")
        status, body = await owner.request("POST", outcome, {"outcome": "reached"})
        assert (status, body["error"]["code"]) == (409, "callback_closed")


async def test_a_claim_that_loses_a_race_is_refused(env, people):
    async with desk(env):
        first, second = await people.agent(online=False), await people.agent(online=False)
        pooled = await pool_callback(env, "APP-E")
        answers = await asyncio.gather(*(a.request("POST", f"/v1/callbacks/{pooled}/claim") for a in (first, second)))
        accepted = [agent for agent, (status, _) in zip((first, second), answers, strict=False) if status == 202]
        assert accepted and all(status in (202, 409) for status, _ in answers)
        events = [await agent.next_event() for agent in accepted]
        winners = [
            agent for agent, event in zip(accepted, events, strict=False) if event["type"] == "callback_assigned"
        ]
        losers = [event for event in events if event["type"] == "command_rejected"]
        assert len(winners) == 1 and len(losers) == len(accepted) - 1
        assert all((e["callback_id"], e["reason"]) == (pooled, "callback_already_claimed") for e in losers)
        owner = await fetchval(env, "SELECT assigned_agent_id::text FROM callback_tasks WHERE id = $1::uuid", pooled)
        assert owner == winners[0].id


async def test_agents_schedule_callbacks_for_customers_they_served(env, people):
    async with desk(env):
        owner = await people.agent()
        other = await people.agent(online=False)
        supervisor = await people.agent(role="supervisor", online=False)
        visitor = await people.visitor()
        await visitor.send("my transfer has not arrived")
        conversation = (await owner.next_event("assignment"))["conversation_id"]
        due_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

        status, body = await owner.request(
            "POST", "/v1/callbacks", {"conversation_id": conversation, "reason": "确认转账到账", "due_at": due_at}
        )
        assert status == 202
        created = await owner.next_event("callback_assigned")
        assert (created["callback_id"], created["how"], created["conversation_id"]) == (
            body["id"],
            "created",
            conversation,
        )
        status, detail = await owner.request("GET", f"/v1/callbacks/{body['id']}")
        assert (detail["source"], detail["state"], detail["assigned_agent_id"]) == ("agent", "scheduled", owner.id)
        assert detail["links"]["conversation"] == f"/v1/conversations/{conversation}"

        by_contact = {"channel": "webchat", "customer_address": visitor.session_id, "reason": "VIP follow-up"}
        for who, request_body, status, code in [
            (other, {"conversation_id": conversation, "reason": "not mine"}, 404, "not_found"),
            (other, by_contact, 404, "not_found"),
            (owner, {"channel": "sms", "customer_address": "+8613700000000", "reason": "unknown"}, 404, "not_found"),
            (owner, {}, 422, "invalid_request"),
            (owner, {"reason": "neither"}, 422, "invalid_request"),
            (owner, {"reason": "both", "conversation_id": conversation, **by_contact}, 422, "invalid_request"),
            (owner, {"reason": "", "conversation_id": conversation}, 422, "invalid_request"),
            (
                owner,
                {"reason": "naive", "conversation_id": conversation, "due_at": "2030-01-01T09:00:00"},
                422,
                "invalid_request",
            ),
        ]:
            got, answer = await who.request("POST", "/v1/callbacks", request_body)
            assert (got, answer["error"]["code"]) == (status, code), request_body
        assert (await owner.request("POST", "/v1/callbacks", by_contact))[0] == 202
        assert (await supervisor.request("POST", "/v1/callbacks", by_contact))[0] == 202
        assert (await supervisor.next_event("callback_assigned"))["how"] == "created"
