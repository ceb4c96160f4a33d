"""Replies to WeChat against the stand-in API: shared tokens, refresh, the 48-hour window, limits."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime

import aiohttp
import msgspec
import pytest

from contracts import Attachment, Channel, DeliveryReported, OutboundMessage, WeChatTemplateMessage
from contracts.topology import DEAD_LETTER_QUEUE, ROUTER_DELIVERY, WECHAT_OUTBOUND, outbound_key
from shared.broker import ERROR_HEADER
from tests.support import System, free_port, publish_keyed, queue_depth, take_messages, wait_until
from tests.wechat import account
from tests.wechat_api import WeChatStandIn

pytestmark = pytest.mark.e2e

ACCOUNT = account("safe")


@pytest.fixture
async def wechat_api():
    stand_in = await WeChatStandIn({ACCOUNT.app_id: ACCOUNT.app_secret}).start()
    yield stand_in
    await stand_in.stop()


def adapter(env, wechat_api, **overrides) -> System:
    return System(env, ["wechat_adapter"], wechat_accounts=(ACCOUNT,), wechat_api_base=wechat_api.base_url, **overrides)


def reply(openid: str, text: str, **fields) -> tuple[str, OutboundMessage, str]:
    message = OutboundMessage(
        message_id=str(uuid.uuid4()),
        conversation_id=str(uuid.uuid4()),
        channel=Channel.WECHAT,
        customer_address=openid,
        text=text,
        seq=1,
        created_at=datetime.now(UTC),
        account=ACCOUNT.name,
        **fields,
    )
    return outbound_key(Channel.WECHAT), message, message.message_id


async def reports(env, count: int) -> list[DeliveryReported]:
    taken = await take_messages(env.settings, ROUTER_DELIVERY.name, count)
    return [msgspec.json.decode(m.body, type=DeliveryReported) for m in taken]


async def consumed_ok(system: System) -> float:
    metrics = {"Authorization": f"Bearer {system.env.settings.metrics_token}"}
    async with aiohttp.ClientSession(headers=metrics) as http, http.get(system.url("wechat_adapter", "/metrics")) as r:
        text = await r.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("relaydesk_messages_consumed_total")
        and "wechat_adapter.outbound" in line
        and 'outcome="ok"' in line
    )


async def test_two_replicas_share_one_token_and_one_refresh_after_expiry(env, wechat_api):
    openids = [f"o-share-{n}" for n in range(8)]
    for openid in openids:
        wechat_api.customer_wrote(openid)
    # prefetch 1: the two replicas take turns, so both need the token.
    replicas = [
        await adapter(env, wechat_api, prefetch=1).start(),
        await adapter(env, wechat_api, prefetch=1, wechat_port=free_port()).start(),
    ]
    try:
        await publish_keyed(env.settings, [reply(o, f"first {o}") for o in openids * 3])
        await wechat_api.wait_for(24)
        assert wechat_api.token_requests[ACCOUNT.app_id] == 1
        assert [await consumed_ok(r) > 0 for r in replicas] == [True, True]

        wechat_api.expire_tokens()  # every send now answers 42001 until someone refreshes
        await publish_keyed(env.settings, [reply(o, f"second {o}") for o in openids * 3])
        sent = await wechat_api.wait_for(48)
        assert wechat_api.token_requests[ACCOUNT.app_id] == 2

        wechat_api.revoke_tokens()  # 40001: the token is no longer the latest
        await publish_keyed(env.settings, [reply(o, f"third {o}") for o in openids])
        sent = await wechat_api.wait_for(56)
        assert wechat_api.token_requests[ACCOUNT.app_id] == 3
    finally:
        for replica in replicas:
            replica.stop()
    texts = Counter(s.body["text"]["content"] for s in sent)
    assert len(sent) == 56 and set(texts.values()) <= {3, 1}
    assert {s.body["touser"] for s in sent} == set(openids)
    assert {r.status for r in await reports(env, 56)} == {"sent"}


async def test_a_reply_in_flight_when_the_adapter_dies_goes_out_once_after_restart(env, wechat_api):
    wechat_api.customer_wrote("o-crash")
    wechat_api.hold_sends()
    first = await adapter(env, wechat_api).start()
    try:
        await publish_keyed(env.settings, [reply("o-crash", "您的退款已原路退回")])
        await wait_until(lambda: asyncio.sleep(0, result=wechat_api.held), what="the send in flight")
    finally:
        first.kill()  # mid-send: unacked, so the broker gives the reply to the next adapter
    wechat_api.release()
    second = await adapter(env, wechat_api).start()
    try:
        [report] = await reports(env, 1)
    finally:
        second.stop()
    assert report.status == "sent"
    assert [s.body["text"]["content"] for s in wechat_api.sent] == ["您的退款已原路退回"]
    assert await queue_depth(env.settings, WECHAT_OUTBOUND.name) == 0


async def test_a_closed_window_is_reported_as_window_closed_not_retried(env, wechat_api):
    wechat_api.customer_wrote("o-stale", hours_ago=49)
    wechat_api.customer_wrote("o-fresh")
    system = await adapter(env, wechat_api).start()
    try:
        stale, fresh = reply("o-stale", "您好，退款已处理"), reply("o-fresh", "您好")
        await publish_keyed(env.settings, [stale, fresh])
        [sent] = await wechat_api.wait_for(1)
        found = {r.message_id: r for r in await reports(env, 2)}
    finally:
        system.stop()
    assert sent.body["touser"] == "o-fresh"
    assert (found[stale[2]].status, found[stale[2]].reason) == ("failed", "window_closed")
    assert found[stale[2]].conversation_id == stale[1].conversation_id
    assert found[fresh[2]].status == "sent"
    assert wechat_api.attempts == 2  # the refused one was not retried


async def test_rate_limits_back_off_and_the_message_still_goes_once(env, wechat_api):
    wechat_api.customer_wrote("o-busy")
    wechat_api.fail_next(45011, -1)
    system = await adapter(env, wechat_api).start()
    try:
        await publish_keyed(env.settings, [reply("o-busy", "稍等")])
        [report] = await reports(env, 1)
    finally:
        system.stop()
    assert report.status == "sent"
    assert wechat_api.attempts == 3 and len(wechat_api.sent) == 1


async def test_other_errcodes_are_dead_lettered_with_the_errcode_and_reported(env, wechat_api):
    wechat_api.customer_wrote("o-gone")
    wechat_api.fail_next(43004)
    system = await adapter(env, wechat_api).start()
    try:
        await publish_keyed(env.settings, [reply("o-gone", "hello")])
        [dead] = await take_messages(env.settings, DEAD_LETTER_QUEUE, 1)
        [report] = await reports(env, 1)
    finally:
        system.stop()
    assert "errcode 43004" in dead.headers[ERROR_HEADER] and "injected failure" in dead.headers[ERROR_HEADER]
    assert (report.status, report.reason) == ("failed", "errcode_43004")
    assert wechat_api.sent == []


async def test_images_are_sent_by_media_id_and_uploaded_when_given_by_url(env, wechat_api):
    wechat_api.customer_wrote("o-pics")
    wechat_api.media["known-media"] = b"jpeg"
    wechat_api.files["receipt.png"] = (b"\x89PNG fake", "image/png")
    system = await adapter(env, wechat_api).start()
    try:
        attachments = (
            Attachment("wechat-media:known-media", "image/jpeg"),
            Attachment(f"{wechat_api.base_url}/files/receipt.png", "image/png", "receipt.png"),
            Attachment("https://files.example/statement.pdf", "application/pdf", "statement.pdf"),
        )
        await publish_keyed(env.settings, [reply("o-pics", "见附件", attachments=attachments)])
        sent = await wechat_api.wait_for(3)
    finally:
        system.stop()
    text, first, second = sent
    assert text.body["text"]["content"] == "见附件\nhttps://files.example/statement.pdf"
    assert first.body["image"]["media_id"] == "known-media"
    assert wechat_api.media[second.body["image"]["media_id"]] == b"\x89PNG fake"


async def test_template_messages_go_out_whatever_the_window(env, wechat_api):
    template = WeChatTemplateMessage(
        message_id=str(uuid.uuid4()),
        account=ACCOUNT.name,
        openid="o-never-wrote",
        template_id="TPL-callback",
        data={"first": "您的贷款预审已通过", "keyword1": "RD-1042"},
        created_at=datetime.now(UTC),
        url="https://wallet.example/loan",
    )
    system = await adapter(env, wechat_api).start()
    try:
        await publish_keyed(env.settings, [(outbound_key(Channel.WECHAT), template, template.message_id)])
        [sent] = await wechat_api.wait_for(1)
        [report] = await reports(env, 1)
    finally:
        system.stop()
    assert sent.path == "/cgi-bin/message/template/send"
    assert sent.body == {
        "touser": "o-never-wrote",
        "template_id": "TPL-callback",
        "url": "https://wallet.example/loan",
        "data": {"first": {"value": "您的贷款预审已通过"}, "keyword1": {"value": "RD-1042"}},
    }
    assert report.status == "sent"
