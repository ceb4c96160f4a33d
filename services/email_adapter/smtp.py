"""The SMTP door: mail for our support addresses in, 250 only once the broker has it.

aiosmtpd runs on the service's own event loop. Recipients outside the support addresses
get 550 (no relaying), mail over the size limit 552 (aiosmtpd's `data_size_limit`), a mail
refused by the parser its code; a broker or database that is down answers 451 so the
sending MTA retries, and a retry stores and publishes nothing twice (ids are the Message-ID).
Every mail's sender is checked (sender_auth.py): one not verified is kept and published with
a warning for the agent; DNS failing in a way that could change the verdict answers 451 too.
"""

import hmac
import logging
import ssl
from datetime import UTC, datetime
from typing import IO

import asyncpg
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from faststream.rabbit import RabbitBroker

from contracts import Channel, DeliveryReported, DeliveryStatus
from contracts.topology import delivery_key, inbound_key
from services.email_adapter.bodies import Bodies
from services.email_adapter.normalize import accepts, normalize
from services.email_adapter.parse import MailRefused, ParsedMail, parse_mail
from services.email_adapter.receive import SPOOL_MEMORY, SpooledEnvelope
from services.email_adapter.sender_auth import CheckUnavailable, Client, SenderCheck
from services.email_adapter.settings import EmailSettings
from services.email_adapter.store import store_mail
from shared.broker import publish
from shared.db import UNAVAILABLE

log = logging.getLogger("relaydesk.email")


class InboundDoor:
    """aiosmtpd handler: RCPT checks the address, DATA stores, publishes and answers."""

    def __init__(self, broker: RabbitBroker, pool: asyncpg.Pool, addresses: str, checker: SenderCheck):
        self.broker, self.pool, self.addresses, self.checker = broker, pool, addresses, checker

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options) -> str:
        if not accepts(address, self.addresses):
            return "550 5.7.1 Relaying denied: not a support address here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SpooledEnvelope) -> str:
        spool = envelope.spool
        try:
            # As the final MTA we record the envelope sender: `<>` is how bounces and auto-replies come.
            client = Client(session.peer[0] if session.peer else "", session.host_name or "", envelope.mail_from or "")
            raw = _read_back(spool) if spool.tell() <= SPOOL_MEMORY else spool
            await self.receive(raw, envelope.mail_from or "", client)
        except MailRefused as exc:
            log.warning("mail refused: %s", exc.reason)
            return exc.reply
        except CheckUnavailable as exc:
            log.warning("sender check unavailable, the sender will retry: %s", exc)
            return "451 4.7.0 Sender authentication temporarily unavailable; try again later"
        except (*UNAVAILABLE, ConnectionError) as exc:
            log.warning("mail not taken, the sender will retry: %s", type(exc).__name__)
            return "451 4.3.0 Temporarily unable to accept the message; try again later"
        return "250 2.0.0 OK: queued"

    async def receive(
        self, raw: bytes | IO[bytes], return_path: str | None = None, client: Client | None = None
    ) -> None:
        """Parse, check, keep and publish one mail; raises MailRefused for one not to be taken,
        CheckUnavailable when its sender cannot be checked now. `client` is the SMTP peer (None from a mailbox).

        `raw` is the mail, or the file it was spooled to. A mail over SPOOL_MEMORY has its base64
        bodies decoded to files of their own rather than held (bodies.py), and is stored from them.
        """
        with Bodies() as bodies:
            large = (len(raw) if isinstance(raw, bytes) else raw.seek(0, 2)) > SPOOL_MEMORY
            mail = parse_mail(raw, return_path=return_path, bodies=bodies if large else None)
            warning = ""
            if mail.dsn is None:
                # dkimpy reads a mail whole: a spooled one is read back for it (bounded by email_max_size).
                whole = raw if isinstance(raw, bytes) else _read_back(raw)
                warning = (await self.checker.verdict(whole, mail.from_address, client)).warning
            await self.take(mail, raw, warning)

    async def take(self, mail: ParsedMail, raw: bytes | IO[bytes], sender_warning: str = "") -> None:
        """Keep the original and its files, then publish the message (or the bounce it reports)."""
        attachment_ids = await store_mail(self.pool, mail, raw)
        if mail.dsn is not None:
            await self._bounce(mail)
            return
        message = normalize(mail, attachment_ids, datetime.now(UTC), sender_warning)
        await publish(self.broker, message, inbound_key(Channel.EMAIL), message_id=message.message_id)

    async def _bounce(self, mail: ParsedMail) -> None:
        """A DSN about a mail we sent: the reply it names is marked failed (nothing else happens)."""
        dsn = mail.dsn
        sent = await self.pool.fetchval(
            "SELECT message_id FROM email_sends WHERE smtp_message_id = $1", dsn.original_message_id or ""
        )
        if sent is None or dsn.action not in ("failed", ""):
            log.info("DSN (%s) for a mail we do not know or that did not fail", dsn.action)
            return
        report = DeliveryReported(
            message_id=sent,
            channel=Channel.EMAIL,
            status=DeliveryStatus.FAILED,
            occurred_at=datetime.now(UTC),
            reason="bounced",
            detail=f"{dsn.status} {dsn.diagnostic}"[:500],
        )
        await publish(self.broker, report, delivery_key(Channel.EMAIL), message_id=f"{sent}:bounced")


def _read_back(spool: IO[bytes]) -> bytes:
    spool.seek(0)
    return spool.read()


class SharedSecret:
    """aiosmtpd authenticator: the one `user:password` the upstream MTA was given."""

    def __init__(self, credentials: str):
        user, _, password = credentials.partition(":")
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and hmac.compare_digest(auth_data.login, self.user)
            and hmac.compare_digest(auth_data.password, self.password)
        )
        return AuthResult(success=ok, handled=False)


def door_options(settings: EmailSettings) -> dict:
    """aiosmtpd's TLS and AUTH options from the settings: STARTTLS required when a certificate is set."""
    options: dict = {}
    if settings.email_smtp_tls_cert and settings.email_smtp_tls_key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(settings.email_smtp_tls_cert, settings.email_smtp_tls_key)
        options |= {"tls_context": context, "require_starttls": True}
    if settings.email_smtp_auth:
        options |= {
            "authenticator": SharedSecret(settings.email_smtp_auth),
            "auth_required": True,
            "auth_require_tls": bool(options),
        }
    return options
