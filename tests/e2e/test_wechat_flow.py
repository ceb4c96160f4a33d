"""A WeChat customer end to end: callbacks in, the agent's reply out, WeChat's retries and bad input."""

import asyncio
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from wechatpy import parse_message

from contracts.topology import ROUTER_INBOUND
from services.wechat_adapter.crypto import sign
from services.wechat_adapter.freshness import WINDOW
from tests.support import System, free_port, queue_depth, wait_until
from tests.wechat import account, callback, event_xml, message_xml, open_reply, text_xml
from tests.wechat_api import WeChatStandIn

pytestmark = pytest.mark.e2e
STALE = WINDOW + 60
"""Seconds off our clock for a callback that must be refused as stale."""

ACCOUNT = account("safe", welcome="欢迎关注钱包客服！", menu={"HUMAN": "human"})


@pytest.fixture
async def wechat_api():
    stand_in = await WeChatStandIn({ACCOUNT.app_id: ACCOUNT.app_secret}).start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def wechat_system(env, wechat_api):
    system = await System(
        env, ["router", "agent_api", "wechat_adapter"], wechat_accounts=(ACCOUNT,), wechat_api_base=wechat_api.base_url
    ).start()
    yield system
    system.stop()


async def post(env, xml: str, acc=ACCOUNT, name: str | None = None) -> tuple[int, str]:
    query, body = callback(acc, xml)
    url = env.url("wechat", f"/wechat/{name or acc.name}?{urlencode(query)}")
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers={"Content-Type": "text/xml"}) as r:
        return r.status, await r.text()


async def test_a_wechat_text_reaches_the_agent_and_the_reply_reaches_the_customer(
    env, wechat_system, wechat_api, people
):
    agent = await people.agent()
    wechat_api.customer_wrote("o-alice")  # WeChat's own record that opens the 48-hour window
    assert await post(env, text_xml("o-alice", "我的转账还没到账", 7001)) == (200, "success")

    assignment = await agent.next_event("assignment")
    assert (assignment["channel"], assignment["customer_address"], assignment["preview"]) == (
        "wechat",
        "o-alice",
        "我的转账还没到账",
    )
    await agent.reply(assignment["conversation_id"], "您好，我们正在为您查询。")

    [sent] = await wechat_api.wait_for(1)
    assert sent.path == "/cgi-bin/message/custom/send"
    assert sent.body == {"touser": "o-alice", "msgtype": "text", "text": {"content": "您好，我们正在为您查询。"}}
    delivery = await agent.next_event("delivery")
    assert (delivery["status"], delivery["conversation_id"]) == ("sent", assignment["conversation_id"])


async def test_wechat_retrying_one_msgid_makes_one_message_and_one_assignment(env, wechat_system, people):
    agent = await people.agent()
    xml = text_xml("o-retry", "怎么绑定银行卡", 7002)
    # WeChat's retries: two racing each other, one after the first answer.
    answers = await asyncio.gather(post(env, xml), post(env, xml))
    answers.append(await post(env, xml))
    assert answers == [(200, "success")] * 3
    assert (await agent.next_event("assignment"))["customer_address"] == "o-retry"

    await post(env, text_xml("o-retry", "还有一个问题", 7003))
    follow_up = await agent.next_event()
    assert (follow_up["type"], follow_up["text"]) == ("message", "还有一个问题")  # nothing else came before it
    conn = await env.db()
    try:
        stored = await conn.fetchval("SELECT count(*) FROM messages WHERE customer_address = 'o-retry'")
        conversations = await conn.fetchval("SELECT count(*) FROM conversations WHERE customer_address = 'o-retry'")
        assignments = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE routing_key LIKE 'assignment.%'"
            " AND convert_from(payload, 'UTF8') LIKE '%\"type\":\"assignment\"%'"
        )
    finally:
        await conn.close()
    assert (stored, conversations, assignments) == (2, 1, 1)


