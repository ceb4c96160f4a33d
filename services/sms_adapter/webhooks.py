"""The provider's webhooks: inbound messages and delivery status, answered after the broker confirms.

`POST /sms/inbound` and `POST /sms/status`, in the configured provider's format. A refused
webhook (signature, stale timestamp, bad number, bad payload) gets its status and reaches
nothing; a broker that does not confirm gets a 503, so the provider retries.
"""

import logging
import time
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from contracts import Channel, DeliveryReported, DeliveryStatus
from contracts.topology import delivery_key, inbound_key, outbound_key
from domain.phone import InvalidNumber, e164
from services.sms_adapter.deps import SmsDeps
from services.sms_adapter.normalize import confirmation, normalize
from services.sms_adapter.providers import InboundSms, Provider, Twilio, WebhookRefused
from shared.broker import publish
from shared.http import ApiError, json_response
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.sms")
STATUS_PATH = "/sms/status"
DELIVERY = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
}
"""Provider statuses that are news for the conversation; queued/sending only update our record."""


def public_url(request: web.Request) -> str:
    """The URL the provider called, which its signature covers: behind a proxy, the public one."""
    base = SmsDeps.of(request).settings.sms_public_url.rstrip("/")
    return f"{base}{request.path_qs}" if base else str(request.url)


async def _verified(request: web.Request):
    provider = SmsDeps.of(request).provider
    body = await request.read()
    try:
        return provider, provider.verify(public_url(request), request.headers, body, time.time())
    except WebhookRefused as exc:
        log.warning("sms webhook refused (%d): %s", exc.status, exc.reason)
        raise ApiError(exc.status, "forbidden" if exc.status == 403 else "bad_webhook", exc.reason) from None


def _accepted(provider: Provider) -> web.Response:
    if isinstance(provider, Twilio):
        return web.Response(text="<Response/>", content_type="text/xml")  # empty TwiML: no auto-reply
    return json_response({"status": "accepted"})


async def receive(request: web.Request) -> web.Response:
    provider, payload = await _verified(request)
    try:
        sms = provider.inbound(payload)
        sender = e164(sms.sender, SmsDeps.of(request).settings.sms_default_region)
    except WebhookRefused as exc:
        raise ApiError(exc.status, "bad_webhook", exc.reason) from None
    except InvalidNumber as exc:
        raise ApiError(400, "invalid_number", str(exc)) from None
    assembled = await _assemble(SmsDeps.of(request).pool, sms, sender)
    if assembled is None:
        return _accepted(provider)  # a part stored; the message goes out with its last part
    text, channel_id = assembled
    message = normalize(sms, sender, text, channel_id, datetime.now(UTC))
    broker = SmsDeps.of(request).broker
    try:
        await publish(broker, message, inbound_key(Channel.SMS), message_id=message.message_id)
        if reply := confirmation(message):
            await publish(broker, reply, outbound_key(Channel.SMS), message_id=reply.message_id)
    except Exception as exc:
        log.warning("publish failed, the provider will retry: %s", type(exc).__name__)
        raise ApiError(503, "unavailable", "message not accepted; retry") from None
    return _accepted(provider)


async def _assemble(pool: asyncpg.Pool, sms: InboundSms, sender: str) -> tuple[str, str] | None:
    """(text, channel id) once every part of a concatenated message is in; None before that."""
    if sms.part is None:
        return sms.text, sms.provider_id
    part = sms.part
    async with UnitOfWork(pool) as uow:
        conn = uow.conn
        await conn.execute(
            "INSERT INTO sms_parts (sender, ref, part_index, total, provider_id, text) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING",
            sender,
            part.ref,
            part.index,
            part.total,
            sms.provider_id,
            sms.text,
        )
        rows = await conn.fetch(
            "SELECT text FROM sms_parts WHERE sender = $1 AND ref = $2 ORDER BY part_index", sender, part.ref
        )
    if len(rows) < part.total:
        return None
    return "".join(r["text"] for r in rows), f"{sender}:{part.ref}"


async def status(request: web.Request) -> web.Response:
    """A delivery status for a message we sent: recorded, and news for the conversation."""
    provider, payload = await _verified(request)
    try:
        update = provider.status(payload)
    except WebhookRefused as exc:
        raise ApiError(exc.status, "bad_webhook", exc.reason) from None
    row = await SmsDeps.of(request).pool.fetchrow(
        "UPDATE sms_sends SET status = $3, error = $4, updated_at = now() WHERE provider = $1 AND provider_id = $2"
        " RETURNING message_id, conversation_id",
        provider.name,
        update.provider_id,
        update.status,
        update.error,
    )
    if row is None:
        log.info("status %s for unknown provider message", update.status)
        return _accepted(provider)
    if (news := DELIVERY.get(update.status)) is not None:
        report = DeliveryReported(
            message_id=row["message_id"],
            channel=Channel.SMS,
            status=news,
            occurred_at=datetime.now(UTC),
            conversation_id=row["conversation_id"],
            reason=f"provider_error_{update.error}" if update.error else "",
        )
        try:
            await publish(
                SmsDeps.of(request).broker,
                report,
                delivery_key(Channel.SMS),
                message_id=f"{row['message_id']}:{update.status}",
            )
        except Exception:
            raise ApiError(503, "unavailable", "status not accepted; retry") from None
    return _accepted(provider)
