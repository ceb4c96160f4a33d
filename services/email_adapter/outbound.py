"""Consumes `outbound.email`: replies to a configured relay over SMTP, threaded, once each.

4xx answers and network trouble are retried by redelivery with back-off; a 5xx is final:
dead-lettered with the relay's answer, and the conversation's agent sees the failure.
"""

import contextlib
import logging
import uuid
from datetime import UTC, datetime

import aiosmtplib
import asyncpg
from faststream.rabbit import RabbitBroker, RabbitMessage

from contracts import Channel, DeliveryReported, DeliveryStatus, OutboundMessage
from contracts.messages import BROADCAST_PURPOSE
from contracts.topology import delivery_key
from services.email_adapter.compose import File, Thread, compose, compose_broadcast, smtp_message_id
from services.email_adapter.normalize import ATTACHMENT_PREFIX
from services.email_adapter.settings import EmailSettings
from shared.broker import DeadLetter, publish
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.email")
SMTP_TIMEOUT = 30.0


class Sender:
    def __init__(self, broker: RabbitBroker, pool: asyncpg.Pool, settings: EmailSettings):
        self.broker, self.pool, self.settings = broker, pool, settings

    async def on_message(self, message: OutboundMessage, _: RabbitMessage) -> None:
        # Serialized per reply: a duplicate delivery waits here, then finds it sent.
        async with UnitOfWork(self.pool, lock=f"email:{message.message_id}") as uow:
            conn = uow.conn
            if await conn.fetchval("SELECT true FROM email_sends WHERE message_id = $1", message.message_id):
                await self._report(message, DeliveryStatus.SENT)
                return
            files, links = await self._files(conn, message)
            text = "\n".join([message.text, *links])
            if message.purpose == BROADCAST_PURPOSE:
                mail = compose_broadcast(
                    self.settings.email_from,
                    message.customer_address,
                    message.subject,
                    text,
                    message.html,
                    message.message_id,
                    message.unsubscribe_url,
                )
            else:
                mail = compose(
                    self.settings.email_from,
                    message.customer_address,
                    text,
                    message.conversation_id,
                    message.message_id,
                    await self._thread(conn, message),
                    files,
                )
            await self._send(message, mail)
            await conn.execute(
                "INSERT INTO email_sends (message_id, smtp_message_id, to_address) VALUES ($1, $2, $3)",
                message.message_id,
                smtp_message_id(mail),
                message.customer_address,
            )
        await self._report(message, DeliveryStatus.SENT)

    async def _files(self, conn: asyncpg.Connection, message: OutboundMessage) -> tuple[tuple[File, ...], list[str]]:
        """Attachments we hold go along: a customer's (`email-attachment:` id) and what agents uploaded
        (the agent API's file links, read from its `files` table); anything else goes as a link."""
        files, links = [], []
        uploaded = f"{self.settings.agent_api_public_url}/files/"
        for attachment in message.attachments:
            ref, row = attachment.ref.removeprefix(ATTACHMENT_PREFIX), None
            if ref != attachment.ref:
                with contextlib.suppress(ValueError):
                    row = await conn.fetchrow(
                        "SELECT filename, content_type, data FROM email_attachments WHERE id = $1", uuid.UUID(ref)
                    )
            elif attachment.ref.startswith(uploaded):
                key = attachment.ref.removeprefix(uploaded).split("/", 1)[0]
                row = await conn.fetchrow(
                    "SELECT name AS filename, content_type, body AS data FROM files WHERE key = $1", key
                )
            if row:
                files.append(File(attachment.name or row["filename"], row["content_type"], row["data"]))
            else:
                links.append(attachment.ref)
        return tuple(files), links

    @staticmethod
    async def _thread(conn: asyncpg.Connection, message: OutboundMessage) -> Thread | None:
        row = await conn.fetchrow(
            "SELECT message_id, subject, references_ids FROM email_messages WHERE from_address = $1"
            " ORDER BY received_at DESC LIMIT 1",
            message.customer_address.lower(),
        )
        return Thread(row["message_id"], row["subject"], tuple(row["references_ids"])) if row else None

    async def _send(self, message: OutboundMessage, mail) -> None:
        settings = self.settings
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.email_relay_host,
                port=settings.email_relay_port,
                start_tls=settings.email_relay_starttls,
                username=settings.email_relay_username or None,
                password=settings.email_relay_password or None,
                timeout=SMTP_TIMEOUT,
            )
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                await self._report(message, DeliveryStatus.FAILED, "relay_refused", f"{exc.code} {exc.message}")
                raise DeadLetter(f"relay refused with {exc.code}: {exc.message}") from None
            raise ConnectionError(f"relay deferred with {exc.code}: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ConnectionError(f"relay unreachable: {type(exc).__name__}") from None

    async def _report(self, message: OutboundMessage, status: DeliveryStatus, reason: str = "", detail: str = ""):
        report = DeliveryReported(
            message_id=message.message_id,
            channel=Channel.EMAIL,
            status=status,
            occurred_at=datetime.now(UTC),
            conversation_id=message.conversation_id,
            reason=reason,
            detail=detail[:500],
        )
        await publish(self.broker, report, delivery_key(Channel.EMAIL), message_id=f"{message.message_id}:{status}")
