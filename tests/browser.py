"""Debian's Chromium for the browser tests: how it is launched, and the console's pages in it.

Pages collect every console error, uncaught exception and dialog, and the fixtures
(tests/e2e/conftest.py) fail the test on any of them; signing in goes through the login form as a
person would, with a password an admin set through the API.
"""

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.support import wait_until

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000
PASSWORD = "correct horse battery"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = os.environ.get("RELAYDESK_SCREENSHOTS", "")
"""A directory to write the README's screenshots to (docs/screenshots); empty: take none."""
EXPECTED_ERRORS = (
    # The page asks whether a session exists before it shows the login form: 401 is the answer "no".
    re.compile(r"status of 401 .*/v1/session$"),
)


class Browser:
    """Pages in one headless Chromium; every console error a page logs is collected."""

    def __init__(self, browser, base: str) -> None:
        self.browser, self.base = browser, base
        self.errors: list[str] = []
        self.allowed: list[re.Pattern] = list(EXPECTED_ERRORS)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = f"{message.text} {message.location.get('url', '')}"
        if not any(p.search(text) for p in self.allowed):
            self.errors.append(f"console: {text}")

    async def page(self, locale: str = "en-US", width: int = 1366, height: int = 850):
        context = await self.browser.new_context(locale=locale, viewport={"width": width, "height": height})
        page = await context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("dialog", lambda dialog: self.errors.append(f"dialog: {dialog.message}"))
        page.set_default_timeout(WAIT_MS)
        await page.goto(f"{self.base}/console/")
        return page


@asynccontextmanager
async def console_browser(base: str) -> AsyncIterator[Browser]:
    """A headless Chromium opening the console at `base`; fails the test if a page logged an error."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: the browser tests need Debian's chromium package")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        opened = Browser(launched, base)
        try:
            yield opened
        finally:
            await launched.close()
    assert opened.errors == []


async def with_password(env, people, role: str = "agent", password: str = PASSWORD, **fields):
    """A person of `role` whose console password an admin set (PUT /v1/admin/agents/{id}/password)."""
    admin = await people.agent(role="admin", online=False, stream=False)
    person = await env.add_agent(name=f"{role}-{uuid.uuid4().hex[:6]}", role=role, **fields)
    people.opened.append(person)
    url = env.url("agent_api", f"/v1/admin/agents/{person.id}/password")
    async with admin.http.put(url, json={"password": password}) as response:
        assert response.status == 204, await response.text()
    person.name = (await person.request("GET", "/v1/me"))[1]["name"]
    return person


async def log_in(page, agent, password: str = PASSWORD) -> None:
    await page.get_by_label(re.compile("^(Name|用户名)$")).fill(agent.name)
    await page.get_by_label(re.compile("^(Password|密码)$")).fill(password)
    await page.get_by_label(re.compile("^(Password|密码)$")).press("Enter")


async def signed_in(page, agent) -> None:
    """Log in by typing, go online, and wait until the router has the agent online."""
    await log_in(page, agent)
    await expect(page.get_by_test_id("agent-name")).to_have_text(agent.name)
    await page.get_by_role("radio", name=re.compile("^(Online|在线)$")).click()
    await wait_until(lambda: agent._status_is("online"), what="the console's agent online")


async def signed_in_as(browser: Browser, env, people, role: str, locale: str = "en-US"):
    """A new person of `role`, signed in (not put online) on a fresh page."""
    person = await with_password(env, people, role)
    page = await browser.page(locale=locale)
    await log_in(page, person)
    await expect(page.get_by_test_id("agent-name")).to_have_text(person.name)
    return page, person


async def axe_findings(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


TABLET = (820, 1180)


async def screenshots(page, name: str) -> None:
    """The screen also fits a tablet (820x1180: nothing wider than the window, so nothing hides off to
    the side); with RELAYDESK_SCREENSHOTS set, it is saved at both widths in English and Chinese."""
    for width, height in ((1366, 850), TABLET):
        await page.set_viewport_size({"width": width, "height": height})
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} at {width} px is {overflow} px wider than the window"
        if not SHOTS:
            continue
        await page.screenshot(path=f"{SHOTS}/{name}-en-{width}.png")
        await page.get_by_label("Language", exact=True).select_option("zh-CN")
        await expect(page.get_by_role("button", name="退出登录")).to_be_visible()
        await page.screenshot(path=f"{SHOTS}/{name}-zh-{width}.png")
        await page.get_by_label("语言", exact=True).select_option("en")
    await page.set_viewport_size({"width": 1366, "height": 850})


async def open_assigned(page, visitor_text: str, people, name: str = ""):
    """A visitor writes; the row appears in Mine live; the agent opens it. Returns the visitor."""
    visitor = await people.visitor(name=name)
    await visitor.send(visitor_text)
    row = page.locator(".rows .row").filter(has_text=visitor_text)
    await expect(row).to_be_visible()
    await row.click()
    await expect(page.locator(".timeline .side-customer .text").filter(has_text=visitor_text)).to_be_visible()
    return visitor


async def agent_frame(visitor) -> dict:
    """The next message an agent sends the visitor (skipping acks and the bot)."""
    while True:
        frame = await visitor.next_frame("message")
        if frame.get("from") == "agent":
            return frame


async def agent_text(visitor) -> str:
    return (await agent_frame(visitor))["text"]
