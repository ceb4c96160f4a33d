"""Values the database or the bus cannot take are refused at the agent API's door, naming the field,
and change nothing: no command published, no row written.

Each family checks "nothing published" the same way: a tap on the command keys, every bad request,
then one good request; the good one's command must be the first (and only) thing the tap sees.
"""

import asyncio
import time
import uuid

import msgspec
import pytest

from contracts.topology import AGENT_COMMAND_KEY, NOTIFY_COMMAND_KEY
from tests.support import BusTap, System, inbound, publish_inbound

pytestmark = pytest.mark.e2e

NUL = "\u0000"
GOOD_BROADCAST = {"name": "fine", "audience": {"kind": "everyone"}, "content": {"sms": {"text": "hello"}}}
COUNTS = (
    "SELECT (SELECT count(*) FROM conversation_notes) AS notes, (SELECT count(*) FROM canned_responses) AS canned,"
    " (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM agent_tokens) AS tokens,"
    " (SELECT count(*) FROM audit_log) AS audit"
)


@pytest.fixture
async def desk(env, people):
    """Router and agent API; an agent with an assigned conversation, a supervisor and an admin."""
    system = await System(env, ["router", "agent_api"]).start()
    try:
        agent = await people.agent()
        await publish_inbound(env.settings, [inbound("bounds-customer", "need help")])
        conversation = (await agent.next_event("assignment"))["conversation_id"]
        supervisor = await people.agent(role="supervisor", online=False)
        admin = await people.agent(role="admin", online=False)
        yield agent, supervisor, admin, conversation
    finally:
        system.stop()


async def counts(env) -> dict:
    conn = await env.db()
    try:
        return dict(await conn.fetchrow(COUNTS))
    finally:
        await conn.close()


async def only_the_good_one_published(agent_tap: BusTap, notify_tap: BusTap, agent, supervisor) -> None:
    """One good command on each key; the tap's first message must be it (so no bad one went out)."""
    status, accepted = await agent.request("PUT", "/v1/me/status", {"status": "online"})
    assert status == 202
    [first] = await agent_tap.take(1)
    assert msgspec.json.decode(first)["command_id"] == accepted["id"]
    status, created = await supervisor.request("POST", "/v1/broadcasts", GOOD_BROADCAST)
    assert status == 202
    [first] = await notify_tap.take(1)
    assert msgspec.json.decode(first)["broadcast_id"] == created["id"]


async def test_text_with_nul_is_refused_naming_the_field(env, desk):
    agent, supervisor, admin, conversation = desk
    c = f"/v1/conversations/{conversation}"
    cases = [
        (agent, "POST", f"{c}/replies", {"text": f"hi{NUL}"}, "text"),
        (agent, "POST", f"{c}/transfer", {"note": NUL}, "note"),
        (agent, "POST", f"{c}/notes", {"text": f"a{NUL}b"}, "text"),
        (agent, "PUT", f"{c}/consent", {"channel": "webchat", "allowed": False, "reason": NUL}, "reason"),
        (agent, "POST", "/v1/canned-responses", {"shortcut": "nul", "title": "t", "text": NUL}, "text"),
        (agent, "POST", "/v1/customers", {"name": "A", "notes": f"x{NUL}", "conversation_id": conversation}, "notes"),
        (agent, "POST", "/v1/customers", {"name": NUL}, "name"),
        (agent, "POST", "/v1/callbacks", {"reason": "r", "conversation_id": conversation, "note": NUL}, "note"),
        (supervisor, "POST", "/v1/broadcasts", {**GOOD_BROADCAST, "content": {"sms": {"text": NUL}}}, "content.sms"),
        (
            supervisor,
            "POST",
            "/v1/broadcasts",
            {**GOOD_BROADCAST, "audience": {"kind": "customers", "customer_ids": [NUL]}},
            "audience.customer_ids[0]",
        ),
        (admin, "POST", "/v1/admin/agents", {"name": f"eve{NUL}"}, "name"),
        (agent, "GET", "/v1/canned-responses?q=%00", None, "'q'"),
        (agent, "DELETE", f"{c}/tags/a%00b", None, "path"),
        (admin, "GET", "/v1/admin/tokens?agent_id=%00", None, "agent_id"),
    ]
    before = await counts(env)
    async with BusTap(env.settings, AGENT_COMMAND_KEY) as agent_tap, BusTap(env.settings, NOTIFY_COMMAND_KEY) as tap:
        for who, method, path, body, field in cases:
            status, answer = await who.request(method, path, body)
            assert (status, answer["error"]["code"]) == (422, "invalid_text"), (path, body, answer)
            assert field in answer["error"]["message"] and "NUL" in answer["error"]["message"], answer
        await only_the_good_one_published(agent_tap, tap, agent, supervisor)
    assert await counts(env) == before


