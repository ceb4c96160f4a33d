"""Wires the router: its decision files, queues, handlers, outbox and SLA sweepers, health endpoints."""

from functools import partial

from aiohttp import web

from contracts import AgentCommand, DeliveryReported, InboundMessage
from contracts.topology import ROUTER_COMMANDS, ROUTER_DELIVERY, ROUTER_INBOUND
from services.router.escalation import run_escalations
from services.router.handlers import on_command, on_delivery
from services.router.inbound import MARKS, ROUTING, on_inbound
from services.router.routing import load_routing
from services.router.uow import OUTBOX
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app, running
from shared.outbox import PublishedMarks, run_sweeper

SERVICE = "router"


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app[ROUTING] = load_routing(settings)  # a bad rules, FAQ or hours file stops the start here
    subscribe(SERVICE, broker, work_queue(ROUTER_INBOUND, settings), InboundMessage, partial(on_inbound, app))
    subscribe(SERVICE, broker, work_queue(ROUTER_COMMANDS, settings), AgentCommand, partial(on_command, app))
    subscribe(SERVICE, broker, work_queue(ROUTER_DELIVERY, settings), DeliveryReported, partial(on_delivery, app))

    async def outbox_tasks(app: web.Application):
        app[MARKS] = PublishedMarks(app[POOL], OUTBOX)
        async with running(
            run_sweeper(app[BROKER], app[POOL], OUTBOX, settings.outbox_sweep_interval, settings.outbox_retention_days),
            app[MARKS].run(),
            run_escalations(app, settings.sla_sweep_interval),
        ):
            yield
        await app[MARKS].flush()

    app.cleanup_ctx.append(outbox_tasks)
    return app
