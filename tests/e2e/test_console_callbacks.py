"""Callbacks (回访) in the console, in a real headless Chromium: the worklist with overdue ones standing
out, claiming from the pool, revealing the number as a tel: link, recording outcomes; and an admin
editing an agent in People. axe-core on the callbacks screen; screenshots in both languages."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from services.notifier.store import NewTask
from services.notifier.tasks import create
from tests.browser import axe_findings, log_in, screenshots, signed_in_as, with_password
from tests.notifier_support import Seeding, desk
from tests.support import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


async def seed(
    env, agent_id: str | None, name: str, reason: str, phone: str, due_at: datetime, source: str = "agent", **fields
) -> str:
    """One callback stored by the notifier's own code, as an agent's command or a rule would."""
    conn = await env.db()
    task_id = str(uuid.uuid4())
    try:
        async with conn.transaction():
            new = NewTask(
                id=task_id,
                dedupe_key=f"test:{task_id}",
                source=source,
                reason=reason,
                channel="sms",
                customer_address=phone,
                customer_name=name,
                due_at=due_at,
                assigned_agent_id=agent_id,
                created_by=agent_id,
                **fields,
            )
            await create(Seeding.on(conn), new)
    finally:
        await conn.close()
    return task_id


async def worklist(env, agent_id: str) -> dict[str, str]:
    """Reason -> id of the agent's four kinds of callback: overdue, due now, upcoming, and one in the pool."""
    now = datetime.now(UTC)
    loan = {"category": "loan", "application_id": "APP-7731", "application_type": "cash_loan", "source": "preapproval"}
    details = {"amount": "50000 CNY", "term": "12 months"}
    return {
        "overdue": await seed(env, agent_id, "王小明", "确认贷款到账 / confirm the loan arrived", "+8613800138001",
                              now - timedelta(hours=2), category="transaction"),
        "due": await seed(env, agent_id, "李娜", "预审批通过，核对资料 / pre-approved, check details", "+8613800138002",
                          now - timedelta(minutes=5), details=details, **loan),
        "upcoming": await seed(env, agent_id, "张伟", "投诉跟进 / complaint follow-up", "+8613800138003",
                               now + timedelta(days=1), category="complaint"),
        "pool": await seed(env, None, "陈静", "新客户回访 / welcome call", "+8613800138004", now + timedelta(hours=5)),
    }  # fmt: skip


async def state_of(env, callback_id: str) -> tuple[str, str | None]:
    conn = await env.db()
    try:
        row = await conn.fetchrow("SELECT state, result FROM callback_tasks WHERE id = $1::uuid", callback_id)
    finally:
        await conn.close()
    return row["state"], row["result"]


