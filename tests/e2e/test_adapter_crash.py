"""The web-chat adapter is SIGKILLed mid-conversation; what the visitor resends lands once."""

import asyncio

import aiohttp
import pytest

from tests.support import System, wait_until

pytestmark = pytest.mark.e2e

MESSAGES = 300


async def test_adapter_killed_while_visitor_sends_loses_and_duplicates_nothing(env, people):
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["webchat_adapter"], webchat_burst=MESSAGES, webchat_address_burst=MESSAGES).start()
    try:
        await people.agent()
        visitor = await people.visitor()
        client_ids = [f"m{n:03d}" for n in range(MESSAGES)]
        acked: set[str] = set()

        async def read_acks() -> None:
            while (frame := await visitor.ws.receive()).type == aiohttp.WSMsgType.TEXT:
                if (data := frame.json())["type"] == "ack":
                    acked.add(data["client_id"])

        reader = asyncio.create_task(read_acks())
        for client_id in client_ids:
            await visitor.ws.send_json({"type": "message", "client_id": client_id, "text": client_id})
        await wait_until(lambda: asyncio.sleep(0, result=len(acked) >= MESSAGES // 10), what="some acks")
        edge.kill()
        await reader
        assert len(acked) < MESSAGES, "everything was acked before the kill"

        # As the widget does: reconnect and resend every unacked message with its client id.
        edge = await System(env, ["webchat_adapter"], webchat_burst=MESSAGES, webchat_address_burst=MESSAGES).start()
        await visitor.connect()
        unacked = [c for c in client_ids if c not in acked]
        for client_id in unacked:
            await visitor.send(client_id, client_id=client_id)
        for _ in unacked:
            assert (await visitor.next_frame())["type"] == "ack"

        conn = await env.db()
        try:
            await wait_until(lambda: conn.fetchval("SELECT count(*) >= $1 FROM messages", MESSAGES), what="all stored")
            stored = sorted(r["text"] for r in await conn.fetch("SELECT text FROM messages"))
            conversations = await conn.fetchval("SELECT count(*) FROM conversations")
        finally:
            await conn.close()
        assert stored == client_ids and conversations == 1
    finally:
        edge.stop()
        core.stop()
