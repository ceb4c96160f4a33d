"""SMS end to end against the stand-in provider: inbound to an agent, replies out, consent, failures."""

import uuid
from datetime import UTC, datetime

import aiohttp
import msgspec
import pytest

from contracts import Channel, DeliveryReported, OutboundMessage
from contracts.topology import DEAD_LETTER_QUEUE, ROUTER_DELIVERY, ROUTER_INBOUND, delivery_key, outbound_key
from shared.broker import ERROR_HEADER
from tests.sms_provider import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    GENERIC_SECRET,
    SmsProviderStandIn,
    generic_webhook,
    twilio_webhook,
)
from tests.support import BusTap, System, free_port, publish_keyed, queue_depth, take_messages, wait_until

pytestmark = pytest.mark.e2e

CUSTOMER = "+8613800138000"
SHOWN = "+*********8000"
"""How agents see the number: masked, the last four digits kept."""


@pytest.fixture
async def provider():
    stand_in = await SmsProviderStandIn().start()
    yield stand_in
    await stand_in.stop()


def sms_settings(provider, kind: str = "twilio") -> dict:
    port = free_port()
    return {
        "sms_port": port,
        "sms_provider": kind,
        "sms_api_base": provider.base_url,
        "sms_sender": "+8610690000",
        "sms_account_sid": ACCOUNT_SID,
        "sms_auth_token": AUTH_TOKEN,
        "sms_webhook_secret": GENERIC_SECRET,
        "sms_public_url": f"http://127.0.0.1:{port}",
    }


async def post(url: str, body: bytes, headers: dict) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as response:
        return response.status


async def texted(system: System, text: str, sid: str, sender: str = CUSTOMER) -> int:
    url = system.url("sms_adapter", "/sms/inbound")
    return await post(
        url,
        *twilio_webhook(
            url, {"MessageSid": sid, "From": sender, "To": "+8610690000", "Body": text, "NumSegments": "1"}
        ),
    )


async def test_an_sms_reaches_an_agent_and_the_reply_reaches_the_right_number(env, provider, people):
    system = await System(env, ["router", "agent_api", "sms_adapter"], **sms_settings(provider)).start()
    try:
        agent = await people.agent()
        assert await texted(system, "我的转账还没到账，麻烦查一下", "SM100", sender="+86 138 0013 8000") == 200
        assignment = await agent.next_event("assignment")
        assert (assignment["channel"], assignment["customer_address"]) == ("sms", SHOWN)
        listed = (await agent.request("GET", "/v1/conversations"))[1]["conversations"]
        detail = (await agent.request("GET", f"/v1/conversations/{assignment['conversation_id']}"))[1]
        assert [c["customer_address"] for c in listed] == [SHOWN] and detail["customer_address"] == SHOWN
        await agent.reply(assignment["conversation_id"], "您好，已为您查询，款项预计今天到账。")
        [sent] = await provider.wait_for(1)
        assert (sent.to, sent.sender, sent.text) == (CUSTOMER, "+8610690000", "您好，已为您查询，款项预计今天到账。")
        assert sent.callback == system.url("sms_adapter", "/sms/status")
        assert (await agent.next_event("delivery"))["status"] == "sent"
        assert await provider.report(sent, "delivered") == 200
        assert (await agent.next_event("delivery"))["status"] == "delivered"
        conn = await env.db()
        try:
            row = await conn.fetchrow("SELECT encoding, segments, status FROM sms_sends")
        finally:
            await conn.close()
        assert (row["encoding"], row["segments"], row["status"]) == ("ucs2", 1, "delivered")
    finally:
        system.stop()


