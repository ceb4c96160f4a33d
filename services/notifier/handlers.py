"""The notifier's consumers: follow-ups for resolved conversations, calls for pre-approved
applications, agents' callback commands. Each runs one transaction that stores the effect and
its events (the outbox), then publishes the events; a redelivery finds its effect stored."""

import uuid
from functools import partial

from faststream.rabbit import RabbitMessage

from contracts import ApplicationPreapproved, CallbackCommand, ConversationClosed, DeliveryReported
from contracts.broadcasts import BroadcastCommand, ControlBroadcast, CreateBroadcast
from domain.callbacks import application_category, follow_up_reason, preapproval_reason
from services.notifier import broadcasts, commands, store, surveys
from services.notifier.deps import NotifierDeps
from services.notifier.store import NewTask
from services.notifier.tasks import create
from services.notifier.timing import add_business_time, follow_up_due
from shared.broker import DeadLetter
from shared.outbox import OutboxTable
from shared.uow import UnitOfWork

OUTBOX = OutboxTable("notifier_outbox", "notifier", pruned_with=(("notifier_commands", "applied_at"),))


async def on_resolved(deps: NotifierDeps, event: ConversationClosed, _: RabbitMessage) -> None:
    """A resolved conversation gets its satisfaction survey and, in a category with a rule, its
    follow-up call; each once."""
    due_at = follow_up_due(deps.settings.callbacks.rules, event.category, event.resolved_at)
    delay = deps.settings.reaching.survey_delay

    async def work(uow: UnitOfWork) -> None:
        if delay is not None:
            await surveys.plan(uow.conn, event, delay)
        if due_at is None:
            return
        found = await store.customer_at(uow.conn, event.channel.value, event.customer_address)
        await create(
            uow,
            NewTask(
                id=str(uuid.uuid4()),
                dedupe_key=f"resolved:{event.conversation_id}:{event.resolved_at.isoformat()}",
                source="rule",
                reason=follow_up_reason(event.category),
                channel=found.channel,
                customer_address=found.address,
                customer_name=found.name,
                customer_id=found.customer_id,
                conversation_id=event.conversation_id,
                category=event.category,
                language=event.language,
                preferred_agent_id=event.agent_id,
                due_at=due_at,
            ),
        )

    await deps.uow().run(work)


async def on_preapproved(deps: NotifierDeps, event: ApplicationPreapproved, _: RabbitMessage) -> None:
    """A pre-approved application gets a call due within the configured business time, once."""
    config = deps.settings.callbacks

    async def work(uow: UnitOfWork) -> None:
        conn = uow.conn
        if event.channel and event.customer_address:
            found = await store.customer_at(conn, event.channel.value, event.customer_address, event.customer_name)
        elif (found := await store.customer_by_external_id(conn, event.customer_id, event.customer_name)) is None:
            raise DeadLetter(f"no customer {event.customer_id!r} with an address to call")
        await create(
            uow,
            NewTask(
                id=str(uuid.uuid4()),
                dedupe_key=f"preapproval:{event.application_id}",
                source="preapproval",
                reason=preapproval_reason(event.application_type, event.application_id),
                channel=found.channel,
                customer_address=found.address,
                customer_name=found.name,
                customer_id=found.customer_id,
                category=application_category(event.application_type),
                application_id=event.application_id,
                application_type=event.application_type,
                details=event.details,
                due_at=add_business_time(config.hours, event.approved_at, config.preapproval_due),
            ),
        )

    await deps.uow().run(work)


async def on_command(deps: NotifierDeps, command: CallbackCommand | BroadcastCommand, _: RabbitMessage) -> None:
    async def work(uow: UnitOfWork) -> None:
        if not isinstance(command, CreateBroadcast | ControlBroadcast):
            await commands.apply(uow, command, deps.settings.callbacks)
        elif not await store.claim_command(uow.conn, command.command_id):
            return  # a redelivery: applied already
        elif isinstance(command, CreateBroadcast):
            await broadcasts.create(uow.conn, command)
        elif refusal := await broadcasts.control(uow.conn, command):
            commands.reject(uow, command, "", None, refusal)

    await deps.uow().run(work)


async def on_delivery(deps: NotifierDeps, report: DeliveryReported, _: RabbitMessage) -> None:
    """Delivery reports of broadcast messages (replies' reports are the router's)."""
    await UnitOfWork(deps.pool).run(partial(broadcasts.record_delivery, report))
