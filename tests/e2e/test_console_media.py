"""The console shows what a customer sent on WeChat: the image inline, the voice playable with its text."""

import shutil

import pytest
from playwright.async_api import expect

from tests.browser import signed_in
from tests.e2e.test_customer_media import ACCOUNT, image_xml, media_settings, wechat_api  # noqa: F401
from tests.e2e.test_wechat_flow import post
from tests.media import VOICE_AMR, png
from tests.support import System
from tests.wechat import message_xml

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
async def console_system(env, wechat_api):  # noqa: F811 - the stand-in fixture imported above
    settings = media_settings(env, wechat_api_base=wechat_api.base_url)
    system = await System(env, ["router", "agent_api", "wechat_adapter"], **settings).start()
    yield system
    system.stop()


async def test_a_wechat_image_shows_inline_and_a_voice_plays_with_its_text(
    env,
    console_system,
    chromium,
    agent,
    wechat_api,  # noqa: F811
):
    page = await chromium.page()
    await signed_in(page, agent)
    wechat_api.customer_sent("img-console", png(width=48, height=32))
    wechat_api.customer_sent("voice-console", VOICE_AMR, "audio/amr")
    assert await post(env, image_xml("o-console", "img-console", 8401), ACCOUNT) == (200, "success")

    row = page.locator(".rows .row").first
    await expect(row).to_be_visible()
    await row.click()
    image = page.locator(".timeline .side-customer .attachment-image img")
    await expect(image).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=await image.element_handle())
    assert (await image.get_attribute("src")).startswith("/v1/conversations/")

    # The voice arrives while the conversation is open: it appears live, playable, with its text.
    voice = message_xml(
        "o-console", "voice", MediaId="voice-console", Format="amr", Recognition="请帮我查一下", MsgId=8402
    )
    assert await post(env, voice, ACCOUNT) == (200, "success")
    await expect(page.locator(".timeline .attachment-voice .transcript")).to_have_text("请帮我查一下")
    audio = page.locator(".timeline .attachment-voice audio")
    await expect(audio).to_be_visible()
    await expect(page.locator(".timeline .side-customer .text").filter(has_text="请帮我查一下")).to_have_count(0)
    if shutil.which("ffmpeg"):  # converted to MP3: the browser reads its length (AMR it could not)
        await page.wait_for_function("a => a.readyState >= 1 && a.duration > 0", arg=await audio.element_handle())
