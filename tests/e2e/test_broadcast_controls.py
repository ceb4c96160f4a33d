"""Broadcast controls and feedback: pause, resume and cancel; delivery reports; one-click
unsubscribe that later broadcasts honour; who may do what through the agent API."""

import uuid
from datetime import UTC, datetime

import aiohttp
import pytest

from contracts import DeliveryReported, DeliveryStatus
from contracts.topology import EMAIL_OUTBOUND, delivery_key
from tests.support import System, publish_keyed, take_messages, wait_until

pytestmark = pytest.mark.e2e

SMS = {"sms": {"text": "【钱包】系统维护通知"}}


async def _seed(env, channel: str, count: int) -> None:
    conn = await env.db()
    try:
        await conn.copy_records_to_table(
            "contacts",
            columns=["channel", "address"],
            records=[(channel, f"+8613{n:09d}" if channel == "sms" else f"u{n}@example.com") for n in range(count)],
        )
    finally:
        await conn.close()


@pytest.fixture
async def desk(env):
    running = [
        await System(env, ["router", "agent_api"]).start(),
        await System(
            env,
            ["notifier"],
            default_timezone="Etc/GMT",
            quiet_hours="00:00-00:00",
            broadcast_rates={"sms": 20.0, "email": 0.0, "wechat": 0.0},
            survey_delay="off",
            notifier_public_url=f"http://127.0.0.1:{env.settings.notifier_port}",
        ).start(),
    ]
    yield
    for process in running:
        process.stop()


async def _progress(supervisor, broadcast_id: str) -> dict:
    return (await supervisor.request("GET", f"/v1/broadcasts/{broadcast_id}"))[1]


async def test_pause_resume_and_cancel(env, desk, people):
    await _seed(env, "sms", 60)
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    status, created = await supervisor.request(
        "POST",
        "/v1/broadcasts",
        {"name": "Maintenance", "audience": {"kind": "channel", "channels": ["sms"]}, "content": SMS},
    )
    assert status == 202
    broadcast = created["id"]
    await wait_until(lambda: _sent_at_least(supervisor, broadcast, 5), what="sending started")
    assert (await supervisor.request("POST", f"/v1/broadcasts/{broadcast}/pause"))[0] == 202
    paused = await wait_until(lambda: _in_state(supervisor, broadcast, "paused"), what="paused")
    assert paused["progress"]["sent"] < 60
    status, body = await supervisor.request("POST", f"/v1/broadcasts/{broadcast}/pause")
    assert (status, body["error"]["code"]) == (409, "invalid_state")
    assert (await supervisor.request("POST", f"/v1/broadcasts/{broadcast}/resume"))[0] == 202
    done = await wait_until(lambda: _in_state(supervisor, broadcast, "done"), what="done")
    assert (done["progress"]["sent"], done["progress"]["queued"]) == (60, 0)
    assert done["estimate"]["sms"]["recipients"] == 60

    _, second = await supervisor.request(
        "POST", "/v1/broadcasts", {"name": "Again", "audience": {"kind": "everyone"}, "content": SMS}
    )
    await wait_until(lambda: _sent_at_least(supervisor, second["id"], 1), what="second started")
    assert (await supervisor.request("POST", f"/v1/broadcasts/{second['id']}/cancel"))[0] == 202
    cancelled = await wait_until(lambda: _in_state(supervisor, second["id"], "cancelled"), what="cancelled")
    progress = cancelled["progress"]
    assert progress["sent"] + progress["reasons"].get("cancelled", 0) == 60 and progress["queued"] == 0
    listed = (await supervisor.request("GET", "/v1/broadcasts"))[1]["broadcasts"]
    assert [b["id"] for b in listed] == [second["id"], broadcast]


