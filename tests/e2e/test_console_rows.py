"""The console's list rows after a reload, the composer's FAQ suggestions and the customer panel's
create/link, in a real headless Chromium."""

import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from shared.pii import mask
from tests.browser import agent_frame, open_assigned, signed_in
from tests.support import System, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SMALL_FAQ = str(Path(__file__).resolve().parent.parent / "data" / "faq_small.yaml")
ALL = ("urgent", "high", "normal", "low")


async def _row_where(client, conversation_id: str, flag: str) -> bool:
    status, body = await client.request("GET", "/v1/conversations?limit=200")
    assert status == 200, body
    return any(c["id"] == conversation_id and c[flag] for c in body["conversations"])


@pytest.fixture
async def slow_sla_system(env):
    running = await System(
        env,
        ["router", "agent_api", "webchat_adapter"],
        sla_sweep_interval=0.2,
        sla_targets={"first_response": dict.fromkeys(ALL, "10m"), "resolution": dict.fromkeys(ALL, "20s")},
        routing_policy={"sla_warning_ratio": 0.5, "offline_grace_s": 0},
    ).start()
    yield running
    running.stop()


async def test_a_reloaded_inbox_shows_each_rows_first_line_and_sla_clock(slow_sla_system, chromium, agent, people):
    page = await chromium.page()
    await signed_in(page, agent)
    text = "call me on 13812345678 please, the card is stuck"
    await (await people.visitor(name="Zhou Min")).send(text)
    row = page.locator(".rows .row").filter(has_text="Zhou Min")
    await expect(row).to_be_visible()
    conversation_id = await row.get_attribute("data-id")
    await wait_until(lambda: _row_where(agent, conversation_id, "resolution_warned"), 20, "the router's warning")

    await page.reload()  # nothing heard live any more: what the row shows comes from GET /v1/conversations
    await expect(row.locator(".row-preview")).to_have_text(mask(text, ("Zhou Min",)))
    assert "13812345678" not in await row.locator(".row-preview").inner_text()
    clock = row.locator(".sla")
    await expect(clock).to_have_class(re.compile(r"\bsla-warning\b"))
    await expect(clock).to_have_text(re.compile(r"^SLA 00:\d\d$"))
    await expect(clock).to_have_class(re.compile(r"\bsla-breached\b"), timeout=20_000)

    await row.click()
    composer = page.locator("#composer-text")
    await composer.fill("we are on it")
    await composer.press("Enter")
    await expect(row.locator(".row-preview")).to_have_text("You: we are on it")


@pytest.fixture
async def faq_system(env):
    running = await System(env, ["router", "agent_api", "webchat_adapter"], faq_kb=SMALL_FAQ).start()
    yield running
    running.stop()


async def test_clicking_a_suggested_faq_answer_fills_the_composer_and_reaches_the_visitor(
    faq_system, chromium, agent, people
):
    page = await chromium.page()
    await signed_in(page, agent)
    visitor = await open_assigned(page, "登录密码不对，一直进不去", people)
    chip = page.get_by_role("button", name="Insert the FAQ answer to “忘记登录密码怎么办”")
    await expect(chip).to_be_visible()
    await chip.click()
    answer = "在登录页点“忘记密码”，用绑定的手机号收验证码即可重置。"
    composer = page.locator("#composer-text")
    await expect(composer).to_have_value(answer)
    await expect(composer).to_be_focused()
    await composer.press("End")
    await composer.press_sequentially("有问题再找我们。")  # editable before it goes
    await composer.press("Enter")
    assert (await agent_frame(visitor))["text"] == answer + "有问题再找我们。"

    await visitor.send("the bank card thing failed again when I tried")  # a new last message, new chips
    await expect(page.get_by_role("button", name="Insert the FAQ answer to “how do I add a bank card”")).to_be_visible()
    await expect(chip).to_be_hidden()


async def test_an_agent_creates_a_profile_from_the_panel_and_is_told_who_may_link(system, chromium, agent, people):
    page = await chromium.page()
    await signed_in(page, agent)
    await open_assigned(page, "I need help with my account", people, name="Zhou Min")
    conversation_id = page.url.rsplit("/", 1)[-1]
    panel = page.locator("aside.customer")
    await expect(panel).to_contain_text("No profile linked yet.")

    await panel.get_by_role("button", name="Link to a profile").click()
    await expect(panel.get_by_role("status")).to_contain_text("Only supervisors can search the customer directory")

    await panel.get_by_role("button", name="Create profile").click()
    await expect(panel.get_by_label("Name")).to_have_value("Zhou Min")
    await panel.get_by_label("Language").select_option("en")
    await panel.get_by_label("Notes").fill("prefers email")
    await panel.get_by_role("button", name="Create", exact=True).click()
    await expect(panel.locator("dl.profile")).to_contain_text("Zhou Min")
    status, view = await agent.request("GET", f"/v1/conversations/{conversation_id}/customer")
    assert (
        status == 200
        and view["id"]
        and (view["name"], view["language"], view["notes"])
        == (
            "Zhou Min",
            "en",
            "prefers email",
        )
    )


@pytest.mark.parametrize("agent_fields", [{"role": "supervisor"}])
async def test_a_supervisor_links_the_customer_to_a_profile_found_by_search(system, chromium, agent, people):
    status, created = await agent.request("POST", "/v1/customers", {"name": "Qian Li", "external_id": "W-77"})
    assert status == 201
    await (await people.visitor(name="qian")).send("hello, it is me again")
    page = await chromium.page()
    await signed_in(page, agent)
    await page.get_by_role("button", name="All", exact=True).click()
    await page.locator(".rows .row").filter(has_text="qian").click()
    panel = page.locator("aside.customer")
    await panel.get_by_role("button", name="Link to a profile").click()
    await panel.get_by_label("Search profiles").fill("Qian")
    await panel.get_by_role("button", name="Search", exact=True).click()
    await panel.get_by_role("button", name="Link Qian Li").click()
    await expect(panel.locator("dl.profile")).to_contain_text("Qian Li")
    conversation_id = page.url.rsplit("/", 1)[-1]
    status, view = await agent.request("GET", f"/v1/conversations/{conversation_id}/customer")
    assert status == 200 and view["id"] == created["id"]
