"""Customer media reaches the agent: WeChat images and voice fetched from WeChat, mailed files,
each served only to the agents who may see the conversation, from the adapter that holds it."""

import json
import shutil
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlencode

import aiohttp
import aiosmtplib
import pytest

from shared import filelinks
from tests.e2e.test_wechat_flow import post
from tests.media import VOICE_AMR, png
from tests.support import System, free_port, wait_until
from tests.wechat import account, message_xml
from tests.wechat_api import WeChatStandIn

pytestmark = pytest.mark.e2e

ACCOUNT = account("safe", name="media")
SUPPORT = "support@wallet.example"
SAFE = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


@pytest.fixture
async def wechat_api():
    stand_in = await WeChatStandIn({ACCOUNT.app_id: ACCOUNT.app_secret}).start()
    yield stand_in
    await stand_in.stop()


def media_settings(env, **extra) -> dict:
    return {
        "wechat_accounts": (ACCOUNT,),
        "wechat_internal_url": f"http://127.0.0.1:{env.settings.wechat_port}",
        "email_internal_url": f"http://127.0.0.1:{env.settings.email_port}",
        **extra,
    }


@pytest.fixture
async def media_system(env, wechat_api):
    system = await System(
        env, ["router", "agent_api", "wechat_adapter"], wechat_api_base=wechat_api.base_url, **media_settings(env)
    ).start()
    yield system
    system.stop()


async def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers or {}) as response:
        return response.status, dict(response.headers), await response.read()


async def detail(agent, conversation_id: str) -> dict:
    status, body = await agent.request("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200, body
    return body


def image_xml(openid: str, media_id: str, msg_id: int) -> str:
    return message_xml(openid, "image", PicUrl="http://mmbiz.qpic.cn/x.jpg", MediaId=media_id, MsgId=msg_id)


async def test_a_wechat_image_reaches_the_agent_and_only_those_who_may_see_it(env, media_system, wechat_api, people):
    agent, stranger = await people.agent(), await people.agent(online=False, stream=False)
    picture = png()
    wechat_api.customer_sent("img-1", picture)  # WeChat labels it image/jpeg: the bytes say PNG
    assert await post(env, image_xml("o-pic", "img-1", 8101), ACCOUNT) == (200, "success")
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]

    [message] = (await detail(agent, conversation_id))["messages"]
    [attachment] = message["attachments"]
    assert (attachment["content_type"], attachment["size"], attachment["name"]) == (
        "image/png",
        len(picture),
        "wechat-image.png",
    )
    url = env.url("agent_api", attachment["url"])
    status, headers, body = await fetch(url, agent.headers)
    assert (status, body, headers["Content-Type"]) == (200, picture, "image/png")
    assert SAFE.items() <= headers.items() and headers["Content-Disposition"].startswith("inline;")

    assert (await fetch(url, stranger.headers))[0] == 404  # never had the conversation
    assert (await fetch(url))[0] == 401

    # The adapter serves only what the agent API signed, for a minute.
    adapter = env.url("wechat", "/media/img-1")
    query = filelinks.internal_query(env.settings.file_link_secret, "wechat-media:img-1", datetime.now(UTC))
    assert (await fetch(f"{adapter}?{urlencode(query)}"))[0] == 200
    assert (await fetch(f"{env.url('wechat', '/media/img-2')}?{urlencode(query)}"))[0] == 403  # another id
    assert (await fetch(f"{adapter}?{urlencode(query | {'expires': str(int(query['expires']) + 60)})}"))[0] == 403
    assert (await fetch(adapter))[0] == 403

    # The same picture again under another media id is stored once; a media id WeChat does not know is gone.
    wechat_api.customer_sent("img-again", picture)
    await post(env, image_xml("o-pic", "img-again", 8102), ACCOUNT)
    await agent.next_event("message")
    await post(env, image_xml("o-pic", "img-unknown", 8103), ACCOUNT)
    await agent.next_event("message")
    messages = (await detail(agent, conversation_id))["messages"]
    assert (await fetch(env.url("agent_api", messages[1]["attachments"][0]["url"]), agent.headers))[2] == picture
    status, _, body = await fetch(env.url("agent_api", messages[2]["attachments"][0]["url"]), agent.headers)
    assert (status, json.loads(body)["error"]["code"]) == (410, "expired")
    conn = await env.db()
    try:
        assert await conn.fetchval("SELECT count(*) FROM wechat_blobs") == 1
    finally:
        await conn.close()


