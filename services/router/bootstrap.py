"""Wires the router: its decision files, queues, handlers, outbox and SLA sweepers, health endpoints."""

from functools import partial

from aiohttp import web

from contracts import AgentCommand, DeliveryReported, InboundMessage
from contracts.topology import ROUTER_COMMANDS, ROUTER_DELIVERY, ROUTER_INBOUND
from services.router.db.uow import OUTBOX
from services.router.deps import RouterDeps
from services.router.handlers.commands import on_command, on_delivery
from services.router.handlers.escalation import run_escalations
from services.router.handlers.inbound import on_inbound
from services.router.settings import RouterSettings, settings_slice
from shared.broker import make_broker, subscribe, work_queue
from shared.http import base_app, running
from shared.outbox import PublishedMarks, run_sweeper

SERVICE = "router"
__all__ = ["build", "settings_slice"]


def build(settings: RouterSettings) -> web.Application:
    deps = RouterDeps(service=SERVICE, settings=settings, broker=make_broker(settings))
    app = base_app(deps, database=True)
    for spec, kind, handler in (
        (ROUTER_INBOUND, InboundMessage, on_inbound),
        (ROUTER_COMMANDS, AgentCommand, on_command),
        (ROUTER_DELIVERY, DeliveryReported, on_delivery),
    ):
        subscribe(SERVICE, deps.broker, work_queue(spec, settings), kind, partial(handler, deps))

    async def outbox_tasks(_: web.Application):
        deps.marks = PublishedMarks(deps.pool, OUTBOX)
        async with running(
            run_sweeper(deps.broker, deps.pool, OUTBOX, settings.outbox_sweep_interval, settings.outbox_retention_days),
            deps.marks.run(),
            run_escalations(deps, settings.sla_sweep_interval),
        ):
            yield
        await deps.marks.flush()

    app.cleanup_ctx.append(outbox_tasks)
    return app
