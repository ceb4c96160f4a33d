"""The router's decisions end to end: FAQ self-service, business hours, priority, skills, teams, stickiness."""

import pytest

from tests.support import System, inbound, publish_inbound, shown_webchat, wait_until

pytestmark = pytest.mark.e2e

SHIPPED = ""  # the router's own default rules, FAQ and hours


async def conversation_row(env, customer: str):
    conn = await env.db()
    try:
        return await conn.fetchrow(
            "SELECT id::text, status, priority, category, language, faq_id, agent_id::text FROM conversations"
            " WHERE customer_address = $1 ORDER BY created_at DESC LIMIT 1",
            customer,
        )
    finally:
        await conn.close()


async def test_the_faq_answers_a_self_service_question_and_a_follow_up_reaches_a_person(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter"], faq_kb=SHIPPED).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("请问怎么绑定银行卡？")
        answer = await visitor.next_frame("message")
        assert answer["from"] == "bot" and "银行卡" in answer["text"]
        row = await conversation_row(env, visitor.session_id)
        assert (row["status"], row["category"], row["faq_id"], row["language"]) == ("bot", "payment", "card-bind", "zh")

        await visitor.send("试了还是绑不上")  # the answer did not help: a person takes over
        assignment = await agent.next_event("assignment")
        assert assignment["conversation_id"] == row["id"] and assignment["preview"] == "试了还是绑不上"

        asker = await people.visitor()
        await asker.send("how do I bind a bank card? I want a human agent")
        assert (await agent.next_event("assignment"))["customer_address"] == asker.shown
        assert (await conversation_row(env, asker.session_id))["faq_id"] is None
    finally:
        system.stop()


async def test_security_requests_are_urgent_and_always_reach_a_person(env, people):
    system = await System(env, ["router", "agent_api", "webchat_adapter"], faq_kb=SHIPPED).start()
    try:
        agent = await people.agent()
        visitor = await people.visitor()
        await visitor.send("我的账号被盗了，有人改了我的密码！")
        assignment = await agent.next_event("assignment")
        assert (assignment["category"], assignment["priority"]) == ("security", "urgent")
    finally:
        system.stop()


async def test_outside_business_hours_the_faq_and_an_honest_notice_answer_and_people_get_it_later(
    env, people, tmp_path
):
    closed = tmp_path / "closed.yaml"
    closed.write_text("timezone: Asia/Shanghai\nweekly:\n  mon: ['09:00-09:01']\n", encoding="utf-8")
    system = await System(
        env, ["router", "agent_api", "webchat_adapter"], faq_kb=SHIPPED, business_hours=str(closed)
    ).start()
    try:
        visitor = await people.visitor()
        await visitor.send("请问怎么绑定银行卡？")
        first, second = await visitor.next_frame("message"), await visitor.next_frame("message")
        assert "银行卡" in first["text"] and first["from"] == second["from"] == "bot"
        assert "09:00" in second["text"]  # says when people are back
        await visitor.send("谢谢，我等人工")
        assert (await conversation_row(env, visitor.session_id))["status"] == "queued"

        agent = await people.agent()  # someone starts work: the request was kept for them
        assert (await agent.next_event("assignment"))["customer_address"] == visitor.shown
        conn = await env.db()
        try:
            bot_replies = await conn.fetchval(
                "SELECT count(*) FROM messages WHERE direction = 'out' AND agent_id IS NULL"
            )
        finally:
            await conn.close()
        assert bot_replies == 2  # one notice per conversation, not one per message
    finally:
        system.stop()


async def test_the_queue_serves_urgent_before_older_routine_requests(env, system, people):
    agent = await people.agent(capacity=1)
    await publish_inbound(env.settings, [inbound("busy", "hello, a question about my bill")])
    first = await agent.next_event("assignment")
    await publish_inbound(env.settings, [inbound("feature", "how do I change the app language?")])
    await wait_until(lambda: _queued(env, 1), what="the routine request queued")
    await publish_inbound(env.settings, [inbound("stolen", "my account was hacked and money is gone!!")])
    await wait_until(lambda: _queued(env, 2), what="the urgent request queued")
    await agent.request("POST", f"/v1/conversations/{first['conversation_id']}/resolve")
    nxt = await agent.next_event("assignment")
    assert (nxt["customer_address"], nxt["priority"]) == (shown_webchat("stolen"), "urgent")


async def _queued(env, count: int) -> bool:
    conn = await env.db()
    try:
        return await conn.fetchval("SELECT count(*) FROM conversations WHERE status = 'queued'") == count
    finally:
        await conn.close()


async def test_skills_languages_and_the_complaint_team_choose_the_agent(env, system, people):
    loans = await people.agent(skills=["loan"], languages=["zh"])
    english = await people.agent(skills=["security", "account"], languages=["en"])
    complaints = await people.agent(teams=["complaints"], languages=["zh", "en"])
    await publish_inbound(env.settings, [inbound("c-loan", "我的贷款还款日是哪天？")])
    assert (await loans.next_event("assignment"))["category"] == "loan"
    await publish_inbound(env.settings, [inbound("c-hacked", "someone logged into my account from another city")])
    assert (await english.next_event("assignment"))["customer_address"] == shown_webchat("c-hacked")
    await publish_inbound(env.settings, [inbound("c-angry", "我要投诉你们的客服，态度太差了")])
    assignment = await complaints.next_event("assignment")
    assert (assignment["customer_address"], assignment["category"]) == (shown_webchat("c-angry"), "complaint")


async def test_transfer_to_a_team_and_a_returning_customer_gets_their_agent_again(env, system, people):
    first = await people.agent()
    await publish_inbound(env.settings, [inbound("c-return", "my card payment failed")])
    assignment = await first.next_event("assignment")
    specialist = await people.agent(teams=["payments-l2"])
    path = f"/v1/conversations/{assignment['conversation_id']}/transfer"
    assert (await first.request("POST", path, {"to_team": "no-such-team"}))[0] == 202
    assert (await first.next_event("command_rejected"))["reason"] == "unknown_team"
    assert (await first.request("POST", path, {"to_team": "payments-l2", "note": "needs the acquirer logs"}))[0] == 202
    moved = await specialist.next_event("assignment")
    assert (moved["conversation_id"], moved["reason"]) == (assignment["conversation_id"], "queue")

    await specialist.request("POST", f"/v1/conversations/{moved['conversation_id']}/resolve")
    await people.agent()  # a fresh, less busy agent is online too
    await publish_inbound(env.settings, [inbound("c-return", "it failed again today")])
    again = await specialist.next_event("assignment")
    assert again["customer_address"] == shown_webchat("c-return")  # sticky: the agent who solved it last time


async def test_an_unanswered_assignment_is_breached_escalated_and_reassigned(env, people):
    system = await System(
        env,
        ["router", "agent_api", "webchat_adapter"],
        sla_sweep_interval=0.2,
        sla_targets={"first_response": dict.fromkeys(("urgent", "high", "normal", "low"), "1s")},
    ).start()
    try:
        supervisor = await people.agent(role="supervisor", online=False)
        silent = await people.agent(capacity=1)
        await publish_inbound(env.settings, [inbound("c-waiting", "hello, question about my bill")])
        assignment = await silent.next_event("assignment")
        helper = await people.agent()
        unassigned = await silent.next_event("unassigned")
        assert (unassigned["conversation_id"], unassigned["reason"]) == (
            assignment["conversation_id"],
            "no_first_response",
        )
        assert (await helper.next_event("assignment"))["conversation_id"] == assignment["conversation_id"]
        breach = await supervisor.next_event("sla_breached")
        assert (breach["conversation_id"], breach["kind"]) == (assignment["conversation_id"], "first_response")
        conn = await env.db()
        try:
            breaches = await conn.fetch("SELECT kind, priority FROM sla_breaches")
        finally:
            await conn.close()
        assert [(b["kind"], b["priority"]) for b in breaches] == [("first_response", "normal")]
    finally:
        system.stop()


async def test_an_agent_going_offline_keeps_conversations_for_the_grace_period(env, people):
    system = await System(
        env, ["router", "agent_api", "webchat_adapter"], sla_sweep_interval=0.2, routing_policy={"offline_grace_s": 3}
    ).start()
    try:
        leaving = await people.agent()
        await publish_inbound(env.settings, [inbound("c-grace", "a question")])
        assignment = await leaving.next_event("assignment")
        other = await people.agent()
        status, _ = await leaving.request("PUT", "/v1/me/status", {"status": "offline"})
        assert status == 202
        await wait_until(lambda: leaving._status_is("offline"), what="the agent offline")
        assert (await conversation_row(env, "c-grace"))["agent_id"] == leaving.id  # a dropped line is not a handover
        moved = await other.next_event("assignment")
        assert moved["conversation_id"] == assignment["conversation_id"]
        assert (await leaving.next_event("unassigned"))["reason"] == "agent_offline"
    finally:
        system.stop()


async def test_a_team_in_offer_mode_is_offered_conversations_one_agent_at_a_time(env, people):
    system = await System(
        env,
        ["router", "agent_api", "webchat_adapter"],
        sla_sweep_interval=0.2,
        routing_policy={"offer_teams": ["complaints"], "offer_timeout_s": 1},
    ).start()
    try:
        # Equal load: offers go to whoever has been idle longest, i.e. in the order they came online.
        first, second, third = [await people.agent(teams=["complaints"]) for _ in range(3)]
        await publish_inbound(env.settings, [inbound("c-offer", "我要投诉，你们乱扣费")])
        offer = await first.next_event("offer")
        conversation = offer["conversation_id"]
        assert (offer["category"], offer["customer_address"]) == ("complaint", shown_webchat("c-offer")) and offer[
            "expires_at"
        ]
        assert (await second.request("POST", f"/v1/conversations/{conversation}/accept"))[0] == 404

        assert (await first.request("POST", f"/v1/conversations/{conversation}/decline"))[0] == 202
        assert (await first.next_event("unassigned"))["reason"] == "offer_declined"
        assert (await second.next_event("offer"))["conversation_id"] == conversation
        # The second lets it expire: it moves on to the third, who accepts.
        assert (await second.next_event("unassigned"))["reason"] == "offer_expired"
        assert (await third.next_event("offer"))["conversation_id"] == conversation
        assert (await third.request("POST", f"/v1/conversations/{conversation}/accept"))[0] == 202
        assignment = await third.next_event("assignment")
        assert (assignment["conversation_id"], assignment["reason"]) == (conversation, "offer_accepted")
        assert (await conversation_row(env, "c-offer"))["agent_id"] == third.id
    finally:
        system.stop()