async def test_a_wechat_voice_has_its_transcript_and_plays_in_a_browser(env, media_system, wechat_api, people):
    agent = await people.agent()
    wechat_api.customer_sent("voice-1", VOICE_AMR, "audio/amr")
    xml = message_xml("o-voice", "voice", MediaId="voice-1", Format="amr", Recognition="我的卡被冻结了", MsgId=8201)
    assert await post(env, xml, ACCOUNT) == (200, "success")
    conversation_id = (await agent.next_event("assignment"))["conversation_id"]
    [attachment] = (await detail(agent, conversation_id))["messages"][0]["attachments"]
    assert attachment["transcript"] == "我的卡被冻结了"
    status, headers, body = await fetch(env.url("agent_api", attachment["url"]), agent.headers)
    assert status == 200 and SAFE.items() <= headers.items()
    if shutil.which("ffmpeg") is None:  # without ffmpeg the original is kept; the transcript still reads
        assert (headers["Content-Type"], body) == ("audio/amr", VOICE_AMR)
        return
    assert headers["Content-Type"] == "audio/mpeg" == attachment["content_type"]
    assert body.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3")) and attachment["name"] == "wechat-voice.mp3"


@pytest.mark.parametrize("fetched_by", ["sweep", "agent"])
async def test_media_not_fetched_before_a_crash_is_fetched_later(env, wechat_api, people, fetched_by):
    core = await System(env, ["router", "agent_api"], **media_settings(env)).start()
    sweep = 0.5 if fetched_by == "sweep" else 3600.0
    settings = media_settings(
        env, wechat_api_base=wechat_api.base_url, wechat_media_wait=0.2, wechat_media_sweep_interval=sweep
    )
    adapter = await System(env, ["wechat_adapter"], **settings).start()
    try:
        agent = await people.agent()
        picture = png(rgb=(20, 120, 220))
        wechat_api.customer_sent("img-slow", picture)
        wechat_api.hold_media()  # WeChat is slow: the callback is answered without the media
        assert await post(env, image_xml("o-slow", "img-slow", 8301), ACCOUNT) == (200, "success")
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        adapter.kill()  # the download in flight dies with it
        [attachment] = (await detail(agent, conversation_id))["messages"][0]["attachments"]
        assert attachment["size"] is None and attachment["url"]
        wechat_api.release_media()
        adapter = await System(env, ["wechat_adapter"], **settings).start()
        if fetched_by == "sweep":
            await wait_until(lambda: media_status(env, "img-slow", "stored"), what="the sweep to fetch the media")
        status, _, body = await fetch(env.url("agent_api", attachment["url"]), agent.headers)
        assert (status, body) == (200, picture)
        assert wechat_api.media_requests["img-slow"] == 2  # the lost one, then one more
    finally:
        adapter.stop()
        core.stop()


async def media_status(env, media_id: str, wanted: str) -> bool:
    conn = await env.db()
    try:
        return await conn.fetchval("SELECT status FROM wechat_media WHERE media_id = $1", media_id) == wanted
    finally:
        await conn.close()


async def test_a_mailed_attachment_reaches_the_agent_from_the_email_adapter(env, people):
    smtp_port = free_port()
    system = await System(
        env,
        ["router", "agent_api", "email_adapter"],
        email_smtp_port=smtp_port,
        email_addresses=SUPPORT,
        **media_settings(env),
    ).start()
    try:
        agent = await people.agent()
        picture = png(rgb=(10, 160, 60))
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "李雷 <li.lei@example.cn>", SUPPORT, "截图"
        mail["Message-ID"] = make_msgid(domain="example.cn")
        mail.set_content("转账失败的截图见附件。")
        mail.add_attachment(picture, maintype="image", subtype="png", filename="截图.png")
        mail.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html", filename="page.html")
        await aiosmtplib.send(mail, hostname="127.0.0.1", port=smtp_port)
        conversation_id = (await agent.next_event("assignment"))["conversation_id"]
        [shot, page] = (await detail(agent, conversation_id))["messages"][0]["attachments"]
        assert (shot["name"], shot["content_type"], shot["size"]) == ("截图.png", "image/png", len(picture))
        status, headers, body = await fetch(env.url("agent_api", shot["url"]), agent.headers)
        assert (status, body, headers["Content-Type"]) == (200, picture, "image/png")
        assert (
            SAFE.items() <= headers.items()
            and "filename*=UTF-8''%E6%88%AA%E5%9B%BE.png" in headers["Content-Disposition"]
        )
        # HTML a customer mailed is a download, never a page in the agent's origin.
        status, headers, _ = await fetch(env.url("agent_api", page["url"]), agent.headers)
        assert (status, headers["Content-Type"]) == (200, "application/octet-stream")
        assert headers["Content-Disposition"].startswith("attachment;") and SAFE.items() <= headers.items()
        assert (await fetch(env.url("agent_api", shot["url"])))[0] == 401
    finally:
        system.stop()
