"""Web chat against an attacker: bounded token lifetimes, session ids kept from agents, and
rate limits that a reconnect does not reset, covering new sessions and resumes."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import aiohttp
import pytest

from tests.support import System

pytestmark = pytest.mark.e2e
SLOW = 0.01
"""A refill rate so slow that no bucket refills during a test."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def minted(secret: str, session_id: str, expires_at: int) -> str:
    """A token as whoever holds the web-chat secret could sign it, with any expiry."""
    body = b64(json.dumps({"session_id": session_id, "expires_at": expires_at}).encode())
    return f"{body}.{b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())}"


async def test_a_token_that_outlives_the_session_ttl_is_refused(env, system):
    secret, ttl = env.settings.webchat_secret, env.settings.webchat_session_ttl
    async with aiohttp.ClientSession() as http:
        for expires_at, refused in (
            (10**30, True),
            (int(time.time()) + 10 * ttl, True),
            (int(time.time()) + 60, False),
        ):
            ws = await http.ws_connect(
                env.url("webchat", f"/webchat/ws?token={minted(secret, uuid.uuid4().hex, expires_at)}")
            )
            frame = await ws.receive()
            if refused:
                assert (frame.type, ws.close_code) == (aiohttp.WSMsgType.CLOSE, 4401), expires_at
                assert "beyond the maximum" in frame.extra
            else:
                assert json.loads(frame.data)["type"] == "ready"
            await ws.close()


async def test_agents_never_see_a_visitors_session_id(env, system, people):
    agent = await people.agent()
    visitor = await people.visitor("访客")
    await visitor.send("我的钱包登不上去")
    assignment = await agent.next_event("assignment")
    assert assignment["customer_address"] == visitor.shown and visitor.shown.startswith("visitor-")
    conversation = assignment["conversation_id"]
    for path in ("/v1/conversations", f"/v1/conversations/{conversation}"):
        async with agent.http.get(env.url("agent_api", path)) as response:
            text = await response.text()
        assert response.status == 200 and visitor.shown in text
        assert visitor.session_id not in text, path


async def test_the_session_limit_survives_a_reconnect_and_covers_resume(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter"], webchat_burst=3, webchat_rate=SLOW).start()
    try:
        visitor = await people.visitor()
        for n in range(2):
            await visitor.send(f"message {n}")
            assert (await visitor.next_frame())["type"] == "ack"
        await visitor.ws.send_json({"type": "resume", "after_seq": 0})  # the third token
        await visitor.ws.send_json({"type": "ping"})
        assert (await visitor.next_frame())["type"] == "pong"  # the resume was served (nothing to replay)

        await visitor.ws.close()
        await visitor.connect()  # a fresh socket must not mean a fresh budget
        await visitor.send("after the reconnect", client_id="late")
        assert (await visitor.next_frame()) | {"message": ""} == {
            "type": "error",
            "code": "rate_limited",
            "client_id": "late",
            "message": "",
        }
        await visitor.ws.send_json({"type": "resume", "after_seq": 0})
        assert (await visitor.next_frame())["code"] == "rate_limited"
    finally:
        system.stop()


async def test_one_address_is_limited_across_its_sessions_and_in_opening_them(env, people):
    limits = {
        "webchat_address_burst": 3,
        "webchat_address_rate": SLOW,
        "webchat_session_burst": 3,
        "webchat_session_rate": SLOW,
    }
    system = await System(env, ["router", "agent_api", "webchat_adapter"], **limits).start()
    try:
        first, second = await people.visitor(), await people.visitor()
        await first.send("one")
        await second.send("two")
        await first.send("three")
        assert [(await v.next_frame())["type"] for v in (first, second, first)] == ["ack"] * 3
        await second.send("four")  # the same address, another session: the address is spent
        assert (await second.next_frame())["code"] == "rate_limited"

        async with aiohttp.ClientSession() as http:
            async with http.post(env.url("webchat", "/webchat/session"), json={}) as response:
                assert response.status == 201  # the third session from this address
            async with http.post(env.url("webchat", "/webchat/session"), json={}) as response:
                assert response.status == 429
                assert int(response.headers["Retry-After"]) >= 1
                assert (await response.json())["error"]["code"] == "rate_limited"
    finally:
        system.stop()
