"""The agents' live stream: resume without loss or repeats, supervisors' replay, SLA warnings, transfer notes."""

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from contracts.events import CallbackDue
from contracts.topology import SUPERVISORS_KEY, agent_event_key
from tests.support import System, free_port, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

ALL_PRIORITIES = ("urgent", "high", "normal", "low")


async def stream_rows(env, after: int, agent_id: str | None = None) -> list[tuple[int, str]]:
    """(id, type) of the events an agent's (or, with None, the supervisors') stream carries after `after`,
    from both outboxes, in id order."""
    conn = await env.db()
    try:
        rows = await conn.fetch(
            "SELECT id, convert_from(payload, 'UTF8')::jsonb->>'type' AS type FROM ("
            " SELECT id, payload, routing_key, agent_id FROM outbox"
            " UNION ALL SELECT id, payload, routing_key, agent_id FROM notifier_outbox) AS e"
            " WHERE id > $1 AND CASE WHEN $2::uuid IS NULL THEN routing_key = $3"
            "  ELSE agent_id = $2::uuid AND routing_key <> $3 END ORDER BY id",
            after,
            agent_id,
            SUPERVISORS_KEY,
        )
    finally:
        await conn.close()
    return [(r["id"], r["type"]) for r in rows]


async def receive(ws, count: int) -> list[dict]:
    return [await asyncio.wait_for(ws.receive_json(), 10) for _ in range(count)]


async def until(ws, predicate) -> list[dict]:
    """Frames up to and including the first one `predicate` accepts."""
    frames = []
    while not frames or not predicate(frames[-1]):
        frames.append(await asyncio.wait_for(ws.receive_json(), 10))
    return frames


async def write_notifier_event(env, agent_id: str | None) -> int:
    """A callback reminder as the notifier stores it (its own outbox, the shared id sequence), for
    an agent or, with None, for every supervisor."""
    event = CallbackDue(
        conversation_id="",
        agent_id=agent_id or "",
        occurred_at=datetime.now(UTC),
        callback_id=str(uuid.uuid4()),
        due_at=datetime.now(UTC),
        reason="follow_up",
        channel="sms",
        customer_address="+8613812345678",
    )
    conn = await env.db()
    try:
        return await conn.fetchval(
            "INSERT INTO notifier_outbox (routing_key, payload, agent_id, published_at)"
            " VALUES ($1, $2, $3, now()) RETURNING id",
            agent_event_key(agent_id) if agent_id else SUPERVISORS_KEY,
            msgspec.json.encode(event),
            uuid.UUID(agent_id) if agent_id else None,
        )
    finally:
        await conn.close()


async def test_a_dropped_stream_resumes_with_every_missed_event_exactly_once(env, system, people):
    agent = await people.agent()
    first = await people.visitor()
    await first.send("first")
    assignment = await agent.next_event("assignment")
    conversation_id = assignment["conversation_id"]
    await agent.ws.close()  # the line drops; the presence grace keeps the agent online

    await first.send("second, while the agent is away")
    await wait_until(lambda: _count(stream_rows(env, assignment["id"], agent.id), 1), what="the message stored")
    reminder_id = await write_notifier_event(env, agent.id)
    other = await people.visitor()
    await other.send("a new customer")
    await wait_until(lambda: _count(stream_rows(env, assignment["id"], agent.id), 3), what="the new assignment")
    status, _ = await agent.request("POST", f"/v1/conversations/{conversation_id}/transfer", {})
    assert status == 202
    expected = await wait_until(lambda: _count(stream_rows(env, assignment["id"], agent.id), 4), what="4 events")
    assert [kind for _, kind in expected] == ["message", "callback_due", "assignment", "unassigned"]
    assert expected[1][0] == reminder_id

    await agent.connect(after=assignment["id"])
    replayed = await receive(agent.ws, len(expected))
    assert [(f["id"], f["type"]) for f in replayed] == expected
    assert replayed[0]["text"] == "second, while the agent is away"
    assert replayed[1]["customer_address"] == "+*********5678"  # masked like every other frame
    assert (replayed[3]["conversation_id"], replayed[3]["reason"]) == (conversation_id, "transferred")

    await other.send("sentinel")
    after = await until(agent.ws, lambda f: f.get("text") == "sentinel")
    ids = [f["id"] for f in replayed + after]
    assert len(ids) == len(set(ids))  # nothing repeated
    stored = await stream_rows(env, expected[-1][0], agent.id)
    assert [(f["id"], f["type"]) for f in after] == [row for row in stored if row[0] <= after[-1]["id"]]


