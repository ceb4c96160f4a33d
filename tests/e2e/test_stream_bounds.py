"""Resume points out of a bigint's range: refused at the door with a message naming the bound."""

import aiohttp
import pytest

pytestmark = pytest.mark.e2e

MAX_BIGINT = 2**63 - 1
HANDSHAKE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
"""A WebSocket opening handshake, as a browser sends it."""


@pytest.mark.parametrize("after", ["99999999999999999999", str(MAX_BIGINT + 1), "-1", "1e3", "1_000", " 7"])
async def test_a_stream_after_out_of_range_is_a_json_400_before_the_upgrade(env, system, people, after):
    agent = await people.agent(stream=False, online=False)
    url = agent.env.url("agent_api", "/v1/stream")
    async with agent.http.get(url, params={"after": after}, headers=HANDSHAKE) as response:
        assert response.status == 400  # a refused handshake, not an open socket closed at once
        body = await response.json()
    assert body["error"]["code"] == "invalid_after"
    assert str(MAX_BIGINT) in body["error"]["message"]


async def test_a_stream_after_the_largest_bigint_opens_and_stays_open(env, system, people):
    agent = await people.agent(stream=False, online=False)
    await agent.connect(after=MAX_BIGINT)
    await agent.ws.send_str("ping")
    assert await agent.next_event() == {"type": "pong"}


async def test_a_resume_after_seq_beyond_a_bigint_is_an_invalid_frame_error(env, system, people):
    visitor = await people.visitor()
    await visitor.ws.send_str('{"type":"resume","after_seq":99999999999999999999}')
    error = await visitor.next_frame()
    assert (error["type"], error["code"]) == ("error", "invalid_frame")
    assert str(MAX_BIGINT) in error["message"]
    # The socket still works.
    await visitor.ws.send_json({"type": "resume", "after_seq": MAX_BIGINT})
    await visitor.ws.send_json({"type": "ping"})
    assert (await visitor.next_frame())["type"] == "pong"
    async with aiohttp.ClientSession() as http, http.get(env.url("webchat", "/readyz")) as response:
        assert response.status == 200
