"""Wires the SMS adapter: the configured provider, its webhooks and the outbound consumer."""

from functools import partial

from aiohttp import web

from contracts import OutboundMessage
from contracts.topology import SMS_OUTBOUND
from services.sms_adapter.deps import SmsDeps
from services.sms_adapter.outbound import Sender
from services.sms_adapter.providers import Generic, Provider, Twilio
from services.sms_adapter.settings import SmsSettings, settings_slice
from services.sms_adapter.webhooks import STATUS_PATH, receive, status
from shared.broker import make_broker, subscribe, work_queue
from shared.deps import send_outbound
from shared.http import base_app

SERVICE = "sms_adapter"
MAX_WEBHOOK_BYTES = 64 * 1024
__all__ = ["build", "settings_slice"]


def provider(settings: SmsSettings) -> Provider:
    if settings.sms_provider == "generic":
        return Generic(settings.sms_webhook_secret, settings.sms_api_base)
    return Twilio(settings.sms_account_sid, settings.sms_auth_token, settings.sms_api_base)


def build(settings: SmsSettings) -> web.Application:
    deps = SmsDeps(service=SERVICE, settings=settings, broker=make_broker(settings), provider=provider(settings))
    app = base_app(deps, database=True, max_body=MAX_WEBHOOK_BYTES)
    app.router.add_post("/sms/inbound", receive)
    app.router.add_post(STATUS_PATH, status)

    async def sender(_: web.Application):
        deps.sender = Sender(deps.broker, deps.pool, deps.provider, settings)
        yield

    async def close_sender(_: web.Application) -> None:
        await deps.sender.close()

    app.cleanup_ctx.append(sender)  # after the base lifecycle: the pool exists
    app.on_cleanup.append(close_sender)  # after every context's clean-up: the consumer has stopped
    subscribe(SERVICE, deps.broker, work_queue(SMS_OUTBOUND, settings), OutboundMessage, partial(send_outbound, deps))
    return app