async def test_unsubscribe_link_and_delivery_reports(env, desk, people):
    await _seed(env, "email", 3)
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    content = {"email": {"subject": "News", "text": "Hello"}}
    _, first = await supervisor.request(
        "POST", "/v1/broadcasts", {"name": "News", "audience": {"kind": "everyone"}, "content": content}
    )
    await wait_until(lambda: _in_state(supervisor, first["id"], "done"), what="first done")
    mails = [
        __import__("msgspec").json.decode(m.body) for m in await take_messages(env.settings, EMAIL_OUTBOUND.name, 3)
    ]
    leaving = next(m for m in mails if m["customer_address"] == "u0@example.com")
    async with aiohttp.ClientSession() as reader:
        async with reader.get(leaving["unsubscribe_url"]) as page:
            assert page.status == 200  # a look changes nothing: scanners follow links
        async with reader.post(leaving["unsubscribe_url"], data={"List-Unsubscribe": "One-Click"}) as page:
            assert page.status == 200

    report = DeliveryReported(
        message_id=mails[1]["message_id"],
        channel="email",
        status=DeliveryStatus.DELIVERED,
        occurred_at=datetime.now(UTC),
    )
    await publish_keyed(env.settings, [(delivery_key("email"), report, str(uuid.uuid4()))])
    delivered = await wait_until(lambda: _count(supervisor, first["id"], "delivered", 1), what="delivered")
    assert delivered["progress"]["sent"] == 2

    async def unsubscribed() -> bool:
        conn = await env.db()
        try:
            return await conn.fetchval("SELECT NOT reachable FROM contacts WHERE address = 'u0@example.com'")
        finally:
            await conn.close()

    await wait_until(unsubscribed, what="opt-out recorded by the router")
    _, second = await supervisor.request(
        "POST", "/v1/broadcasts", {"name": "More news", "audience": {"kind": "everyone"}, "content": content}
    )
    done = await wait_until(lambda: _in_state(supervisor, second["id"], "done"), what="second done")
    assert (done["progress"]["sent"], done["progress"]["reasons"]) == (2, {"opted_out": 1})


async def test_only_supervisors_broadcast_and_bad_requests_are_refused(env, system, people):
    agent = await people.agent(online=False, stream=False)
    supervisor = await people.agent(role="supervisor", online=False, stream=False)
    body = {"name": "x", "audience": {"kind": "everyone"}, "content": SMS}
    assert (await agent.request("POST", "/v1/broadcasts", body))[0] == 403
    assert (await agent.request("GET", "/v1/broadcasts"))[0] == 403
    for bad in [
        {**body, "audience": {"kind": "tag"}},
        {**body, "content": {}},
        {**body, "content": {"sms": {"text": ""}}},
        {**body, "send_at": "tomorrow"},
    ]:
        status, answer = await supervisor.request("POST", "/v1/broadcasts", bad)
        assert (status, answer["error"]["code"]) == (422, "invalid_request"), bad
    listed = {**body, "audience": {"kind": "customers", "customer_ids": [f"W-{n:08d}" for n in range(100_000)]}}
    status, answer = await supervisor.request("POST", "/v1/broadcasts", listed)  # a 1.5 MB list is fine
    assert status == 202, answer
    too_many = {**body, "audience": {"kind": "customers", "customer_ids": ["W"] * 100_001}}
    assert (await supervisor.request("POST", "/v1/broadcasts", too_many))[0] == 422
    assert (await supervisor.request("GET", f"/v1/broadcasts/{uuid.uuid4()}"))[0] == 404
    assert (await supervisor.request("POST", f"/v1/broadcasts/{uuid.uuid4()}/cancel"))[0] == 404


async def _in_state(supervisor, broadcast_id: str, state: str) -> dict | None:
    found = await _progress(supervisor, broadcast_id)
    return found if found.get("state") == state else None


async def _sent_at_least(supervisor, broadcast_id: str, count: int) -> bool:
    return (await _progress(supervisor, broadcast_id)).get("progress", {}).get("sent", 0) >= count


async def _count(supervisor, broadcast_id: str, outcome: str, count: int) -> dict | None:
    found = await _progress(supervisor, broadcast_id)
    return found if found.get("progress", {}).get(outcome, 0) >= count else None
