"""Mailbox polling over IMAP: mails become conversations, and are keyworded only once taken."""

import aiohttp
import pytest

from services.email_adapter.mailbox import PROCESSED
from tests.e2e.test_email_smtp import email_settings, mail
from tests.imap_server import ImapMailbox
from tests.support import System, behind_proxy, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
async def mailbox():
    box = await ImapMailbox("support@wallet.example", "imap-pass").start()
    yield box
    await box.stop()


def polling(mailbox: ImapMailbox, **extra) -> dict:
    return email_settings(
        email_imap_url=f"imap://support%40wallet.example:imap-pass@127.0.0.1:{mailbox.port}/INBOX",
        email_imap_interval=0.3,
        **extra,
    )


async def test_mailbox_mail_reaches_an_agent_and_is_marked_once_taken(env, people, mailbox):
    mailbox.deliver(mail("转账失败", "转账一直失败，提示系统繁忙。").as_bytes())
    system = await System(env, ["router", "agent_api", "email_adapter"], **polling(mailbox)).start()
    try:
        agent = await people.agent()
        assignment = await agent.next_event("assignment")
        assert assignment["preview"] == "转账一直失败，提示系统繁忙。"
        await wait_until(lambda: _flagged(mailbox, 1), what="the mail keyworded")
        mailbox.deliver(mail("补充", "截图见附件", sender="li.lei@example.cn").as_bytes())
        assert (await agent.next_event("message"))["text"] == "截图见附件"
        await wait_until(lambda: _flagged(mailbox, 2), what="both keyworded")
    finally:
        system.stop()


async def test_a_mail_is_not_marked_while_the_broker_is_down_and_is_taken_once_after(env, people, mailbox):
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router", "agent_api"]).start()
    edge = await System(env, ["email_adapter"], **polling(mailbox, amqp_url=proxied_url)).start()
    try:
        agent = await people.agent()
        await proxy.cut()
        async with aiohttp.ClientSession() as http:
            await wait_until(lambda: _status(http, edge.url("email_adapter", "/readyz"), 503), what="not ready")
        mailbox.deliver(mail("冻结", "账户被冻结了").as_bytes())
        await wait_until(lambda: _stored(env, 1), what="the original stored before the publish failed")
        assert not mailbox.messages[0].flags  # not confirmed by the broker: not marked
        await proxy.restore()
        assert (await agent.next_event("assignment"))["preview"] == "账户被冻结了"
        await wait_until(lambda: _flagged(mailbox, 1), timeout=30, what="keyworded after the outage")
        conn = await env.db()
        try:
            assert await conn.fetchval("SELECT count(*) FROM messages") == 1
        finally:
            await conn.close()
    finally:
        edge.stop()
        core.stop()
        await proxy.cut()


async def _flagged(mailbox: ImapMailbox, count: int) -> bool:
    return sum(PROCESSED in m.flags for m in mailbox.messages) == count


async def _stored(env, count: int) -> bool:
    conn = await env.db()
    try:
        return await conn.fetchval("SELECT count(*) FROM email_messages") == count
    finally:
        await conn.close()


async def _status(http: aiohttp.ClientSession, url: str, expected: int) -> bool:
    async with http.get(url) as response:
        return response.status == expected