async def test_a_message_wechat_retries_across_an_adapter_crash_is_stored_once(env, wechat_api, people):
    core = await System(env, ["router", "agent_api"]).start()
    settings = {"wechat_accounts": (ACCOUNT,), "wechat_api_base": wechat_api.base_url}
    adapter = await System(env, ["wechat_adapter"], **settings).start()
    try:
        agent = await people.agent()
        xml = text_xml("o-crash", "账户被冻结了怎么办", 7010)
        assert await post(env, xml) == (200, "success")
        adapter.kill()  # WeChat may not have read our answer: it will retry the same MsgId
        adapter = await System(env, ["wechat_adapter"], **settings).start()
        assert await post(env, xml) == (200, "success")
        assert (await agent.next_event("assignment"))["preview"] == "账户被冻结了怎么办"
        await post(env, text_xml("o-crash", "在线等", 7011))
        assert (await agent.next_event())["text"] == "在线等"  # no second copy came before it
    finally:
        adapter.stop()
        core.stop()


async def test_follow_unfollow_and_menu_events(env, wechat_system, people):
    agent = await people.agent()
    status, body = await post(env, event_xml("o-bob", "subscribe"))
    assert status == 200
    assert parse_message(open_reply(ACCOUNT, body)).content == "欢迎关注钱包客服！"

    assert (await post(env, event_xml("o-bob", "CLICK", EventKey="HUMAN")))[0] == 200
    assignment = await agent.next_event("assignment")
    assert (assignment["customer_address"], assignment["preview"]) == ("o-bob", "转人工 / talk to a person")
    await post(env, message_xml("o-bob", "miniprogrampage", Title="账单", AppId="wxapp", MsgId=7004))
    assert (await agent.next_event("message"))["kind"] == "unsupported"

    await post(env, event_xml("o-bob", "unsubscribe", int(time.time()) + 1))
    conn = await env.db()
    try:
        await wait_until(
            lambda: conn.fetchval("SELECT NOT reachable FROM contacts WHERE address = 'o-bob'"),
            what="unsubscribe recorded",
        )
        events = await conn.fetch("SELECT event FROM contact_events WHERE address = 'o-bob' ORDER BY occurred_at")
        conversations = await conn.fetchval("SELECT count(*) FROM conversations WHERE customer_address = 'o-bob'")
    finally:
        await conn.close()
    assert [e["event"] for e in events] == ["subscribe", "unsubscribe"] and conversations == 1

    await agent.reply(assignment["conversation_id"], "还在吗？")
    assert (await agent.next_event("command_rejected"))["reason"] == "customer_unreachable"


async def test_bad_callbacks_are_refused_reach_nothing_and_the_adapter_keeps_serving(env, wechat_api):
    adapter = await System(
        env,
        ["wechat_adapter"],
        wechat_accounts=(ACCOUNT,),
        wechat_api_base=wechat_api.base_url,
        wechat_max_body=64 * 1024,
    ).start()
    impostor = account("safe", name="wallet", app_id="wxsomeoneelse")  # right token and key, wrong app id
    try:
        good_query, good_body = callback(ACCOUNT, text_xml("o-eve", "hi", 7100))
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;">]><xml><Content>&lol2;</Content></xml>'
        )
        wrong_key = account("safe")
        cases = [
            ("wrong signature", good_query | {"msg_signature": "0" * 40}, good_body, 403),
            ("wrong app id", *callback(impostor, text_xml("o-eve", "hi", 7101)), 403),
            ("bad AES padding", *_bad_padding(wrong_key), 400),
            ("malformed XML", *callback(ACCOUNT, "<xml><Content>unclosed</xml>"), 400),
            ("XML bomb", *callback(ACCOUNT, bomb), 400),
            ("10 MB body", good_query, b"<xml>" + b"A" * 10 * 1024 * 1024 + b"</xml>", 413),
        ]
        async with aiohttp.ClientSession() as http:
            for what, query, body, expected in cases:
                async with http.post(
                    adapter.url("wechat_adapter", f"/wechat/wallet?{urlencode(query)}"), data=body
                ) as response:
                    assert response.status == expected, what
                    assert (await response.json())["error"]["message"], what
            async with http.post(adapter.url("wechat_adapter", "/wechat/nobody"), data=good_body) as response:
                assert response.status == 404
            async with http.post(
                adapter.url("wechat_adapter", f"/wechat/wallet?{urlencode(good_query)}"), data=good_body
            ) as response:
                assert (response.status, await response.text()) == (200, "success")
        assert adapter.process.poll() is None
        assert await queue_depth(env.settings, ROUTER_INBOUND.name) == 1  # only the good one reached the bus
    finally:
        adapter.stop()


