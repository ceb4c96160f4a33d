"""The broker goes away under the web-chat adapter and comes back: nothing lost, nothing doubled."""

import aiohttp
import pytest

from tests.support import System, behind_proxy, wait_until

pytestmark = pytest.mark.e2e


async def test_visitor_message_refused_during_outage_is_delivered_once_after(env, people):
    """The adapter's broker connection is cut: it refuses (never acks) and recovers by itself."""
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["webchat_adapter"], amqp_url=proxied_url).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("before the outage")
        await visitor.next_frame("ack")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]

        await proxy.cut()
        async with aiohttp.ClientSession() as http:
            await wait_until(lambda: _status(http, env.url("webchat", "/readyz"), 503), what="webchat not ready")
            await visitor.send("during the outage", client_id="outage-1")
            refused = await visitor.next_frame()
            assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "unavailable", "outage-1")

            await proxy.restore()
            await wait_until(
                lambda: _status(http, env.url("webchat", "/readyz"), 200), timeout=30, what="webchat ready again"
            )
        # The open socket is told once its channels, queues and consumers are all back.
        assert (await visitor.next_frame())["type"] == "resync"
        for _ in range(2):  # the widget resends with the same client id until acked
            await visitor.send("during the outage", client_id="outage-1")
            assert (await visitor.next_frame())["type"] == "ack"

        delivered = await agent.next_event("message")
        assert (delivered["conversation_id"], delivered["text"]) == (conversation_id, "during the outage")
        await visitor.send("sentinel")
        assert (await agent.next_event())["text"] == "sentinel"
        # The adapter's live reply queue came back with its connection.
        await agent.reply(conversation_id, "answer after the outage")
        assert (await visitor.next_frame("message"))["text"] == "answer after the outage"

        conn = await env.db()
        try:
            texts = [
                r["text"]
                for r in await conn.fetch("SELECT text FROM messages WHERE direction = 'in' ORDER BY created_at")
            ]
        finally:
            await conn.close()
        assert texts == ["before the outage", "during the outage", "sentinel"]
    finally:
        edge.stop()
        core.stop()
        await proxy.cut()


async def _status(http: aiohttp.ClientSession, url: str, expected: int) -> bool:
    async with http.get(url) as response:
        return response.status == expected
