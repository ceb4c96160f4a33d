"""PostgreSQL goes away under the web-chat adapter: readiness says so, visitors get clear errors."""

import aiohttp
import pytest

from tests.support import System, behind_proxy, wait_until

pytestmark = pytest.mark.e2e


async def test_resume_during_a_database_outage_errors_and_recovers(env, people):
    proxy, proxied_url = await behind_proxy(env.settings.database_url, 5432)
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["webchat_adapter"], database_url=proxied_url).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("hello")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        reply_id = await agent.reply(conversation_id, "we are here")
        assert (await visitor.next_frame("message"))["id"] == reply_id

        await proxy.cut()
        async with aiohttp.ClientSession() as http:
            ready = env.url("webchat", "/readyz")
            await wait_until(lambda: _checks(http, ready, {"broker": True, "database": False}), what="database down")
            await visitor.ws.send_json({"type": "resume", "after_seq": 0})
            error = await visitor.next_frame("error")
            assert error["code"] == "unavailable"
            await visitor.send("messages still flow: they need only the broker")
            assert (await visitor.next_frame())["type"] == "ack"

            await proxy.restore()
            await wait_until(
                lambda: _checks(http, ready, {"broker": True, "database": True}), timeout=30, what="database back"
            )
        await visitor.ws.send_json({"type": "resume", "after_seq": 0})
        assert (await visitor.next_frame("message"))["id"] == reply_id
    finally:
        edge.stop()
        core.stop()
        await proxy.cut()


async def _checks(http: aiohttp.ClientSession, url: str, expected: dict) -> bool:
    async with http.get(url) as response:
        return (await response.json())["checks"] == expected