async def test_broadcast_naming_malformed_customer_ids_is_refused(env, desk):
    agent, supervisor, _, _ = desk
    async with BusTap(env.settings, AGENT_COMMAND_KEY) as agent_tap, BusTap(env.settings, NOTIFY_COMMAND_KEY) as tap:
        for index, bad in [(0, " 42"), (1, "a\tb"), (0, "x\n"), (0, "\u202eevil"), (0, "\x7f")]:
            ids = ["C-1"] * index + [bad]
            body = {**GOOD_BROADCAST, "audience": {"kind": "customers", "customer_ids": ids}}
            status, answer = await supervisor.request("POST", "/v1/broadcasts", body)
            assert (status, answer["error"]["code"]) == (422, "invalid_request"), (bad, answer)
            assert f"audience.customer_ids[{index}]" in answer["error"]["message"], answer
        await only_the_good_one_published(agent_tap, tap, agent, supervisor)


async def test_instants_out_of_bounds_are_refused_naming_the_parameter(env, desk):
    agent, supervisor, admin, conversation = desk
    year_1, year_9999, year_1999 = "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1999-12-31T23:00:00Z"
    callback = {"reason": "call back", "conversation_id": conversation}
    category = {"kind": "category", "category": "payment", "from": year_1, "to": "2024-01-01T00:00:00Z"}
    cases = [
        (agent, "POST", "/v1/callbacks", {**callback, "due_at": year_1}, "due_at"),
        (agent, "POST", "/v1/callbacks", {**callback, "due_at": year_9999}, "due_at"),
        (agent, "POST", "/v1/callbacks", {**callback, "due_at": year_1999}, "due_at"),
        (
            agent,
            "POST",
            f"/v1/callbacks/{uuid.uuid4()}/outcome",
            {"outcome": "reschedule", "reschedule_at": year_9999},
            "reschedule_at",
        ),
        (supervisor, "POST", "/v1/broadcasts", {**GOOD_BROADCAST, "send_at": year_9999}, "send_at"),
        (supervisor, "POST", "/v1/broadcasts", {**GOOD_BROADCAST, "audience": category}, "audience.from"),
        (admin, "POST", f"/v1/admin/agents/{agent.id}/tokens", {"name": "n", "expires_at": year_9999}, "expires_at"),
        (admin, "GET", "/v1/admin/audit?from=0001-01-01T00:00:00%2B00:00", None, "from"),
        (
            supervisor,
            "GET",
            "/v1/stats/volume?from=0001-01-01T00:00:00%2B00:00&to=0001-01-05T00:00:00%2B00:00",
            None,
            "to",
        ),
        (supervisor, "GET", "/v1/stats/volume?to=9999-12-31T23:59:59%2B00:00", None, "to"),
        (
            supervisor,
            "GET",
            "/v1/stats/volume?group=hour&from=1999-12-31T00:00:00%2B00:00&to=2000-01-02T00:00:00Z",
            None,
            "from",
        ),
    ]
    before = await counts(env)
    async with BusTap(env.settings, AGENT_COMMAND_KEY) as agent_tap, BusTap(env.settings, NOTIFY_COMMAND_KEY) as tap:
        for who, method, path, body, name in cases:
            started = time.monotonic()
            status, answer = await asyncio.wait_for(who.request(method, path, body), 5)
            assert (status, answer["error"]["code"]) == (400, "out_of_range"), (path, body, answer)
            assert f"'{name}'" in answer["error"]["message"] and "2000-01-01" in answer["error"]["message"], answer
            assert time.monotonic() - started < 2, path  # refused before any SQL runs
        await only_the_good_one_published(agent_tap, tap, agent, supervisor)
    assert await counts(env) == before
