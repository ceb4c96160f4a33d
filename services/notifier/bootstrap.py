"""Wires the notifier: callback settings, its queues and consumers, the scheduler, the outbox."""

from functools import partial

from aiohttp import web

from contracts import ApplicationPreapproved, CallbackCommand, ConversationClosed
from contracts.topology import NOTIFIER_APPLICATIONS, NOTIFIER_COMMANDS, NOTIFIER_RESOLUTIONS
from services.notifier import tasks
from services.notifier.config import load_callback_config
from services.notifier.handlers import CONFIG, MARKS, OUTBOX, on_command, on_preapproved, on_resolved
from services.notifier.scheduler import Scheduler
from shared.broker import make_broker, subscribe, work_queue
from shared.config import Settings
from shared.http import BROKER, POOL, base_app, running
from shared.outbox import PublishedMarks, publish_events, run_sweeper

SERVICE = "notifier"


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app[CONFIG] = config = load_callback_config(settings)  # a bad setting stops the start here
    subscribe(SERVICE, broker, work_queue(NOTIFIER_RESOLUTIONS, settings), ConversationClosed,
              partial(on_resolved, app))
    subscribe(SERVICE, broker, work_queue(NOTIFIER_APPLICATIONS, settings), ApplicationPreapproved,
              partial(on_preapproved, app))
    subscribe(SERVICE, broker, work_queue(NOTIFIER_COMMANDS, settings), CallbackCommand, partial(on_command, app))
    jobs = {kind: partial(handler, config=config) for kind, handler in (
        (tasks.DUE, tasks.on_due), (tasks.ASSIGN, tasks.on_assign), (tasks.OVERDUE, tasks.on_overdue),
    )}

    async def background(app: web.Application):
        app[MARKS] = PublishedMarks(app[POOL], OUTBOX)
        scheduler = Scheduler(app[POOL], OUTBOX, jobs)
        published = partial(publish_events, app[BROKER], app[MARKS])
        async with running(
            run_sweeper(app[BROKER], app[POOL], OUTBOX, settings.outbox_sweep_interval, settings.outbox_retention_days),
            app[MARKS].run(),
            scheduler.run(published, settings.scheduler_interval, settings.outbox_retention_days),
        ):
            yield
        await app[MARKS].flush()

    app.cleanup_ctx.append(background)
    return app
