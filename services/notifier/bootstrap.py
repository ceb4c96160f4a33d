"""Wires the notifier: its queues and consumers, the scheduler, the outbox, broadcast planning and
sending, and the customer pages (survey, unsubscribe)."""

from functools import partial

from aiohttp import web

from contracts import ApplicationPreapproved, CallbackCommand, ConversationClosed, DeliveryReported
from contracts.broadcasts import PUSH_CHANNELS, BroadcastCommand
from contracts.topology import NOTIFIER_APPLICATIONS, NOTIFIER_COMMANDS, NOTIFIER_DELIVERY, NOTIFIER_RESOLUTIONS
from services.notifier import broadcasts, fanout, surveys, tasks, unsubscribe
from services.notifier.deps import NotifierDeps
from services.notifier.handlers import OUTBOX, on_command, on_delivery, on_preapproved, on_resolved
from services.notifier.scheduler import Scheduler
from services.notifier.sender import Sender
from services.notifier.settings import NotifierSettings, settings_slice
from shared.broker import make_broker, subscribe, work_queue
from shared.http import base_app, running
from shared.outbox import PublishedMarks, Publisher, run_sweeper

SERVICE = "notifier"
__all__ = ["build", "settings_slice"]


def build(settings: NotifierSettings) -> web.Application:
    deps = NotifierDeps(service=SERVICE, settings=settings, broker=make_broker(settings))
    app = base_app(deps, database=True)
    for spec, kind, handler in (
        (NOTIFIER_RESOLUTIONS, ConversationClosed, on_resolved),
        (NOTIFIER_APPLICATIONS, ApplicationPreapproved, on_preapproved),
        (NOTIFIER_COMMANDS, CallbackCommand | BroadcastCommand, on_command),
        (NOTIFIER_DELIVERY, DeliveryReported, on_delivery),
    ):
        subscribe(SERVICE, deps.broker, work_queue(spec, settings), kind, partial(handler, deps))
    surveys.register(app)
    unsubscribe.register(app)
    config, reaching = settings.callbacks, settings.reaching
    jobs = {
        kind: partial(handler, config=config)
        for kind, handler in (
            (tasks.DUE, tasks.on_due),
            (tasks.ASSIGN, tasks.on_assign),
            (tasks.OVERDUE, tasks.on_overdue),
        )
    }
    jobs[broadcasts.START] = broadcasts.on_start
    jobs[surveys.SEND] = partial(surveys.on_send, public_url=settings.notifier_public_url)

    async def background(_: web.Application):
        deps.marks = PublishedMarks(deps.pool, OUTBOX)
        scheduler = Scheduler(deps.pool, Publisher(deps.broker, deps.marks), jobs)
        sender = Sender(deps.pool, deps.broker, reaching.quiet, reaching.rates, settings.notifier_public_url)
        async with running(
            run_sweeper(deps.broker, deps.pool, OUTBOX, settings.outbox_sweep_interval, settings.outbox_retention_days),
            deps.marks.run(),
            scheduler.run(settings.scheduler_interval, settings.outbox_retention_days),
            fanout.run(deps.pool, reaching.quiet, settings.scheduler_interval),
            *(sender.run_channel(channel) for channel in PUSH_CHANNELS),
        ):
            yield
        await deps.marks.flush()

    app.cleanup_ctx.append(background)
    return app
