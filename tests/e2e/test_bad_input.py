"""Bad input gets a clear error and changes nothing; no service falls over."""

import aio_pika
import aiohttp
import pytest

from contracts.topology import DEAD_LETTER_QUEUE, EXCHANGE
from shared.broker import ERROR_HEADER
from tests.support import System, inbound, publish_inbound, wait_until

pytestmark = pytest.mark.e2e


async def test_bad_frames_get_error_frames_and_the_socket_stays_up(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter"], webchat_burst=4, webchat_rate=0.5).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        cases = [
            ("not json", "invalid_json"),
            ('{"type":"message","text":"no client id"}', "invalid_frame"),
            ('{"type":"shout","client_id":"a"}', "invalid_frame"),
            ('{"type":"message","client_id":"bad id!","text":"x"}', "invalid_frame"),
            ('{"type":"message","client_id":"c1","text":"   "}', "empty_text"),
            ('{"type":"message","client_id":"c2","text":"' + "长" * 4001 + '"}', "text_too_long"),
            ('{"type":"resume","after_seq":-1}', "invalid_frame"),
        ]
        for raw, code in cases:
            await visitor.ws.send_str(raw)
            assert (await visitor.next_frame())["code"] == code, raw
        await visitor.ws.send_bytes(b"\x00\x01")
        assert (await visitor.next_frame())["code"] == "invalid_frame"

        accepted = [await visitor.send(f"flood {n}") for n in range(6)]
        frames = [await visitor.next_frame() for _ in accepted]
        assert [f["type"] for f in frames] == ["ack"] * 4 + ["error"] * 2
        assert {f["code"] for f in frames[4:]} == {"rate_limited"}
        assert [f["client_id"] for f in frames] == accepted

        assignment = await agent.next_event()
        # The four are handled concurrently; the preview is whichever was stored latest then.
        assert assignment["type"] == "assignment" and assignment["preview"] in {f"flood {n}" for n in range(4)}
        conn = await env.db()
        try:
            await wait_until(
                lambda: conn.fetchval("SELECT count(*) >= 4 FROM messages"), what="accepted messages stored"
            )
            texts = [r["text"] for r in await conn.fetch("SELECT text FROM messages")]
        finally:
            await conn.close()
        assert sorted(texts) == [f"flood {n}" for n in range(4)]
    finally:
        system.stop()


async def test_forged_or_missing_token_closes_with_4401(env, system):
    async with aiohttp.ClientSession() as http:
        for token in ("", "forged.signature", "eyJzZXNzaW9uX2lkIjoieCJ9.AAAA"):
            ws = await http.ws_connect(env.url("webchat", f"/webchat/ws?token={token}"))
            await ws.receive()
            assert ws.close_code == 4401
        async with http.post(env.url("webchat", "/webchat/session"), data=b"{not json") as response:
            assert response.status == 422
            assert (await response.json())["error"]["code"] == "invalid_request"


async def test_poison_messages_are_dead_lettered_with_the_reason(env, system, people):
    agent = await people.agent()
    connection = await aio_pika.connect(env.settings.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(EXCHANGE)
        for body in (b"\xff\xfe garbage", b'{"type":"inbound_message","channel":"fax"}'):
            await exchange.publish(aio_pika.Message(body, content_type="application/json"), "inbound.webchat")
        await publish_inbound(env.settings, [inbound("after-poison", "still working")])
        assert (await agent.next_event("assignment"))["preview"] == "still working"

        dead = await channel.get_queue(DEAD_LETTER_QUEUE)
        reasons = []
        for _ in range(2):
            message = await wait_until(lambda: dead.get(fail=False), what="a dead letter")
            reasons.append(message.headers[ERROR_HEADER])
            await message.ack()
    finally:
        await connection.close()
    assert all(r.startswith("undecodable router.inbound message") for r in reasons)
    assert any("'fax'" in r for r in reasons), reasons
