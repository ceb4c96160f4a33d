"""Wires the router: its queues, handlers, outbox sweeper and health endpoints."""

import asyncio
import contextlib
from functools import partial

from aiohttp import web

from contracts import AgentCommand, DeliveryReported, InboundMessage
from contracts.topology import ROUTER_COMMANDS, ROUTER_DELIVERY, ROUTER_INBOUND
from services.router.handlers import MARKS, on_command, on_delivery, on_inbound
from services.router.outbox import PublishedMarks, run_sweeper
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app

SERVICE = "router"


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    subscribe(SERVICE, broker, work_queue(ROUTER_INBOUND, settings), InboundMessage, partial(on_inbound, app))
    subscribe(SERVICE, broker, work_queue(ROUTER_COMMANDS, settings), AgentCommand, partial(on_command, app))
    subscribe(SERVICE, broker, work_queue(ROUTER_DELIVERY, settings), DeliveryReported, partial(on_delivery, app))

    async def outbox_tasks(app: web.Application):
        app[MARKS] = PublishedMarks(app[POOL])
        tasks = [
            asyncio.create_task(
                run_sweeper(app[BROKER], app[POOL], settings.outbox_sweep_interval, settings.outbox_retention_days)
            ),
            asyncio.create_task(app[MARKS].run()),
        ]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[MARKS].flush()

    app.cleanup_ctx.append(outbox_tasks)
    return app
