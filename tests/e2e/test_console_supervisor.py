"""The supervisor's and admin's console screens in a real headless Chromium: the live board, reports
with CSV, broadcasts to completion, people (passwords, tokens), the audit log, unmask, axe-core."""

import csv
import io
import re
from collections import Counter

import pytest
from playwright.async_api import expect

from tests import stats_data
from tests.browser import axe_findings, log_in, screenshots, signed_in_as, with_password
from tests.e2e.test_email_smtp import email_settings
from tests.smtp_sink import SmtpSink
from tests.support import System, inbound, publish_inbound, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PRIORITIES = ("urgent", "high", "normal", "low")
FAST_SLA = {
    "sla_sweep_interval": 0.2,
    "routing_policy": {"offline_grace_s": 0, "sla_warning_ratio": 0.5},
    "sla_targets": {"first_response": dict.fromkeys(PRIORITIES, "2s")},
}


@pytest.fixture
async def sla_system(env):
    """Router, agent API and web chat with a 2 s first-response target (warning at 1 s)."""
    running = await System(env, ["router", "agent_api", "webchat_adapter"], **FAST_SLA).start()
    yield running
    running.stop()


async def test_a_breach_appears_live_on_the_board(env, sla_system, chromium, people):
    page, _ = await signed_in_as(chromium, env, people, "supervisor")
    await page.get_by_role("link", name="Live board").click()
    board = page.get_by_test_id("board")
    await expect(board.get_by_test_id("tile-waiting")).to_contain_text("0")
    await expect(page.get_by_test_id("sla-events")).to_contain_text("No SLA warnings")

    await publish_inbound(env.settings, [inbound("c-late", "where is my refund")])  # nobody online: queued
    events = page.get_by_test_id("sla-events")
    await expect(events.locator(".sla-event.sla_warning")).to_have_count(1)
    await expect(events.locator(".sla-event.sla_breached")).to_have_count(1)
    await expect(events.locator(".sla-event.sla_breached")).to_contain_text("Breached")
    await expect(events.locator(".sla-event.sla_breached")).to_contain_text("first response")
    await expect(board.get_by_test_id("tile-breaches").locator(".tile-value")).to_have_text("1")
    await expect(board.get_by_test_id("tile-waiting").locator(".tile-value")).to_have_text("1")
    await expect(board.get_by_test_id("queue-priority")).to_be_visible()
    assert await axe_findings(page) == []
    await screenshots(page, "board")


@pytest.fixture
async def stats_system(env):
    """The statistics dataset (tests/stats_data.py), then the router and the agent API over it."""
    conn = await env.db()
    try:
        await stats_data.seed(conn)
    finally:
        await conn.close()
    running = await System(env, ["router", "agent_api"]).start()
    yield running
    running.stop()


async def open_reports(page, start: str, end: str, zone: str = "Asia/Shanghai") -> None:
    await page.get_by_role("link", name=re.compile("^(Reports|报表)$")).click()
    await page.get_by_label(re.compile("^(Time zone|时区)$")).select_option(zone)
    await page.get_by_label(re.compile("^(To|结束日期)$")).fill(end)
    await page.get_by_label(re.compile("^(From|开始日期)$")).fill(start)
    await expect(page.get_by_test_id("report-volume-time").locator("svg rect.bar")).to_have_count(2)


