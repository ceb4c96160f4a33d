"""The SMTP door against real SMTP clients: accepted, refused, oversize, broker down, bounces, noise."""

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import aiohttp
import aiosmtplib
import pytest

from contracts.topology import DELIVERY_PATTERN
from tests.support import BusTap, System, behind_proxy, free_port, wait_until

pytestmark = pytest.mark.e2e

SUPPORT = "support@wallet.example"


def email_settings(**extra) -> dict:
    return {
        "email_port": free_port(),
        "email_smtp_port": free_port(),
        "email_addresses": f"{SUPPORT},@help.wallet.example",
        "email_max_size": 200_000,
        **extra,
    }


def mail(subject: str, body: str, sender: str = "li.lei@example.cn", **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"李雷 <{sender}>", SUPPORT, subject
    message["Message-ID"] = make_msgid(domain="example.cn")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def send(system: System, message: EmailMessage, recipients: list[str] | None = None):
    return await aiosmtplib.send(
        message, hostname="127.0.0.1", port=system.overrides["email_smtp_port"], recipients=recipients
    )


async def test_a_mail_reaches_an_agent_with_only_what_is_new(env, people):
    settings = email_settings()
    system = await System(env, ["router", "agent_api", "email_adapter"], **settings).start()
    try:
        agent = await people.agent()
        body = (
            "我的提现三天了还没到账，请帮忙查一下。\n\n李雷\n\n"
            "在 2026年11月20日，Wallet Support <support@wallet.example> 写道：\n> 您好，请问有什么可以帮您？\n"
        )
        message = mail("提现未到账", body)
        message.add_attachment(b"%PDF-1.4 statement", maintype="application", subtype="pdf", filename="对账单.pdf")
        errors, reply = await send(system, message)
        assert errors == {} and reply.startswith("2.0.0")
        assignment = await agent.next_event("assignment")
        # Agents see the address masked, like every email address and phone number they read.
        assert (assignment["channel"], assignment["customer_address"]) == ("email", "l***@example.cn")
        assert assignment["preview"].startswith("我的提现三天了还没到账") and "写道" not in assignment["preview"]
        conn = await env.db()
        try:
            stored = await conn.fetchrow("SELECT text, attachments::text AS files FROM messages WHERE direction = 'in'")
            original = await conn.fetchval("SELECT raw FROM email_messages")
            files = await conn.fetch("SELECT filename, size, data FROM email_attachments")
        finally:
            await conn.close()
        assert "写道" not in stored["text"] and "对账单.pdf" in stored["files"]
        assert "写道".encode() in original or b"=E5=86=99" in original or b"base64" in original.lower()
        assert [(f["filename"], f["data"]) for f in files] == [("对账单.pdf", b"%PDF-1.4 statement")]
    finally:
        system.stop()


async def test_refused_recipients_oversize_and_hostile_headers_get_smtp_errors(env):
    settings = email_settings()
    system = await System(env, ["email_adapter"], **settings).start()
    port = settings["email_smtp_port"]
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo()
            code, _ = client.docmd("MAIL FROM:<someone@example.com>")
            assert code == 250
            code, text = client.docmd("RCPT TO:<victim@elsewhere.example>")
            assert code == 550 and b"Relaying denied" in text
            code, _ = client.docmd("RCPT TO:<anyone@help.wallet.example>")  # a whole support domain
            assert code == 250
        with (
            pytest.raises(smtplib.SMTPSenderRefused) as oversize,
            smtplib.SMTP("127.0.0.1", port, timeout=10) as client,
        ):
            client.sendmail("a@example.com", [SUPPORT], b"Subject: big\r\n\r\n" + b"x" * 300_000)
        assert oversize.value.smtp_code == 552
        bomb = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"y" * 50) for n in range(3000))
        with (
            pytest.raises(smtplib.SMTPDataError) as refused,
            smtplib.SMTP("127.0.0.1", port, timeout=10) as client,
        ):
            client.sendmail("a@example.com", [SUPPORT], bomb + b"Subject: bomb\r\n\r\nhi\r\n")
        assert refused.value.smtp_code in (552, 554)
        broken = (
            b"From: a@example.com\r\nTo: support@wallet.example\r\nSubject: =?gbk?B?!!!notbase64?=\r\n"
            b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
        )
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("a@example.com", [SUPPORT], broken)  # parsed safely and taken
        assert system.process.poll() is None
    finally:
        system.stop()


