"""What ops see: liveness, readiness with its checks, and Prometheus metrics per service."""

import asyncio

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
        metrics = {"Authorization": f"Bearer {env.settings.metrics_token}"}
        async with http.get(env.url("router", "/metrics"), headers=metrics) as response:
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


async def _raw(port: int, request: bytes) -> tuple[str, dict[str, str]]:
    """Send raw bytes; the status line and headers of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode("latin-1")
    finally:
        writer.close()
    status, *lines = head.strip().split("\r\n")
    return status, {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}


async def test_metrics_need_the_metrics_token_and_no_answer_names_a_version(env, system):
    right = {"Authorization": f"Bearer {env.settings.metrics_token}"}
    async with aiohttp.ClientSession() as http:
        for short in SERVICES:
            for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": env.settings.metrics_token}):
                async with http.get(env.url(short, "/metrics"), headers=headers) as response:
                    assert response.status == 401, (short, headers)
                    assert (await response.json())["error"]["code"] == "unauthenticated"
                    assert response.headers["Server"] == "relaydesk"
            async with http.get(env.url(short, "/metrics"), headers=right) as response:
                assert response.status == 200 and "relaydesk_" in await response.text()
            for path in ("/healthz", "/no/such/page"):
                async with http.get(env.url(short, path)) as response:
                    assert response.headers["Server"] == "relaydesk", (short, path)
    # A WebSocket upgrade, and a request so malformed that no app ever sees it.
    upgrade = (
        b"GET /webchat/ws?token=x HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    status, headers = await _raw(env.settings.webchat_port, upgrade)
    assert status.startswith("HTTP/1.1 101") and headers["server"] == "relaydesk"
    status, headers = await _raw(env.settings.agent_api_port, b"NOT HTTP AT ALL\r\n\r\n")
    assert " 400 " in status and headers["server"] == "relaydesk"