async def test_reports_chart_the_range_and_download_the_apis_csv(env, stats_system, chromium, people):
    page, _ = await signed_in_as(chromium, env, people, "supervisor")
    await open_reports(page, "2024-05-06", "2024-05-07")
    in_range = [c for c in stats_data.CONVERSATIONS if c.day in (1, 2)]
    volume = page.get_by_test_id("report-volume-time")
    await expect(volume.locator(".figures dd")).to_have_text(str(len(in_range)))

    card = page.get_by_test_id("report-volume-channel")
    async with page.expect_download() as download_info:
        await card.get_by_role("link", name=re.compile("CSV")).click()
    download = await download_info.value
    assert download.suggested_filename == "volume-20240505T160000Z-20240507T160000Z.csv"
    rows = list(csv.reader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["channel", "count"]
    expected = Counter(c.channel for c in in_range)
    assert {channel: int(count) for channel, count in rows[1:]} == expected

    await page.get_by_label("Per", exact=True).select_option("hour")
    await expect(volume.locator("svg rect.bar")).to_have_count(48)  # every hour, empty ones as zero
    assert await axe_findings(page) == []
    await page.get_by_label("Per", exact=True).select_option("day")
    await expect(volume.locator("svg rect.bar")).to_have_count(2)
    await screenshots(page, "reports")


@pytest.fixture
async def relay():
    sink = await SmtpSink().start()
    yield sink
    await sink.stop()


@pytest.fixture
async def mail_system(env, relay):
    """The agent API, the notifier and the email adapter relaying to an SMTP sink; 5 email contacts."""
    conn = await env.db()
    try:
        await conn.copy_records_to_table(
            "contacts", columns=["channel", "address"], records=[("email", a) for a in RECIPIENTS]
        )
    finally:
        await conn.close()
    running = [
        await System(env, ["agent_api"]).start(),
        await System(
            env,
            ["email_adapter"],
            **email_settings(
                email_relay_host="127.0.0.1", email_relay_port=relay.port, email_from="钱包 <n@wallet.example>"
            ),
        ).start(),
        await System(
            env, ["notifier"], broadcast_rates={"email": 50.0}, survey_delay="off", quiet_hours="00:00-00:00"
        ).start(),
    ]
    yield running
    for process in running:
        process.stop()


RECIPIENTS = [f"customer{n}@example.com" for n in range(5)]


async def test_a_broadcast_runs_to_completion_with_its_progress_shown(env, mail_system, relay, chromium, people):
    page, _ = await signed_in_as(chromium, env, people, "supervisor")
    await page.get_by_role("link", name="Broadcasts").click()
    await expect(page.get_by_text("No broadcasts yet.")).to_be_visible()
    assert await axe_findings(page) == []
    await page.get_by_role("button", name="New broadcast").click()
    form = page.get_by_test_id("broadcast-form")
    await form.get_by_label("Name (for your team)").fill("Fee change notice")
    await form.get_by_label("Subject").fill("手续费调整 / Fee change")
    await form.get_by_label("Text", exact=True).fill("Fees change on 1 December.")
    await form.get_by_role("checkbox", name="SMS").check()
    await form.get_by_label("SMS text").fill("【钱包】12月1日起手续费调整，回T退订")
    await expect(form.get_by_test_id("sms-estimate")).to_contain_text("1 part(s) (ucs2)")
    assert await axe_findings(page) == []
    await form.get_by_role("button", name="Review and send").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Send to every reachable customer on Email, SMS?")
    await expect(dialog).to_contain_text("Each SMS is 1 part(s)")
    await dialog.get_by_role("button", name="Send", exact=True).click()

    item = page.get_by_test_id("broadcast").filter(has_text="Fee change notice")
    await expect(item.locator(".state")).to_have_text("Done", timeout=60_000)
    await expect(item.get_by_test_id("progress-email").locator(".pct")).to_have_text("100 %")
    sent = await relay.wait_for(len(RECIPIENTS))
    assert sorted(str(m["To"]) for m in sent) == RECIPIENTS
    assert await axe_findings(page) == []
    await screenshots(page, "broadcasts")


async def test_an_admin_resets_a_password_and_the_agent_logs_in_with_it(env, system, chromium, people):
    page, _ = await signed_in_as(chromium, env, people, "admin")
    agent = await with_password(env, people, "agent", "the old password 1")
    await page.get_by_role("link", name="People").click()
    await page.get_by_role("button", name=agent.name).click()
    await page.get_by_label("New password").fill("a brand new password 2")
    await page.get_by_role("button", name="Set password").click()
    await expect(page.get_by_role("status").filter(has_text="Password set")).to_be_visible()

    await page.get_by_label("Token name").fill("crm-sync")
    await page.get_by_role("button", name="Create token").click()
    secret = await page.get_by_test_id("token-secret").locator(".secret").text_content()
    async with agent.http.get(
        env.url("agent_api", "/v1/me"), headers={"Authorization": f"Bearer {secret}"}
    ) as response:
        assert response.status == 200  # the secret shown once is a working token
    await page.get_by_role("button", name="I have saved it").click()
    await expect(page.get_by_test_id("token-secret")).to_have_count(0)
    assert await axe_findings(page) == []
    await screenshots(page, "people")

    await page.get_by_role("link", name="Audit log").click()
    await expect(page.get_by_test_id("audit-entries")).to_contain_text("password")

    other = await chromium.page()
    await log_in(other, agent, "the old password 1")
    await expect(other.get_by_role("alert")).to_have_text("Wrong name or password.")
    chromium.allowed.append(re.compile(r"status of 401 .*/v1/session"))
    await log_in(other, agent, "a brand new password 2")
    await expect(other.get_by_test_id("agent-name")).to_have_text(agent.name)


async def test_a_supervisor_unmasks_a_message_once_with_a_reason(env, system, chromium, people):
    await publish_inbound(env.settings, [inbound("c-pii", "call me on 13812345678 please")])
    watcher = await people.agent(role="supervisor", online=False, stream=False)

    async def queued():
        page = (await watcher.request("GET", "/v1/conversations?status=queued"))[1]["conversations"]
        return page[0]["id"] if page else None

    conversation_id = await wait_until(queued, what="the conversation queued")
    page, _ = await signed_in_as(chromium, env, people, "supervisor")
    await page.get_by_role("link", name="Unmask").click()
    await page.get_by_label("Conversation id").fill(conversation_id)
    await page.get_by_role("button", name="Show messages").click()
    await expect(page.locator(".masked-text")).to_have_text("call me on *******5678 please")
    await page.get_by_role("button", name="Unmask", exact=True).first.click()
    await page.get_by_label("Reason").fill("customer disputes the number we called")
    await page.get_by_role("dialog").get_by_role("button", name="Unmask").click()
    await expect(page.get_by_test_id("unmasked")).to_have_text("call me on 13812345678 please")
    await page.get_by_role("button", name="Close").click()
    await expect(page.get_by_test_id("unmasked")).to_have_count(0)
    assert "13812345678" not in await page.content()
