"""Replies by email: threaded in the customer's client, retried on 4xx, dead-lettered on 5xx."""

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from contracts import Attachment, Channel, DeliveryReported, OutboundMessage
from contracts.topology import DEAD_LETTER_QUEUE, DELIVERY_PATTERN, outbound_key
from shared.broker import ERROR_HEADER
from tests.e2e.test_email_smtp import email_settings, mail, send
from tests.smtp_sink import SmtpSink
from tests.support import BusTap, System, publish_keyed, take_messages, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
async def relay():
    sink = await SmtpSink().start()
    yield sink
    await sink.stop()


def relayed(relay: SmtpSink, **extra) -> dict:
    return email_settings(
        email_relay_host="127.0.0.1",
        email_relay_port=relay.port,
        email_from="钱包客服 <support@wallet.example>",
        **extra,
    )


async def test_the_agents_reply_threads_with_the_customers_mail(env, people, relay):
    system = await System(env, ["router", "agent_api", "email_adapter"], **relayed(relay)).start()
    try:
        agent = await people.agent()
        first = mail("提现未到账", "我的提现三天了还没到账。", References="<older@example.cn>")
        await send(system, first)
        assignment = await agent.next_event("assignment")
        await agent.reply(assignment["conversation_id"], "您好，已为您加急处理。\n\n钱包客服")
        [reply] = await relay.wait_for(1)
        original = first["Message-ID"]
        assert reply["In-Reply-To"] == original
        assert reply["References"].split() == ["<older@example.cn>", original]
        token = "RD-" + assignment["conversation_id"].replace("-", "")[:8].upper()
        assert reply["Subject"] == f"Re: 提现未到账 [#{token}]"
        assert reply["To"] == "li.lei@example.cn" and reply["Reply-To"] == "support@wallet.example"
        assert reply["From"].addresses[0].display_name == "钱包客服"
        assert (
            reply.get_body(("plain",)).get_content().replace("\r\n", "\n").strip()
            == "您好，已为您加急处理。\n\n钱包客服"
        )
        assert "加急处理" in reply.get_body(("html",)).get_content()
        assert (await agent.next_event("delivery"))["status"] == "sent"

        # The customer answers in the same thread: it lands in the same conversation.
        answer = mail(
            f"Re: 提现未到账 [#{token}]",
            "好的，谢谢！\n\n> 您好，已为您加急处理。",
            In_Reply_To=reply["Message-ID"],
            References=f"{reply['References']} {reply['Message-ID']}",
        )
        await send(system, answer)
        follow_up = await agent.next_event("message")
        assert (follow_up["conversation_id"], follow_up["text"]) == (assignment["conversation_id"], "好的，谢谢！")
    finally:
        system.stop()


async def test_a_4xx_is_retried_and_a_5xx_is_dead_lettered_and_reported(env, people, relay):
    system = await System(env, ["router", "agent_api", "email_adapter"], **relayed(relay)).start()
    try:
        agent = await people.agent()
        await send(system, mail("问题", "first customer"))
        first = await agent.next_event("assignment")
        relay.answers = ["451 4.3.2 Try again later"]
        await agent.reply(first["conversation_id"], "retried reply")
        [delivered] = await relay.wait_for(1)
        assert delivered.get_body(("plain",)).get_content().strip() == "retried reply" and relay.attempts == 2

        relay.answers = ["550 5.1.1 <li.lei@example.cn>: Recipient address rejected"]
        async with BusTap(env.settings, DELIVERY_PATTERN) as reports:
            reply_id = await agent.reply(first["conversation_id"], "refused reply")
            found = None
            while found is None or found.message_id != reply_id:
                [body] = await reports.take(1)
                found = msgspec.json.decode(body, type=DeliveryReported)
        assert (found.status, found.reason) == ("failed", "relay_refused") and "5.1.1" in found.detail
        [dead] = await take_messages(env.settings, DEAD_LETTER_QUEUE, 1)
        assert "550" in dead.headers[ERROR_HEADER]
        assert len(relay.received) == 1
    finally:
        system.stop()


async def test_a_reply_from_another_address_with_the_subject_token_joins_its_conversation(env, people, relay):
    system = await System(env, ["router", "agent_api", "email_adapter"], **relayed(relay)).start()
    try:
        agent = await people.agent()
        await send(system, mail("贷款还款", "我想提前还款。"))
        assignment = await agent.next_event("assignment")
        token = "RD-" + assignment["conversation_id"].replace("-", "")[:8].upper()
        await send(
            system,
            mail(f"Re: 贷款还款 [#{token}]", "这是我的工作邮箱，补充一下合同号。", sender="li.lei@work.example.cn"),
        )
        joined = await agent.next_event("message")
        assert (joined["conversation_id"], joined["text"]) == (
            assignment["conversation_id"],
            "这是我的工作邮箱，补充一下合同号。",
        )
    finally:
        system.stop()


async def test_files_we_hold_go_along_and_others_as_links(env, relay):
    system = await System(env, ["email_adapter"], **relayed(relay)).start()
    try:
        first = mail("对账单", "见附件")
        first.add_attachment(b"%PDF-1.4 bill", maintype="application", subtype="pdf", filename="账单.pdf")
        await send(system, first)
        conn = await env.db()
        try:
            file_id = await wait_until(
                lambda: conn.fetchval("SELECT id::text FROM email_attachments"), what="the attachment stored"
            )
        finally:
            await conn.close()
        conn = await env.db()
        try:  # a file an agent uploaded through the agent API (its URL names the stored key)
            agent_id = uuid.uuid4()
            await conn.execute("INSERT INTO agents (id, name, role, capacity) VALUES ($1, 'a', 'agent', 1)", agent_id)
            await conn.execute(
                "INSERT INTO files (id, key, name, content_type, size, sha256, body, uploaded_by)"
                " VALUES ($1, 'k3y', 'receipt.png', 'image/png', 4, '', $2, $3)",
                uuid.uuid4(),
                b"\x89PNG",
                agent_id,
            )
        finally:
            await conn.close()
        uploaded = f"{env.settings.agent_api_public_url}/files/k3y/receipt.png"
        reply = OutboundMessage(
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            Channel.EMAIL,
            "li.lei@example.cn",
            "已核对",
            1,
            datetime.now(UTC),
            attachments=(
                Attachment(f"email-attachment:{file_id}", "application/pdf", "您的账单.pdf"),
                Attachment(uploaded, "image/png", "receipt.png"),
                Attachment("https://files.wallet.example/guide.pdf", "application/pdf"),
            ),
        )
        await publish_keyed(env.settings, [(outbound_key(Channel.EMAIL), reply, reply.message_id)])
        [sent] = await relay.wait_for(1)
        attached = [(a.get_filename(), a.get_content()) for a in sent.iter_attachments()]
        assert attached == [("您的账单.pdf", b"%PDF-1.4 bill"), ("receipt.png", b"\x89PNG")]
        assert "https://files.wallet.example/guide.pdf" in sent.get_body(("plain",)).get_content()
    finally:
        system.stop()
