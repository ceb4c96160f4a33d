"""Wires the SMS adapter: the configured provider, its webhooks and the outbound consumer."""

from functools import partial

from aiohttp import web

from contracts import OutboundMessage
from contracts.topology import SMS_OUTBOUND
from services.sms_adapter.outbound import Sender
from services.sms_adapter.providers import Generic, Provider, Twilio
from services.sms_adapter.webhooks import PROVIDER, STATUS_PATH, receive, status
from shared.broker import make_broker, subscribe, work_queue
from shared.config import ConfigError, Settings
from shared.http import BROKER, POOL, base_app

SERVICE = "sms_adapter"
SENDER = web.AppKey("sms_sender", Sender)
MAX_WEBHOOK_BYTES = 64 * 1024


def provider(settings: Settings) -> Provider:
    if settings.sms_provider == "generic":
        return Generic(settings.sms_webhook_secret, settings.sms_api_base)
    return Twilio(settings.sms_account_sid, settings.sms_auth_token, settings.sms_api_base)


def build(settings: Settings) -> web.Application:
    if settings.sms_provider == "generic" and len(settings.sms_webhook_secret) < 16:
        raise ConfigError("RELAYDESK_SMS_WEBHOOK_SECRET must be set (at least 16 characters) for the generic provider")
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True, max_body=MAX_WEBHOOK_BYTES)
    app[PROVIDER] = provider(settings)
    app.router.add_post("/sms/inbound", receive)
    app.router.add_post(STATUS_PATH, status)

    async def sender(app: web.Application):
        app[SENDER] = Sender(app[BROKER], app[POOL], app[PROVIDER], settings)
        yield

    async def close_sender(app: web.Application) -> None:
        await app[SENDER].close()

    app.cleanup_ctx.append(sender)  # after the base lifecycle: the pool exists
    app.on_cleanup.append(close_sender)  # after every context's clean-up: the consumer has stopped
    subscribe(SERVICE, broker, work_queue(SMS_OUTBOUND, settings), OutboundMessage, partial(_send, app))
    return app


async def _send(app: web.Application, message: OutboundMessage, raw) -> None:
    await app[SENDER].on_message(message, raw)
