"""Wires the router: its decision files, queues, handlers, outbox and SLA sweepers, health endpoints."""

import asyncio
import contextlib
from functools import partial

from aiohttp import web

from contracts import AgentCommand, DeliveryReported, InboundMessage
from contracts.topology import ROUTER_COMMANDS, ROUTER_DELIVERY, ROUTER_INBOUND
from services.router.escalation import run_escalations
from services.router.handlers import on_command, on_delivery
from services.router.inbound import MARKS, ROUTING, on_inbound
from services.router.outbox import PublishedMarks, run_sweeper
from services.router.routing import load_routing
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app

SERVICE = "router"


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app[ROUTING] = load_routing(settings)  # a bad rules, FAQ or hours file stops the start here
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
            asyncio.create_task(run_escalations(app, settings.sla_sweep_interval)),
        ]
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await app[MARKS].flush()

    app.cleanup_ctx.append(outbox_tasks)
    return app
