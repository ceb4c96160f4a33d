"""Satisfaction surveys: asked after a resolution on the customer's own channel; a bare 1-5 reply or
the survey page records the rating (feeding CSAT) and opens no conversation."""

import re

import aiohttp
import pytest

from tests.support import System, wait_until

pytestmark = pytest.mark.e2e


async def _resolved_chat(people, text: str):
    agent, visitor = await people.agent(), await people.visitor()
    await visitor.send(text)
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]
    assert (await agent.request("POST", f"/v1/conversations/{conversation_id}/resolve"))[0] == 202
    return agent, visitor, conversation_id


async def _csat(env, conversation_id: str):
    conn = await env.db()
    try:
        return await conn.fetchrow(
            "SELECT score, comment, agent_id::text FROM csat_responses WHERE conversation_id = $1::uuid",
            conversation_id,
        )
    finally:
        await conn.close()


async def test_a_rating_reply_is_recorded_and_opens_nothing_and_the_page_works_too(env, people):
    running = [
        await System(env, ["router", "agent_api", "webchat_adapter"]).start(),
        await System(
            env,
            ["notifier"],
            survey_delay="0s",
            scheduler_interval=0.2,
            notifier_public_url=f"http://127.0.0.1:{env.settings.notifier_port}",
        ).start(),
    ]
    try:
        agent, visitor, conversation_id = await _resolved_chat(people, "my card payment failed")
        survey = await visitor.next_frame("message")
        assert "1-5" in survey["text"] and "/survey/" in survey["text"]
        await visitor.send("５分")
        thanks = await visitor.next_frame("message")
        assert thanks["text"] == "感谢您的评价！" and thanks["from"] == "bot"
        rating = await _csat(env, conversation_id)
        assert (rating["score"], rating["agent_id"]) == (5, agent.id)

        conn = await env.db()
        try:
            opened = await conn.fetchval(
                "SELECT count(*) FROM conversations WHERE customer_address = $1", visitor.session_id
            )
            stored = await conn.fetchval(
                "SELECT count(*) FROM messages WHERE conversation_id = $1::uuid AND direction = 'in'", conversation_id
            )
        finally:
            await conn.close()
        assert (opened, stored) == (1, 2)  # the rating is kept in the rated conversation

        await visitor.send("5")  # answered already: now it is a new request
        assert (await agent.next_event("assignment"))["conversation_id"] != conversation_id

        _, other_visitor, other_id = await _resolved_chat(people, "how do I raise my limit")
        link = re.search(r"https?://\S+/survey/\S+", (await other_visitor.next_frame("message"))["text"]).group(0)
        async with aiohttp.ClientSession() as customer:
            async with customer.get(link) as page:
                assert page.status == 200 and 'value="5"' in await page.text()
            async with customer.post(link, data={"score": "9"}) as bad:
                assert bad.status == 400
            async with customer.post(link, data={"score": "4", "comment": "quick, thanks"}) as answered:
                assert answered.status == 200
            async with customer.get(link.rsplit("/", 1)[0] + "/nope") as missing:
                assert missing.status == 404
        rating = await wait_until(lambda: _csat(env, other_id), what="the page's rating")
        assert (rating["score"], rating["comment"]) == (4, "quick, thanks")
    finally:
        for process in running:
            process.stop()


async def test_a_number_with_no_survey_pending_is_an_ordinary_request(env, system, people):
    agent, visitor = await people.agent(), await people.visitor()
    await visitor.send("3")
    assignment = await agent.next_event("assignment")
    assert assignment["customer_address"] == visitor.shown
