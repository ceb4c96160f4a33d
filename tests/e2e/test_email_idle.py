"""Mailbox reading: by IMAP IDLE where the server offers it, by polling where not, and across dropped connections."""

import msgspec
import pytest

from contracts import InboundMessage
from contracts.topology import inbound_key
from services.email_adapter.mailbox import PROCESSED
from tests.e2e.test_email_smtp import email_settings, mail
from tests.imap_server import ImapMailbox
from tests.support import BusTap, System, wait_until

pytestmark = pytest.mark.e2e

NEVER = 3600.0
"""A poll interval no test waits for: only IDLE can explain a mail taken within the test's timeouts."""


@pytest.fixture
async def idle_mailbox():
    box = await ImapMailbox("support@wallet.example", "imap-pass", idle=True).start()
    yield box
    await box.stop()


def reading(mailbox: ImapMailbox, interval: float, **extra) -> dict:
    return email_settings(
        email_imap_url=f"imap://support%40wallet.example:imap-pass@127.0.0.1:{mailbox.port}/INBOX",
        email_imap_interval=interval,
        **extra,
    )


async def test_with_idle_new_mail_is_taken_at_once_not_at_the_next_poll(env, idle_mailbox):
    system = await System(env, ["email_adapter"], **reading(idle_mailbox, NEVER)).start()
    try:
        async with BusTap(env.settings, inbound_key("email")) as inbound:
            await wait_until(lambda: _idling(idle_mailbox), what="the adapter waiting in IDLE")
            await taken(idle_mailbox, inbound, "提现还没到账", processed=1)
            # Back in IDLE after the look, and the next mail is taken the same way.
            await wait_until(lambda: _idling(idle_mailbox), what="IDLE entered again")
            await taken(idle_mailbox, inbound, "订单号 2026112012345", processed=2)
    finally:
        system.stop()
    assert idle_mailbox.commands.count("IDLE") >= 2


async def test_idle_is_renewed_before_the_server_would_end_it(env, idle_mailbox):
    system = await System(env, ["email_adapter"], **reading(idle_mailbox, NEVER, email_imap_idle_renewal=0.5)).start()
    try:
        await wait_until(lambda: _commands(idle_mailbox, "IDLE", 3), what="IDLE ended and started again")
        # Each renewal ends with a look, as a missed EXISTS would otherwise wait for the next mail.
        assert idle_mailbox.commands.count("UID SEARCH") >= 3
    finally:
        system.stop()


async def test_without_idle_the_mailbox_is_polled(env):
    mailbox = await ImapMailbox("support@wallet.example", "imap-pass", idle=False).start()
    try:
        system = await System(env, ["email_adapter"], **reading(mailbox, 0.3)).start()
        try:
            async with BusTap(env.settings, inbound_key("email")) as inbound:
                await wait_until(lambda: _commands(mailbox, "UID SEARCH", 2), what="two polls")
                await taken(mailbox, inbound, "账户被冻结了", processed=1)
        finally:
            system.stop()
        assert "IDLE" not in mailbox.commands
    finally:
        await mailbox.stop()


async def test_a_connection_dropped_in_idle_is_reopened_and_nothing_is_lost_or_doubled(env, idle_mailbox):
    system = await System(env, ["router", "email_adapter"], **reading(idle_mailbox, NEVER)).start()
    try:
        async with BusTap(env.settings, inbound_key("email")) as inbound:
            await wait_until(lambda: _idling(idle_mailbox), what="the adapter waiting in IDLE")
            idle_mailbox.drop()
            while_away = mail("断线期间", "this came while the connection was down")
            idle_mailbox.deliver(while_away.as_bytes())
            [taken] = await inbound.take(1, timeout=20)
            assert _published([taken])[0][1] == "this came while the connection was down"
            await wait_until(lambda: _flagged(idle_mailbox, 1), what="the first mail keyworded")

            # Cut again after the mail was taken but before it was keyworded: it is taken again
            # on the next connection, and the second copy changes nothing.
            await wait_until(lambda: _idling(idle_mailbox), what="IDLE on the new connection")
            idle_mailbox.drop_on_store = 1
            unmarked = mail("再断线", "taken twice, stored once")
            idle_mailbox.deliver(unmarked.as_bytes())
            copies = await inbound.take(2, timeout=20)
            assert {m for m, _ in _published(copies)} == {unmarked["Message-ID"].strip("<>")}
            await wait_until(lambda: _flagged(idle_mailbox, 2), what="both keyworded")

            sentinel = mail("最后", "sentinel")
            idle_mailbox.deliver(sentinel.as_bytes())
            await inbound.take(1)
            conn = await env.db()
            try:
                await wait_until(lambda: conn.fetchval("SELECT count(*) = 3 FROM messages"), what="3 messages stored")
                counts = await conn.fetch("SELECT channel_message_id, count(*) AS n FROM messages GROUP BY 1")
                originals = await conn.fetchval("SELECT count(*) FROM email_messages")
            finally:
                await conn.close()
            assert sorted(r["n"] for r in counts) == [1, 1, 1] and originals == 3
    finally:
        system.stop()


async def taken(mailbox: ImapMailbox, inbound: BusTap, text: str, processed: int) -> None:
    """Delivers a mail saying `text`; it must reach the bus and be keyworded (`processed` in all by then)."""
    sent = mail("邮件", text)
    mailbox.deliver(sent.as_bytes())
    assert _published(await inbound.take(1)) == [(sent["Message-ID"].strip("<>"), text)]
    await wait_until(lambda: _flagged(mailbox, processed), what=f"{processed} mails keyworded")


def _published(bodies: list[bytes]) -> list[tuple[str, str]]:
    messages = [msgspec.json.decode(body, type=InboundMessage) for body in bodies]
    return [(m.channel_message_id, m.text) for m in messages]


async def _idling(mailbox: ImapMailbox) -> bool:
    return mailbox.idling > 0


async def _commands(mailbox: ImapMailbox, name: str, count: int) -> bool:
    return mailbox.commands.count(name) >= count


async def _flagged(mailbox: ImapMailbox, count: int) -> bool:
    return sum(PROCESSED in m.flags for m in mailbox.messages) == count
