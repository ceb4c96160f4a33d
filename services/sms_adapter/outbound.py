"""Consumes `outbound.sms`: replies and notices to the provider, once each, never to an opted-out number.

Each message's cost (encoding, segments) is recorded with the provider's id, so status
callbacks find it and cost reports can sum it. Transient provider errors (429, 5xx,
network) back off and retry; permanent ones are dead-lettered with the provider's reason.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime

import aiohttp
import asyncpg
from faststream.rabbit import RabbitBroker, RabbitMessage

from contracts import Channel, DeliveryReported, DeliveryStatus, OutboundMessage
from contracts.topology import delivery_key
from domain.phone import InvalidNumber, e164
from domain.sms import segments
from services.sms_adapter.normalize import CONSENT_PURPOSE
from services.sms_adapter.providers import Provider, SendFailed
from services.sms_adapter.settings import SmsSettings
from shared.broker import DeadLetter, publish
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.sms")
RETRY_DELAYS = (0.5, 1.0, 2.0)
TIMEOUT = aiohttp.ClientTimeout(total=15)


class Sender:
    def __init__(
        self,
        broker: RabbitBroker,
        pool: asyncpg.Pool,
        provider: Provider,
        settings: SmsSettings,
        delays: tuple[float, ...] = RETRY_DELAYS,
    ):
        self.broker, self.pool, self.provider, self.delays = broker, pool, provider, delays
        self.sender, self.region = settings.sms_sender, settings.sms_default_region
        base = settings.sms_public_url.rstrip("/")
        self.callback_url = f"{base}/sms/status" if base else ""
        self.session = aiohttp.ClientSession(timeout=TIMEOUT)

    async def close(self) -> None:
        await self.session.close()

    async def on_message(self, message: OutboundMessage, _: RabbitMessage) -> None:
        try:
            to = e164(message.customer_address, self.region)
        except InvalidNumber as exc:
            await self._report(message, DeliveryStatus.FAILED, "invalid_number", str(exc))
            raise DeadLetter(str(exc)) from None
        # Serialized per message: a duplicate delivery waits here, then finds it sent.
        async with UnitOfWork(self.pool, lock=f"sms:{message.message_id}") as uow:
            conn = uow.conn
            if await conn.fetchval("SELECT true FROM sms_sends WHERE message_id = $1", message.message_id):
                await self._report(message, DeliveryStatus.SENT)  # sent before; only the ack was lost
                return
            if message.purpose != CONSENT_PURPOSE and await self._opted_out(conn, to):
                await self._report(message, DeliveryStatus.FAILED, "opted_out")
                return
            try:
                provider_id = await self._send(to, message.text)
            except SendFailed as exc:
                await self._report(message, DeliveryStatus.FAILED, "provider_refused", exc.reason)
                raise DeadLetter(f"provider refused: {exc.reason}") from None
            cost = segments(message.text)
            await conn.execute(
                "INSERT INTO sms_sends (message_id, conversation_id, provider, provider_id, to_number, encoding,"
                " segments, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent')",
                message.message_id,
                message.conversation_id,
                self.provider.name,
                provider_id,
                to,
                cost.encoding,
                cost.count,
            )
        await self._report(message, DeliveryStatus.SENT)

    @staticmethod
    async def _opted_out(conn: asyncpg.Connection, number: str) -> bool:
        reachable = await conn.fetchval("SELECT reachable FROM contacts WHERE channel = 'sms' AND address = $1", number)
        return reachable is False

    async def _send(self, to: str, text: str) -> str:
        """The provider's id for the message; transient failures back off, then go to redelivery."""
        for delay in (*self.delays, None):
            request = self.provider.send_request(to, self.sender, text, self.callback_url, time.time())
            try:
                async with self.session.post(request.url, data=request.body, headers=request.headers) as response:
                    return self.provider.sent(response.status, await response.read())
            except SendFailed as exc:
                if exc.permanent:
                    raise
                if delay is None:  # still busy: the broker redelivers after its own back-off
                    raise ConnectionError(f"SMS provider busy: {exc.reason}") from None
                log.info("provider busy (%s); retrying in %ss", exc.reason, delay)
            except (aiohttp.ClientError, TimeoutError) as exc:
                if delay is None:
                    raise ConnectionError(f"SMS provider unreachable: {type(exc).__name__}") from None
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _report(self, message: OutboundMessage, status: DeliveryStatus, reason: str = "", detail: str = ""):
        report = DeliveryReported(
            message_id=message.message_id,
            channel=Channel.SMS,
            status=status,
            occurred_at=datetime.now(UTC),
            conversation_id=message.conversation_id,
            reason=reason,
            detail=detail[:500],
        )
        await publish(self.broker, report, delivery_key(Channel.SMS), message_id=f"{message.message_id}:{status}")