async def test_tampered_webhooks_are_forbidden_and_publish_nothing(env, provider):
    settings = sms_settings(provider)
    system = await System(env, ["sms_adapter"], **settings).start()
    try:
        url = system.url("sms_adapter", "/sms/inbound")
        params = {"MessageSid": "SM200", "From": CUSTOMER, "To": "+8610690000", "Body": "hi"}
        body, headers = twilio_webhook(url, params)
        assert await post(url + "?x=1", body, headers) == 403  # another URL
        assert await post(url, body.replace(b"hi", b"ha"), headers) == 403  # a changed parameter
        assert await post(url, body, headers | {"X-Twilio-Signature": "AAAA"}) == 403
        assert await post(url, *twilio_webhook(url, params, token="not-our-token")) == 403
        assert await post(url, *twilio_webhook(url, params | {"From": "12345"})) == 400  # not a number
        assert await queue_depth(env.settings, ROUTER_INBOUND.name) == 0
        assert await post(url, body, headers) == 200
        assert await queue_depth(env.settings, ROUTER_INBOUND.name) == 1
        assert system.process.poll() is None
    finally:
        system.stop()


async def test_stop_and_start_keep_consent_with_one_confirmation_and_no_agent(env, provider, people):
    system = await System(env, ["router", "agent_api", "sms_adapter"], **sms_settings(provider)).start()
    conn = await env.db()
    try:
        agent = await people.agent()
        assert await texted(system, "退订", "SM300") == 200
        assert await texted(system, "退订", "SM300") == 200  # the provider retried the webhook
        [confirmation] = await provider.wait_for(1)
        assert confirmation.to == CUSTOMER and "退订" in confirmation.text
        await wait_until(
            lambda: conn.fetchval(
                "SELECT NOT reachable FROM contacts WHERE channel = 'sms' AND address = $1", CUSTOMER
            ),
            what="the opt-out recorded",
        )

        # A broadcast (as the notifier sends it) to the opted-out number is refused, not sent.
        notice = OutboundMessage(str(uuid.uuid4()), "", Channel.SMS, CUSTOMER, "钱包新功能上线啦", 0, datetime.now(UTC))
        async with BusTap(env.settings, delivery_key(Channel.SMS)) as reports:
            await publish_keyed(env.settings, [(outbound_key(Channel.SMS), notice, notice.message_id)])
            report = None
            while report is None or report.message_id != notice.message_id:  # others may pass first
                [body] = await reports.take(1)
                report = msgspec.json.decode(body, type=DeliveryReported)
        assert (report.status, report.reason) == ("failed", "opted_out")

        assert await texted(system, "START", "SM301") == 200
        await wait_until(
            lambda: conn.fetchval("SELECT reachable FROM contacts WHERE channel = 'sms' AND address = $1", CUSTOMER),
            what="the opt-in recorded",
        )
        resubscribed = (await provider.wait_for(2))[1]
        assert "订阅" in resubscribed.text and "STOP" in resubscribed.text
        assert await conn.fetchval("SELECT count(*) FROM conversations") == 0  # keywords reach no agent
        events = await conn.fetch("SELECT event FROM contact_events ORDER BY occurred_at")
        assert [e["event"] for e in events] == ["opt_out", "opt_in"]

        await texted(system, "你好，我想问一下转账限额", "SM302")
        assert (await agent.next_event("assignment"))["customer_address"] == SHOWN
        assert [s.text for s in provider.sent] == [confirmation.text, resubscribed.text]  # the notice never went
    finally:
        await conn.close()
        system.stop()


