"""Wires the email adapter: the SMTP door, mailbox polling, the reply sender, health over HTTP."""

import asyncio
import contextlib
import logging
from functools import partial

from aiohttp import web

from contracts import OutboundMessage
from contracts.topology import EMAIL_OUTBOUND
from services.email_adapter.attachment_routes import serve
from services.email_adapter.mailbox import MailboxPoller
from services.email_adapter.outbound import Sender
from services.email_adapter.receive import SpoolingSMTP
from services.email_adapter.sender_auth import SenderCheck
from services.email_adapter.smtp import InboundDoor, door_options
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app

SERVICE = "email_adapter"
# aiosmtpd logs every peer and envelope at INFO: addresses are customer data, keep them out.
logging.getLogger("mail.log").setLevel(logging.WARNING)
SENDER = web.AppKey("email_sender", Sender)


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app.router.add_get("/attachments/{id}", serve)

    async def smtp_door(app: web.Application):
        app[SENDER] = Sender(app[BROKER], app[POOL], settings)
        checker = SenderCheck(settings.email_dns, settings.email_trust_authres)
        door = InboundDoor(app[BROKER], app[POOL], settings.email_addresses, checker)
        options = door_options(settings)
        server = await asyncio.get_running_loop().create_server(
            lambda: SpoolingSMTP(
                door, data_size_limit=settings.email_max_size, enable_SMTPUTF8=True, ident="Relaydesk", **options
            ),
            settings.host,
            settings.email_smtp_port,
        )
        poller = None
        if settings.email_imap_url:
            reader = MailboxPoller(
                door, settings.email_imap_url, settings.email_imap_interval, settings.email_imap_idle_renewal
            )
            poller = asyncio.create_task(reader.run())
        yield
        if poller:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        server.close()
        await server.wait_closed()

    app.cleanup_ctx.append(smtp_door)  # after the base lifecycle: broker and pool are up
    subscribe(SERVICE, broker, work_queue(EMAIL_OUTBOUND, settings), OutboundMessage, partial(_send, app))
    return app


async def _send(app: web.Application, message: OutboundMessage, raw) -> None:
    await app[SENDER].on_message(message, raw)