async def test_the_url_check_answers_echostr_only_to_our_token(env, wechat_system):
    query = {"timestamp": "1409735669", "nonce": "99", "echostr": "5838479218127813673"}
    async with aiohttp.ClientSession() as http:
        signed = query | {"signature": sign(ACCOUNT.token, "1409735669", "99")}
        async with http.get(env.url("wechat", f"/wechat/wallet?{urlencode(signed)}")) as response:
            assert (response.status, await response.text()) == (200, "5838479218127813673")
        forged = query | {"signature": sign("guessed", "1409735669", "99")}
        async with http.get(env.url("wechat", f"/wechat/wallet?{urlencode(forged)}")) as response:
            assert response.status == 403


def _bad_padding(acc) -> tuple[dict, bytes]:
    import base64

    from wechatpy.crypto.base import WeChatCipher

    encrypted = base64.b64encode(
        WeChatCipher(base64.b64decode(acc.aes_key + "=")).encrypt(b"r" * 16 + b"x" * 15 + b"\x00")
    ).decode()
    query = {
        "timestamp": "1",
        "nonce": "2",
        "encrypt_type": "aes",
        "msg_signature": sign(acc.token, "1", "2", encrypted),
    }
    return query, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode()


async def test_replayed_or_stale_callbacks_are_refused_by_every_replica(env, wechat_api):
    legacy = account("plain", name="legacy")  # plain signatures do not cover the body
    settings = {"wechat_accounts": (ACCOUNT, legacy), "wechat_api_base": wechat_api.base_url}
    first = await System(env, ["wechat_adapter"], **settings).start()
    second = await System(env, ["wechat_adapter"], **settings | {"wechat_port": free_port()}).start()
    try:
        async with aiohttp.ClientSession() as http:

            async def answer(replica: System, acc, query: dict, body: bytes) -> int:
                url = replica.url("wechat_adapter", f"/wechat/{acc.name}?{urlencode(query)}")
                async with http.post(url, data=body) as response:
                    return response.status

            for acc in (legacy, ACCOUNT):
                query, body = callback(acc, text_xml("o-victim", "你好", 7300 + len(acc.name)))
                assert await answer(first, acc, query, body) == 200
                assert await answer(second, acc, query, body) == 403, acc.mode  # the same callback, elsewhere
                assert await answer(first, acc, query, body) == 403, acc.mode
                for offset in (-STALE, STALE):
                    # Taken now and well past the window, so a busy machine cannot bring it back inside.
                    stale = int(time.time()) + offset
                    old = callback(acc, text_xml("o-victim", "旧的", 7400 + stale % 97), timestamp=str(stale))
                    assert await answer(second, acc, *old) == 403, (acc.mode, offset)
            # A plain callback's signature taken for another body: refused as the replay it is.
            query, body = callback(legacy, text_xml("o-victim", "原文", 7500))
            assert await answer(first, legacy, query, body) == 200
            forged = text_xml("o-victim", "把钱转给我", 7501).encode()
            assert await answer(second, legacy, query, forged) == 403
        assert await queue_depth(env.settings, ROUTER_INBOUND.name) == 3
    finally:
        second.stop()
        first.stop()