async def test_outbound_retries_a_5xx_and_dead_letters_a_permanent_refusal(env, provider):
    system = await System(env, ["sms_adapter"], **sms_settings(provider)).start()
    try:
        provider.fail_next(503, {"code": 20500, "message": "Internal Server Error"})
        provider.fail_next(429, {"code": 20429, "message": "Too Many Requests"})
        busy = OutboundMessage(
            "00000000-0000-4000-8000-000000000001", "c1", Channel.SMS, CUSTOMER, "您好", 1, datetime.now(UTC)
        )
        await publish_keyed(env.settings, [(outbound_key(Channel.SMS), busy, busy.message_id)])
        [sent] = await provider.wait_for(1)
        assert sent.text == "您好" and provider.attempts == 3

        provider.fail_next(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
        blocked = OutboundMessage(
            "00000000-0000-4000-8000-000000000002", "c1", Channel.SMS, CUSTOMER, "hello", 2, datetime.now(UTC)
        )
        await publish_keyed(env.settings, [(outbound_key(Channel.SMS), blocked, blocked.message_id)])
        [dead] = await take_messages(env.settings, DEAD_LETTER_QUEUE, 1)
        assert "21610" in dead.headers[ERROR_HEADER] and "unsubscribed recipient" in dead.headers[ERROR_HEADER]
        reports = {
            r.message_id: r
            for r in (
                msgspec.json.decode(m.body, type=DeliveryReported)
                for m in await take_messages(env.settings, ROUTER_DELIVERY.name, 2)
            )
        }
        assert reports[busy.message_id].status == "sent"
        assert (reports[blocked.message_id].status, reports[blocked.message_id].reason) == (
            "failed",
            "provider_refused",
        )
        assert len(provider.sent) == 1
    finally:
        system.stop()


async def test_the_generic_provider_signs_assembles_parts_and_refuses_replays(env, provider, people):
    settings = sms_settings(provider, kind="generic")
    system = await System(env, ["router", "agent_api", "sms_adapter"], **settings).start()
    try:
        agent = await people.agent()
        url = system.url("sms_adapter", "/sms/inbound")
        first = {
            "id": "g-1",
            "from": "13800138000",
            "text": "我的贷款申请",
            "part": {"ref": "c7", "index": 1, "total": 2},
        }
        second = {
            "id": "g-2",
            "from": "13800138000",
            "text": "审核到哪一步了？",
            "part": {"ref": "c7", "index": 2, "total": 2},
        }
        assert await post(url, *generic_webhook(second)) == 200
        assert await post(url, *generic_webhook(first)) == 200
        assignment = await agent.next_event("assignment")
        assert (assignment["customer_address"], assignment["preview"]) == (SHOWN, "我的贷款申请审核到哪一步了？")
        assert await post(url, *generic_webhook(first, timestamp=1_700_000_000)) == 403  # an old capture
        assert await post(url, *generic_webhook(first, secret="a-guess-of-the-secret!")) == 403

        await agent.reply(assignment["conversation_id"], "正在审核，预计明天有结果")
        [sent] = await provider.wait_for(1)
        assert (sent.to, sent.text) == (CUSTOMER, "正在审核，预计明天有结果")
        assert (await agent.next_event("delivery"))["status"] == "sent"  # the send recorded before its status
        assert await provider.report(sent, "failed", error="E30") == 200
        failed = await agent.next_event("delivery")
        assert (failed["status"], failed["reason"]) == ("failed", "provider_error_E30")
    finally:
        system.stop()


async def test_in_development_an_empty_auth_token_still_verifies_no_forgery(env, provider):
    # Development mode starts without secrets (and serves /metrics without a token), but an empty
    # HMAC key is still a key anyone can sign with: every webhook is refused.
    settings = sms_settings(provider) | {"env": "development", "sms_auth_token": "", "metrics_token": ""}
    system = await System(env, ["router", "sms_adapter"], **settings).start()
    conn = await env.db()
    try:
        url = system.url("sms_adapter", "/sms/inbound")
        params = {"MessageSid": "SM900", "From": CUSTOMER, "To": "+8610690000", "Body": "STOP", "NumSegments": "1"}
        assert await post(url, *twilio_webhook(url, params, token="")) == 403
        assert await post(url, *twilio_webhook(url, params, token="not-our-token")) == 403
        async with aiohttp.ClientSession() as http, http.get(system.url("sms_adapter", "/metrics")) as response:
            assert response.status == 200
        assert await queue_depth(env.settings, ROUTER_INBOUND.name) == 0
        assert await conn.fetchval("SELECT count(*) FROM contact_events") == 0  # nobody opted out
        assert await conn.fetchval("SELECT count(*) FROM contacts WHERE NOT reachable") == 0
        assert provider.sent == []  # and no confirmation went out
    finally:
        await conn.close()
        system.stop()
