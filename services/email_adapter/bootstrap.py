"""Wires the email adapter: the SMTP door, mailbox polling, the reply sender, health over HTTP."""

import asyncio
import contextlib
import logging
from functools import partial

from aiohttp import web

from contracts import OutboundMessage
from contracts.topology import EMAIL_OUTBOUND
from services.email_adapter.attachment_routes import serve
from services.email_adapter.deps import EmailDeps
from services.email_adapter.mailbox import MailboxPoller
from services.email_adapter.outbound import Sender
from services.email_adapter.receive import SpoolingSMTP
from services.email_adapter.sender_auth import SenderCheck
from services.email_adapter.settings import EmailSettings, settings_slice
from services.email_adapter.smtp import InboundDoor, door_options
from shared.broker import make_broker, subscribe, work_queue
from shared.deps import send_outbound
from shared.http import base_app

SERVICE = "email_adapter"
# aiosmtpd logs every peer and envelope at INFO: addresses are customer data, keep them out.
logging.getLogger("mail.log").setLevel(logging.WARNING)
__all__ = ["build", "settings_slice"]


def build(settings: EmailSettings) -> web.Application:
    deps = EmailDeps(service=SERVICE, settings=settings, broker=make_broker(settings))
    app = base_app(deps, database=True)
    app.router.add_get("/attachments/{id}", serve)

    async def smtp_door(_: web.Application):
        deps.sender = Sender(deps.broker, deps.pool, settings)
        checker = SenderCheck(settings.email_dns, settings.email_trust_authres)
        door = InboundDoor(deps.broker, deps.pool, settings.email_addresses, checker)
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
    subscribe(SERVICE, deps.broker, work_queue(EMAIL_OUTBOUND, settings), OutboundMessage, partial(send_outbound, deps))
    return app
