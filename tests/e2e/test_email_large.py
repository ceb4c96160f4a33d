"""A mail too large to hold, by SMTP or from a mailbox: stored whole, its file decoded apart, published once."""

import os
from email.message import EmailMessage

import aiosmtplib
import msgspec
import pytest

from contracts import InboundMessage
from contracts.topology import inbound_key
from services.email_adapter.receive import SPOOL_MEMORY
from tests.e2e.test_email_smtp import SUPPORT, email_settings, mail
from tests.imap_server import ImapMailbox
from tests.support import BusTap, System

pytestmark = pytest.mark.e2e


def large_mail() -> tuple[EmailMessage, bytes, bytes]:
    """A mail over SPOOL_MEMORY with one file: the message, its bytes as SMTP carries them, the file."""
    data = os.urandom(2 * SPOOL_MEMORY)
    message = mail("日志", "附件是这几天的日志")
    message.add_attachment(data, maintype="application", subtype="zip", filename="日志.zip")
    return message, message.as_bytes(policy=message.policy.clone(linesep="\r\n")), data


async def test_a_mail_larger_than_memory_is_stored_and_published_from_disk_once(env):
    settings = email_settings(email_max_size=4 * SPOOL_MEMORY)
    system = await System(env, ["email_adapter"], **settings).start()
    message, raw, data = large_mail()
    try:
        async with BusTap(env.settings, inbound_key("email")) as inbound:
            for _ in range(2):  # a sending MTA that did not hear our 250 sends again
                errors, _ = await aiosmtplib.send(
                    raw,
                    sender="li.lei@example.cn",
                    recipients=[SUPPORT],
                    hostname="127.0.0.1",
                    port=settings["email_smtp_port"],
                    timeout=60,
                )
                assert errors == {}
            first, again = (msgspec.json.decode(body, type=InboundMessage) for body in await inbound.take(2))
        assert again.attachments == first.attachments
        await _kept_once(env, message, raw, data, first)
    finally:
        system.stop()


async def test_a_large_mail_from_a_mailbox_is_kept_the_same_way(env):
    mailbox = await ImapMailbox("support@wallet.example", "imap-pass").start()
    url = f"imap://support%40wallet.example:imap-pass@127.0.0.1:{mailbox.port}/INBOX"
    system = await System(env, ["email_adapter"], **email_settings(email_imap_url=url, email_imap_interval=0.3)).start()
    message, raw, data = large_mail()
    try:
        async with BusTap(env.settings, inbound_key("email")) as inbound:
            mailbox.deliver(raw)
            [published] = await inbound.take(1, timeout=30)
        await _kept_once(env, message, raw, data, msgspec.json.decode(published, type=InboundMessage))
    finally:
        system.stop()
        await mailbox.stop()


async def _kept_once(env, message: EmailMessage, raw: bytes, data: bytes, published: InboundMessage) -> None:
    assert published.channel_message_id == message["Message-ID"].strip("<>")
    assert published.text == "附件是这几天的日志"
    [attachment] = published.attachments
    assert (attachment.name, attachment.content_type, attachment.size) == ("日志.zip", "application/zip", len(data))
    conn = await env.db()
    try:
        stored = await conn.fetch("SELECT raw, references_ids FROM email_messages")
        files = await conn.fetch("SELECT id::text, position, filename, size, data FROM email_attachments")
    finally:
        await conn.close()
    assert [(r["raw"], r["references_ids"]) for r in stored] == [(raw, [])]
    assert [(f"email-attachment:{f['id']}", f["position"], f["filename"], f["size"], f["data"]) for f in files] == [
        (attachment.ref, 0, "日志.zip", len(data), data)
    ]