async def test_broker_down_answers_451_and_the_retry_is_stored_once(env, people):
    proxy, proxied_url = await behind_proxy(env.settings.amqp_url, 5672)
    core = await System(env, ["router", "agent_api"]).start()
    settings = email_settings(amqp_url=proxied_url)
    door = await System(env, ["email_adapter"], **settings).start()
    try:
        agent = await people.agent()
        message = mail("账户被冻结", "我的账户突然被冻结了，怎么办？")
        await proxy.cut()
        async with aiohttp.ClientSession() as http:
            await wait_until(lambda: _status(http, door.url("email_adapter", "/readyz"), 503), what="not ready")
        with pytest.raises(aiosmtplib.SMTPDataError) as deferred:
            await send(door, message)
        assert deferred.value.code == 451
        await proxy.restore()
        async with aiohttp.ClientSession() as http:
            await wait_until(
                lambda: _status(http, door.url("email_adapter", "/readyz"), 200), timeout=30, what="ready again"
            )
        for _ in range(2):  # the sending MTA retries; its first retry may race our answer
            errors, _ = await send(door, message)
            assert errors == {}
        assignment = await agent.next_event("assignment")
        assert assignment["preview"] == "我的账户突然被冻结了，怎么办？"
        await send(door, mail("另一个问题", "sentinel", sender="other@example.cn"))
        assert (await agent.next_event("assignment"))["preview"] == "sentinel"
        conn = await env.db()
        try:
            stored = await conn.fetchval("SELECT count(*) FROM messages WHERE customer_address = 'li.lei@example.cn'")
        finally:
            await conn.close()
        assert stored == 1
    finally:
        door.stop()
        core.stop()
        await proxy.cut()


async def test_out_of_office_opens_nothing_and_a_bounce_marks_our_reply_failed(env, people):
    system = await System(env, ["router", "agent_api", "email_adapter"], **email_settings()).start()
    try:
        agent = await people.agent()
        auto = mail("Automatic reply: 提现未到账", "I am out of office until Monday.", Auto_Submitted="auto-replied")
        await send(system, auto)
        conn = await env.db()
        try:
            await wait_until(
                lambda: conn.fetchval("SELECT count(*) = 1 FROM contact_events WHERE event = 'auto_reply'"),
                what="the auto-reply recorded",
            )
            assert await conn.fetchval("SELECT count(*) FROM conversations") == 0
            # A reply we sent earlier (as the outbound side records it), then its bounce.
            await conn.execute(
                "INSERT INTO email_sends (message_id, smtp_message_id, to_address)"
                " VALUES ('11111111-2222-4333-8444-555555555555', 'rd-1@wallet.example', 'gone@example.cn')"
            )
        finally:
            await conn.close()
        dsn = _dsn("rd-1@wallet.example", "gone@example.cn")
        async with BusTap(env.settings, DELIVERY_PATTERN) as reports:
            with smtplib.SMTP("127.0.0.1", system.overrides["email_smtp_port"], timeout=10) as client:
                client.sendmail("", [SUPPORT], dsn)  # bounces come with an empty return path
            [body] = await reports.take(1)
        assert b'"status":"failed"' in body and b"bounced" in body and b"5.1.1" in body
        assert b"11111111-2222-4333-8444-555555555555" in body
        await send(system, mail("真正的问题", "still here"))
        assert (await agent.next_event("assignment"))["preview"] == "still here"  # the first assignment
    finally:
        system.stop()


def _dsn(original_id: str, recipient: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.wallet.example>\r\n"
        f"To: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{make_msgid(domain='mx.wallet.example')[1:-1]}>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.wallet.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nFrom: {SUPPORT}\r\nTo: {recipient}\r\nSubject: Re: 提现\r\n"
        "--b1--\r\n"
    ).encode()


async def _status(http: aiohttp.ClientSession, url: str, expected: int) -> bool:
    async with http.get(url) as response:
        return response.status == expected


def _self_signed(tmp_path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1, made with `cryptography` (no network, no openssl CLI)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relaydesk-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "door.crt", tmp_path / "door.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


async def test_starttls_and_auth_for_the_upstream_mta(env, tmp_path):
    import ssl

    cert, key = _self_signed(tmp_path)
    settings = email_settings(email_smtp_tls_cert=cert, email_smtp_tls_key=key, email_smtp_auth="mx-relay:s3cret-pass")
    system = await System(env, ["email_adapter"], **settings).start()
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    message = mail("带 TLS 的邮件", "hello over TLS").as_bytes()
    try:
        with smtplib.SMTP("127.0.0.1", settings["email_smtp_port"], timeout=10) as client:
            client.ehlo()
            code, _ = client.docmd("MAIL FROM:<a@example.com>")
            assert code == 530  # STARTTLS first
        with smtplib.SMTP("127.0.0.1", settings["email_smtp_port"], timeout=10) as client:
            client.starttls(context=context)
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("mx-relay", "wrong")
        with smtplib.SMTP("127.0.0.1", settings["email_smtp_port"], timeout=10) as client:
            client.starttls(context=context)
            client.ehlo()
            code, _ = client.docmd("MAIL FROM:<a@example.com>")
            assert code == 530  # authentication required
        with smtplib.SMTP("127.0.0.1", settings["email_smtp_port"], timeout=10) as client:
            client.starttls(context=context)
            client.login("mx-relay", "s3cret-pass")
            assert client.sendmail("li.lei@example.cn", [SUPPORT], message) == {}
        conn = await env.db()
        try:
            assert await conn.fetchval("SELECT count(*) FROM email_messages") == 1
        finally:
            await conn.close()
    finally:
        system.stop()
