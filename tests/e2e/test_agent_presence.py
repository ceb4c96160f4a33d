"""Presence follows the socket, across agent API replicas: online with the first stream, offline after
the grace when the last one closes or its replica dies; an explicit status holds for the session."""

import asyncio

import aiohttp
import pytest

from tests.support import System, free_port, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e

GRACE = 1.5
FAST = {
    "routing_policy": {"offline_grace_s": 0, "presence_grace_s": GRACE},
    "agent_api_presence_interval": 0.3,
    "sla_sweep_interval": 0.2,
}


@pytest.fixture
async def replicas(env):
    """The system with the agent API on two replicas (separate processes, separate ports)."""
    main = await System(env, ["router", "agent_api", "webchat_adapter"], **FAST).start()
    second = await System(env, ["agent_api"], agent_api_port=free_port(), **FAST).start()
    yield main, second
    second.stop()
    main.stop()


async def presence(env, agent_id: str) -> dict:
    conn = await env.db()
    try:
        return dict(
            await conn.fetchrow(
                "SELECT s.status, s.disconnected_at IS NOT NULL AS lingering,"
                " (SELECT count(*) FROM agent_streams t WHERE t.agent_id = s.agent_id) AS replicas"
                " FROM agents a LEFT JOIN agent_state s ON s.agent_id = a.id WHERE a.id = $1::uuid",
                agent_id,
            )
        )
    finally:
        await conn.close()


def has(env, agent_id: str, **expected):
    async def check():
        found = await presence(env, agent_id)
        return found if all(found[key] == value for key, value in expected.items()) else None

    return wait_until(check, what=f"agent {expected}")


async def test_the_stream_brings_an_agent_online_and_its_end_takes_them_offline_after_the_grace(env, replicas, people):
    _, second = replicas
    agent = await people.agent(online=False, stream=False)
    await agent.connect()
    await has(env, agent.id, status="online", replicas=1)

    assert (await agent.request("PUT", "/v1/me/status", {"status": "away"}))[0] == 202
    await has(env, agent.id, status="away")
    other_tab = await agent.open_stream(second.url("agent_api"))  # not a new session: the choice holds
    assert (await has(env, agent.id, replicas=2))["status"] == "away"

    await other_tab.close()
    await agent.ws.close()
    await has(env, agent.id, replicas=0, lingering=True)
    assert (await has(env, agent.id, status="offline", lingering=False))["replicas"] == 0

    await agent.connect()  # the next session starts online again
    await has(env, agent.id, status="online", replicas=1)


async def test_an_agent_back_within_the_grace_stays_online(env, replicas, people):
    returning = await people.agent(online=False, stream=False)
    witness = await people.agent(online=False, stream=False)
    for agent in (returning, witness):
        await agent.connect()
        await has(env, agent.id, status="online")

    await returning.ws.close()
    await has(env, returning.id, lingering=True)
    await witness.ws.close()  # leaves later than `returning` and does not come back
    await has(env, witness.id, lingering=True)
    await returning.connect()
    await has(env, returning.id, lingering=False, replicas=1)

    await has(env, witness.id, status="offline")  # a grace that began after the other's is over
    assert (await presence(env, returning.id))["status"] == "online"


async def test_streams_on_two_replicas_count_together_and_a_killed_replica_lets_its_agents_go(env, replicas, people):
    _main, second = replicas
    agent = await people.agent(online=False, stream=False)
    await agent.connect()
    elsewhere = await agent.open_stream(second.url("agent_api"))
    await has(env, agent.id, status="online", replicas=2)
    await publish_inbound(env.settings, [inbound("c-kill", "is anyone there?")])
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]

    await agent.ws.close()  # the last stream on the main replica: the other one still counts
    found = await has(env, agent.id, replicas=1)
    assert (found["status"], found["lingering"]) == ("online", False)

    colleague = await people.agent()
    second.kill()  # SIGKILL: the replica never says goodbye
    await has(env, agent.id, status="offline", replicas=0)
    moved = await colleague.next_event("assignment")
    assert (moved["conversation_id"], moved["reason"]) == (conversation_id, "queue")
    assert (await elsewhere.receive_json())["conversation_id"] == conversation_id  # both streams had it
    ended = await asyncio.wait_for(elsewhere.receive(), 10)  # then the socket died with the replica
    assert ended.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_supervisors_watch_the_stream_without_going_online(env, replicas, people):
    supervisor = await people.agent(role="supervisor", online=False)
    agent = await people.agent(online=False, stream=False)
    await agent.connect()  # no status chosen: the stream alone brings the agent online
    await has(env, agent.id, status="online", replicas=1)  # reported after the supervisor's stream opened
    assert (await presence(env, supervisor.id))["status"] in (None, "offline")
    assert (await presence(env, supervisor.id))["replicas"] == 0
