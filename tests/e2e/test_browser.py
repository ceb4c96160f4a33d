"""The web-chat widget in a real headless Chromium, talking to every service."""

import re
import shutil

import pytest
from playwright.async_api import async_playwright, expect

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support import System, behind_proxy

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WAIT_MS = 15_000
ACKED = re.compile(r"\brd-acked\b")


def unexpected(message) -> bool:
    """Any console error: the page must load and run cleanly."""
    return message.type == "error"


@pytest.fixture
async def open_page():
    """Opens pages in a fresh headless Chromium; none of them may log an error."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium package")
    errors: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        async def open_(url: str):
            page = await (await browser.new_context(locale="en-US")).new_page()
            page.on("console", lambda m: unexpected(m) and errors.append(f"console: {m.text} {m.location}"))
            page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
            page.set_default_timeout(WAIT_MS)
            await page.goto(url)
            return page

        try:
            yield open_
        finally:
            await browser.close()
    assert errors == []


@pytest.fixture
async def page(env, system, open_page):
    """The widget's demo page, served by every service running together."""
    return await open_page(env.url("webchat", "/"))


async def online(page) -> None:
    await expect(page.locator("#relaydesk-status")).to_have_attribute("data-state", "online", timeout=WAIT_MS)


async def send(page, text: str) -> None:
    """Type `text` into the widget, press Enter, and wait until the server acked it."""
    await page.locator("#relaydesk-input").fill(text)
    await page.locator("#relaydesk-input").press("Enter")
    bubble = page.locator(".rd-msg.rd-visitor").filter(has_text=text)
    await expect(bubble).to_have_class(ACKED, timeout=WAIT_MS)
    await expect(page.locator("#relaydesk-input")).to_have_value("")


async def test_widget_conversation_in_a_real_browser(page, people):
    """A visitor chats through the widget, reloads the page and carries on in the same conversation."""
    agent = await people.agent()
    await online(page)

    question = "我的转账还没到账 / my transfer has not arrived"
    await send(page, question)
    assignment = await agent.next_event("assignment")
    assert (assignment["channel"], assignment["preview"]) == ("webchat", question)
    conversation_id = assignment["conversation_id"]

    answer = "您好，我们正在核查 / we are checking"
    await agent.reply(conversation_id, answer)
    await expect(page.locator(".rd-msg.rd-agent")).to_have_text([answer], timeout=WAIT_MS)
    await expect(page.locator(".rd-msg.rd-agent")).to_have_attribute("data-seq", "1")

    await page.reload()
    await online(page)
    await expect(page.locator(".rd-msg.rd-visitor")).to_have_text([question])
    await expect(page.locator(".rd-msg.rd-visitor")).to_have_class(ACKED)
    follow_up = "还有一个问题 / one more question"
    await send(page, follow_up)
    # The resume frame went before the message on the same socket: any replay is in by now.
    await expect(page.locator(".rd-msg.rd-agent")).to_have_text([answer])

    event = await agent.next_event()
    assert event["type"] == "message", event  # Not a new assignment: the same session goes on.
    assert (event["conversation_id"], event["text"]) == (conversation_id, follow_up)


async def test_widget_refuses_oversize_text_without_sending(page, people):
    """More than 4000 characters is refused in the page; nothing reaches the agent."""
    agent = await people.agent()
    await online(page)

    oversize = "字" * 4000 + "x"  # 4001 code points.
    await page.locator("#relaydesk-input").fill(oversize)
    await page.locator("#relaydesk-input").press("Enter")
    await expect(page.locator(".rd-error")).to_have_text(re.compile(r"too long: 4001 characters"), timeout=WAIT_MS)
    await expect(page.locator("#relaydesk-input")).to_have_value(oversize)  # Kept, so it can be shortened.
    await expect(page.locator(".rd-msg.rd-visitor")).to_have_count(0)

    sentinel = "正常消息 / a normal message"
    await send(page, sentinel)
    event = await agent.next_event()  # The first thing the agent hears of this visitor.
    assert event["type"] == "assignment", event
    assert event["preview"] == sentinel


async def test_widget_resends_what_the_server_could_not_take_during_a_broker_outage(env, people, open_page):
    """The adapter loses RabbitMQ: the message stays pending, then arrives once when it is back."""
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["webchat_adapter"], amqp_url=proxied_url).start()
    page = None
    try:
        agent = await people.agent()
        page = await open_page(env.url("webchat", "/"))
        await online(page)
        await proxy.cut()
        await page.locator("#relaydesk-input").fill("付款失败 payment failed")
        await page.locator("#relaydesk-input").press("Enter")
        bubble = page.locator(".rd-msg.rd-visitor").filter(has_text="payment failed")
        await expect(bubble).to_be_visible()
        await expect(bubble).not_to_have_class(ACKED)
        await expect(bubble).not_to_have_class(re.compile(r"\brd-failed\b"))

        await proxy.restore()
        await expect(bubble).to_have_class(ACKED, timeout=30_000)
        first = await agent.next_event()
        assert (first["type"], first["preview"]) == ("assignment", "付款失败 payment failed")
        await page.locator("#relaydesk-input").fill("sentinel")
        await page.locator("#relaydesk-input").press("Enter")
        after = await agent.next_event()
        assert (after["type"], after["text"]) == ("message", "sentinel")
    finally:
        if page:  # before the server goes: its reconnect attempts would log errors
            await page.close()
        edge.stop()
        core.stop()
        await proxy.cut()
