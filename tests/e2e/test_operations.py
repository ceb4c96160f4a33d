"""What ops see: liveness, readiness with its checks, and Prometheus metrics per service."""

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

SERVICES = {"router": "router", "agent_api": "agent_api", "webchat": "webchat_adapter"}


async def test_health_readiness_and_metrics(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor()
    await visitor.send("hello")
    await agent.next_event("assignment")

    async with aiohttp.ClientSession() as http:
        for short, name in SERVICES.items():
            async with http.get(env.url(short, "/healthz")) as response:
                assert (response.status, await response.json()) == (200, {"status": "ok", "service": name})
            async with http.get(env.url(short, "/readyz")) as response:
                assert (response.status, await response.json()) == (
                    200,
                    {"ready": True, "checks": {"broker": True, "database": True}},
                )
        async with http.get(env.url("router", "/metrics")) as response:
            assert response.status == 200
            samples = [s for family in text_string_to_metric_families(await response.text()) for s in family.samples]

    consumed = {
        (s.labels["service"], s.labels["queue"], s.labels["outcome"]): s.value
        for s in samples
        if s.name == "relaydesk_messages_consumed_total"
    }
    assert consumed[("router", "router.inbound", "ok")] == 1
    commands = consumed[("router", "router.commands", "ok")]
    assert commands >= 2  # the agent's status change, and the agent API's presence reports (stream opened, heartbeats)
    timed = {
        s.labels["queue"]: s.value
        for s in samples
        if s.name == "relaydesk_message_handle_seconds_count" and s.labels["service"] == "router"
    }
    assert timed == {"router.inbound": 1, "router.commands": commands, "router.delivery": 0}  # web chat reports none