async def test_an_agent_works_callbacks_to_outcomes_in_the_console(env, chromium, people):
    async with desk(env):
        agent = await with_password(env, people, "agent")
        ids = await worklist(env, agent.id)
        page = await chromium.page()
        await log_in(page, agent)

        link = page.get_by_test_id("callbacks-link")
        await expect(link.locator(".cb-count.bad")).to_have_text(
            "2"
        )  # one due, one overdue (after the notifier's sweep)
        await link.click()
        screen = page.get_by_test_id("callbacks")
        for section, reason in (("overdue", "确认贷款"), ("due", "预审批"), ("upcoming", "投诉"), ("pool", "新客户")):
            await expect(screen.get_by_test_id(f"cb-{section}").get_by_test_id("callback-row")).to_have_count(1)
            await expect(screen.get_by_test_id(f"cb-{section}")).to_contain_text(reason)
        await expect(screen.get_by_test_id("cb-overdue").locator(".cb-badge-overdue")).to_have_text("Overdue")

        # The due one: prepare, reveal the number after the confirm, record the outcome.
        await screen.get_by_test_id("cb-due").get_by_test_id("callback-row").click()
        detail = page.get_by_test_id("callback-detail")
        await expect(detail).to_contain_text("50000 CNY")
        await expect(detail).not_to_contain_text("13800138002")  # masked until revealed
        assert await axe_findings(page) == []
        await screenshots(page, "callbacks")
        await detail.get_by_test_id("callback-reveal").click()
        dialog = page.get_by_role("alertdialog")
        await expect(dialog).to_contain_text("audit log")
        await dialog.get_by_role("button", name="Reveal number").click()
        tel = detail.get_by_test_id("callback-tel")
        await expect(tel).to_have_attribute("href", "tel:+8613800138002")
        await expect(tel).to_contain_text("+8613800138002")

        await detail.get_by_label("Reached").check()
        await detail.get_by_label("Notes").fill("客户已确认资料无误 / details confirmed")
        await detail.get_by_role("button", name="Record outcome").click()
        await expect(detail).to_contain_text("Closed · Reached")
        await expect(screen.get_by_test_id("cb-due")).to_have_count(0)
        assert await state_of(env, ids["due"]) == ("closed", "reached")

        # The overdue one: moved to tomorrow, it leaves the overdue list for the upcoming one.
        await screen.get_by_test_id("cb-overdue").get_by_test_id("callback-row").click()
        await detail.get_by_label("Reschedule").check()
        later = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        await detail.get_by_label("Call again at").fill(later)
        await detail.get_by_role("button", name="Record outcome").click()
        await expect(screen.get_by_test_id("cb-overdue")).to_have_count(0)
        await expect(screen.get_by_test_id("cb-upcoming").get_by_test_id("callback-row")).to_have_count(2)
        assert await state_of(env, ids["overdue"]) == ("scheduled", None)

        # The pool's: claimed, it becomes the agent's (upcoming: due in 5 h).
        await screen.get_by_test_id("cb-pool").get_by_test_id("callback-row").click()
        await expect(detail).to_contain_text("Unassigned")
        await expect(detail.get_by_test_id("callback-reveal")).to_have_count(0)
        await detail.get_by_test_id("callback-claim").click()
        await expect(screen.get_by_test_id("cb-upcoming").get_by_test_id("callback-row")).to_have_count(3)
        await expect(screen.get_by_test_id("cb-pool")).to_contain_text("Nobody's callbacks are waiting")
        await expect(detail).to_contain_text("Yours")
        await expect(detail).to_contain_text("can be revealed once the callback is due")
        await expect(link.locator(".cb-count")).to_have_count(0)
        await page.context.close()  # before the desk stops: a stream cut by the shutdown is no error of the page


async def test_a_callback_screen_in_chinese_says_it_in_chinese(env, chromium, people):
    async with desk(env):
        agent = await with_password(env, people, "agent")
        await worklist(env, agent.id)
        page = await chromium.page(locale="zh-CN")
        await log_in(page, agent)
        await page.get_by_role("link", name=re.compile("^回访")).click()
        screen = page.get_by_test_id("callbacks")
        await expect(screen.get_by_role("heading", name=re.compile("^已逾期"))).to_be_visible()
        await expect(screen.get_by_role("heading", name=re.compile("^待认领"))).to_be_visible()
        await screen.get_by_test_id("cb-due").get_by_test_id("callback-row").click()
        await expect(page.get_by_test_id("callback-detail")).to_contain_text("通话结果")
        await expect(page.get_by_test_id("callback-reveal")).to_have_text("显示号码")
        assert await axe_findings(page) == []
        await page.context.close()


async def test_an_admin_edits_an_agents_capacity_and_skills_in_people(env, system, chromium, people):
    page, admin = await signed_in_as(chromium, env, people, "admin")
    target = await people.agent(online=False, stream=False)
    name = (await target.request("GET", "/v1/me"))[1]["name"]
    await page.get_by_role("link", name="People").click()
    await page.get_by_role("button", name=name, exact=True).click()
    form = page.get_by_test_id("edit-agent")

    chromium.allowed.append(re.compile(r"status of 422 .*/v1/admin/agents/"))  # the refusal below, on purpose
    await form.get_by_label("Skills").fill("loan, cooking")
    await form.get_by_role("button", name="Save changes").click()
    await expect(form.get_by_role("alert")).to_be_visible()  # the API's refusal, in words
    await form.get_by_label("Skills").fill("loan, complaint")
    await form.get_by_label("Capacity").fill("9")
    await form.get_by_role("button", name="Save changes").click()
    await expect(form.get_by_role("status")).to_have_text("Saved.")
    row = page.get_by_test_id("agent-row").filter(has=page.get_by_role("button", name=name, exact=True))
    await expect(row.locator("td.num")).to_have_text("9")
    await expect(row).to_contain_text("loan, complaint")

    async def saved():
        agents = (await admin.request("GET", "/v1/admin/agents"))[1]["agents"]
        found = next(a for a in agents if a["id"] == target.id)
        return (found["capacity"], found["skills"]) == (9, ["loan", "complaint"])

    await wait_until(saved, what="the edit stored")