async def test_a_supervisor_resumes_the_sla_events_every_supervisor_sees(env, people):
    system = await System(
        env,
        ["router", "agent_api", "webchat_adapter"],
        sla_sweep_interval=0.2,
        routing_policy={"offline_grace_s": 0, "sla_warning_ratio": 0.5},
        sla_targets={"first_response": dict.fromkeys(ALL_PRIORITIES, "2s")},
    ).start()
    try:
        supervisor = await people.agent(role="supervisor", online=False)
        await publish_inbound(env.settings, [inbound("c-first", "where is my refund")])  # nobody online: queued
        assert (await supervisor.next_event("sla_warning"))["kind"] == "first_response"
        breach = await supervisor.next_event("sla_breached")
        await supervisor.ws.close()

        await publish_inbound(env.settings, [inbound("c-missed", "my card is blocked")])
        await wait_until(lambda: _count(stream_rows(env, breach["id"]), 2), what="the missed warning and breach")
        await write_notifier_event(env, None)  # an overdue callback, say: every supervisor's concern
        missed = await stream_rows(env, breach["id"])
        assert [kind for _, kind in missed] == ["sla_warning", "sla_breached", "callback_due"]

        await supervisor.connect(after=breach["id"])
        replayed = await receive(supervisor.ws, len(missed))
        assert [(f["id"], f["type"]) for f in replayed] == missed
        assert replayed[0]["conversation_id"] == replayed[1]["conversation_id"] != breach["conversation_id"]
        await publish_inbound(env.settings, [inbound("c-next", "hello again")])
        following = await supervisor.next_event()  # the next one is new: nothing replayed comes again
        assert (following["type"], following["kind"]) == ("sla_warning", "first_response")
        assert (following["id"], "sla_warning") == (await stream_rows(env, missed[-1][0]))[0]
    finally:
        system.stop()


async def test_an_sla_warning_goes_out_once_before_the_breach_with_two_routers(env, people):
    overrides = {
        "sla_sweep_interval": 0.1,
        "routing_policy": {"offline_grace_s": 0, "sla_warning_ratio": 0.5},
        "sla_targets": {"first_response": dict.fromkeys(ALL_PRIORITIES, "3s")},
    }
    main = await System(env, ["router", "agent_api", "webchat_adapter"], **overrides).start()
    other_router = await System(env, ["router"], router_port=free_port(), **overrides).start()
    try:
        supervisor = await people.agent(role="supervisor", online=False)
        agent = await people.agent()
        await publish_inbound(env.settings, [inbound("c-slow", "please answer")])
        assignment = await agent.next_event("assignment")
        frames = await until(agent.ws, lambda f: f["type"] == "sla_breached")
        warnings = [f for f in frames if f["type"] == "sla_warning"]
        assert [(w["conversation_id"], w["kind"]) for w in warnings] == [
            (assignment["conversation_id"], "first_response")
        ]
        assert warnings[0]["due_at"] == frames[-1]["due_at"]
        seen = await until(supervisor.ws, lambda f: f["type"] == "sla_breached")
        assert [f["type"] for f in seen] == ["sla_warning", "sla_breached"]
        kinds = [kind for _, kind in await stream_rows(env, 0, agent.id) + await stream_rows(env, 0)]
        assert kinds.count("sla_warning") == 2  # one for the agent, one for the supervisors: not per router
    finally:
        other_router.stop()
        main.stop()


async def test_a_transfer_note_reaches_whoever_takes_the_conversation(env, system, people):
    first = await people.agent()
    await publish_inbound(env.settings, [inbound("c-note", "I was charged twice, call me on 13812345678")])
    assignment = await first.next_event("assignment")
    path = f"/v1/conversations/{assignment['conversation_id']}/transfer"
    colleague = await people.agent()
    note = "VIP, promised a call back on 13812345678"
    assert (await first.request("POST", path, {"to_agent_id": colleague.id, "note": note}))[0] == 202
    moved = await colleague.next_event("assignment")
    assert (moved["reason"], moved["note"]) == ("transfer", "VIP, promised a call back on *******5678")

    specialist = await people.agent(teams=["billing-l2"])
    body = {"to_team": "billing-l2", "note": "needs the refund ledger"}
    assert (await colleague.request("POST", path, body))[0] == 202
    taken = await specialist.next_event("assignment")
    assert (taken["conversation_id"], taken["note"]) == (assignment["conversation_id"], "needs the refund ledger")


async def _count(rows, count: int):
    found = await rows
    return found if len(found) >= count else None
