"""Email sender authentication through the real SMTP door, with the senders' DNS on a local stand-in.

wallet-user.example publishes SPF for 127.0.0.1, a DKIM key and DMARC p=reject; attacker.example
only SPF. A signed mail from the customer is answered and threaded as ever; a forged From is kept
with a warning the agent sees, gets no bot answer and opens a conversation of its own.
"""

import base64
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid

import aiosmtplib
import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.test_email_smtp import SUPPORT, email_settings
from tests.smtp_sink import SmtpSink
from tests.support import System, wait_until

pytestmark = pytest.mark.e2e

CUSTOMER = "li.lei@wallet-user.example"
TRUSTED = "mx.wallet.example"


@pytest.fixture
async def relay():
    sink = await SmtpSink().start()
    yield sink
    await sink.stop()


def publish_domains(env) -> bytes:
    """The customer's and the attacker's DNS; returns the customer's DKIM private key (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    env.dns.txt("wallet-user.example", "v=spf1 ip4:127.0.0.1 -all")
    env.dns.txt("sel._domainkey.wallet-user.example", f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}")
    env.dns.txt("_dmarc.wallet-user.example", "v=DMARC1; p=reject; adkim=r; aspf=r")
    env.dns.txt("attacker.example", "v=spf1 ip4:127.0.0.1 -all")
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def mail(subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"李雷 <{CUSTOMER}>", SUPPORT, subject
    message["Message-ID"] = make_msgid(domain="wallet-user.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def signed(message: EmailMessage, key: bytes) -> bytes:
    raw = message.as_bytes(policy=SMTP_POLICY)
    headers = [b"from", b"to", b"subject", b"message-id"]
    return dkim.sign(raw, b"sel", b"wallet-user.example", key, include_headers=headers) + raw


async def send(system: System, raw: bytes | EmailMessage, mail_from: str) -> None:
    data = raw if isinstance(raw, bytes) else raw.as_bytes(policy=SMTP_POLICY)
    port = system.overrides["email_smtp_port"]
    await aiosmtplib.send(data, sender=mail_from, recipients=[SUPPORT], hostname="127.0.0.1", port=port)


async def stored(env, message_id: str):
    conn = await env.db()
    try:
        return await conn.fetchrow(
            "SELECT m.conversation_id::text AS conversation_id, m.sender_warning,"
            " (SELECT count(*) FROM messages o WHERE o.conversation_id = m.conversation_id AND o.direction = 'out')"
            " AS answers FROM messages m WHERE m.channel_message_id = $1",
            message_id.strip("<>"),
        )
    finally:
        await conn.close()


async def test_a_signed_mail_is_answered_and_a_forged_from_is_flagged_unanswered_and_kept_apart(env, people, relay):
    key = publish_domains(env)
    settings = email_settings(email_relay_host="127.0.0.1", email_relay_port=relay.port)
    system = await System(env, ["router", "agent_api", "email_adapter"], faq_kb="", **settings).start()
    try:
        agent = await people.agent()
        genuine = mail("密码", "忘记登录密码怎么办")
        await send(system, signed(genuine, key), CUSTOMER)
        [answer] = await relay.wait_for(1)  # the FAQ answers the customer, as it always has
        assert answer["To"] == CUSTOMER and "密码" in answer.get_body(("plain",)).get_content()
        victim = await wait_until(lambda: stored(env, genuine["Message-ID"]), what="genuine mail stored")
        assert victim["sender_warning"] is None and victim["answers"] == 1
        token = "RD-" + victim["conversation_id"].replace("-", "")[:8].upper()

        # The forger: their own envelope (SPF passes for attacker.example), the customer's From
        # and the customer's subject token, asking the same FAQ question.
        forged = mail(f"Re: 密码 [#{token}]", "忘记登录密码怎么办", In_Reply_To=genuine["Message-ID"])
        await send(system, forged, "x@attacker.example")
        assignment = await agent.next_event("assignment")  # for a person, not the bot
        assert assignment["sender_warning"] == "spf=pass dkim=none dmarc=fail"
        row = await stored(env, forged["Message-ID"])
        assert row["conversation_id"] == assignment["conversation_id"] != victim["conversation_id"]
        assert (row["sender_warning"], row["answers"]) == ("spf=pass dkim=none dmarc=fail", 0)
        status, detail = await agent.request("GET", f"/v1/conversations/{row['conversation_id']}")
        assert status == 200 and detail["messages"][0]["sender_warning"] == "spf=pass dkim=none dmarc=fail"
        assert len(relay.received) == 1  # nothing was mailed to the customer the From names

        # The customer writes again, signed: their own conversation, not the forger's.
        again = mail(f"Re: 密码 [#{token}]", "还是不行，请人工帮我")
        await send(system, signed(again, key), CUSTOMER)
        followed = await wait_until(lambda: stored(env, again["Message-ID"]), what="follow-up stored")
        assert (followed["conversation_id"], followed["sender_warning"]) == (victim["conversation_id"], None)
        # A second forgery joins the first forgery's conversation, still flagged, still unanswered.
        forged_again = mail("密码", "再问一次")
        await send(system, forged_again, "x@attacker.example")
        second = await wait_until(lambda: stored(env, forged_again["Message-ID"]), what="second forgery stored")
        assert (second["conversation_id"], second["answers"]) == (row["conversation_id"], 0)
    finally:
        system.stop()


async def test_authentication_results_are_believed_only_from_the_trusted_authserv_id(env):
    publish_domains(env)
    system = await System(env, ["router", "email_adapter"], email_trust_authres=TRUSTED, **email_settings()).start()
    try:
        results = f"{{}}; spf=pass smtp.mailfrom={CUSTOMER}; dkim=pass header.d=wallet-user.example; dmarc=pass"
        # Delivered here by the upstream MTA (so our own SPF check would fail): its word counts.
        trusted = mail("余额", "我的余额不对", Authentication_Results=results.format(TRUSTED))
        await send(system, trusted, "bounce@relay.example")
        # The sender's own claim, or another MTA's, counts for nothing.
        claimed = mail("余额", "我的余额不对", Authentication_Results=results.format("mx.attacker.example"))
        await send(system, claimed, "x@attacker.example")
        believed = await wait_until(lambda: stored(env, trusted["Message-ID"]), what="trusted mail stored")
        ignored = await wait_until(lambda: stored(env, claimed["Message-ID"]), what="claimed mail stored")
        assert believed["sender_warning"] is None
        assert ignored["sender_warning"] == "spf=pass dkim=none dmarc=fail"
        assert ignored["conversation_id"] != believed["conversation_id"]
    finally:
        system.stop()


async def test_dns_failing_answers_451_and_the_retry_is_checked_and_taken(env):
    key = publish_domains(env)
    system = await System(env, ["router", "email_adapter"], **email_settings()).start()
    try:
        message = mail("转账", "转账失败了")
        raw = signed(message, key)
        env.dns.failing = True
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await send(system, raw, CUSTOMER)
        assert refused.value.code == 451
        assert await stored(env, message["Message-ID"]) is None
        env.dns.failing = False
        await send(system, raw, CUSTOMER)  # the sending MTA's retry
        taken = await wait_until(lambda: stored(env, message["Message-ID"]), what="retried mail stored")
        assert taken["sender_warning"] is None
    finally:
        system.stop()
