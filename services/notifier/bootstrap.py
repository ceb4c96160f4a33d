"""Wires the notifier: settings, its queues and consumers, the scheduler, the outbox, broadcast
planning and sending, and the customer pages (survey, unsubscribe)."""

from functools import partial

from aiohttp import web

from contracts import ApplicationPreapproved, CallbackCommand, ConversationClosed, DeliveryReported
from contracts.broadcasts import PUSH_CHANNELS, BroadcastCommand
from contracts.topology import NOTIFIER_APPLICATIONS, NOTIFIER_COMMANDS, NOTIFIER_DELIVERY, NOTIFIER_RESOLUTIONS
from services.notifier import broadcasts, fanout, surveys, tasks, unsubscribe
from services.notifier.config import load_broadcast_config, load_callback_config
from services.notifier.handlers import (
    CONFIG,
    MARKS,
    OUTBOX,
    SURVEY_DELAY,
    on_command,
    on_delivery,
    on_preapproved,
    on_resolved,
)
from services.notifier.scheduler import Scheduler
from services.notifier.sender import Sender
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app, running
from shared.outbox import PublishedMarks, Publisher, run_sweeper

SERVICE = "notifier"


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app[CONFIG] = config = load_callback_config(settings)  # a bad setting stops the start here
    reaching = load_broadcast_config(settings)
    app[SURVEY_DELAY] = reaching.survey_delay
    subscribe(
        SERVICE, broker, work_queue(NOTIFIER_RESOLUTIONS, settings), ConversationClosed, partial(on_resolved, app)
    )
    subscribe(
        SERVICE,
        broker,
        work_queue(NOTIFIER_APPLICATIONS, settings),
        ApplicationPreapproved,
        partial(on_preapproved, app),
    )
    subscribe(
        SERVICE,
        broker,
        work_queue(NOTIFIER_COMMANDS, settings),
        CallbackCommand | BroadcastCommand,
        partial(on_command, app),
    )
    subscribe(SERVICE, broker, work_queue(NOTIFIER_DELIVERY, settings), DeliveryReported, partial(on_delivery, app))
    surveys.register(app)
    unsubscribe.register(app)
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

    async def background(app: web.Application):
        app[MARKS] = PublishedMarks(app[POOL], OUTBOX)
        scheduler = Scheduler(app[POOL], Publisher(app[BROKER], app[MARKS]), jobs)
        sender = Sender(app[POOL], app[BROKER], reaching.quiet, reaching.rates, settings.notifier_public_url)
        async with running(
            run_sweeper(app[BROKER], app[POOL], OUTBOX, settings.outbox_sweep_interval, settings.outbox_retention_days),
            app[MARKS].run(),
            scheduler.run(settings.scheduler_interval, settings.outbox_retention_days),
            fanout.run(app[POOL], reaching.quiet, settings.scheduler_interval),
            *(sender.run_channel(channel) for channel in PUSH_CHANNELS),
        ):
            yield
        await app[MARKS].flush()

    app.cleanup_ctx.append(background)
    return app
