"""The notifier's consumers: follow-ups for resolved conversations, calls for pre-approved
applications, agents' callback commands. Each runs one transaction that stores the effect and
its events (the outbox), then publishes the events; a redelivery finds its effect stored."""

import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from faststream.rabbit import RabbitMessage

from contracts import ApplicationPreapproved, CallbackCommand, ConversationClosed, DeliveryReported
from contracts.broadcasts import BroadcastCommand, ControlBroadcast, CreateBroadcast
from services.notifier import broadcasts, commands, store, surveys
from services.notifier.callbacks import application_category, follow_up_reason, preapproval_reason
from services.notifier.deps import NotifierDeps
from services.notifier.store import NewTask
from services.notifier.tasks import create
from services.notifier.timing import add_business_time, follow_up_due
from shared.broker import DeadLetter
from shared.db import in_transaction
from shared.outbox import Outbox, OutboxTable, publish_events

OUTBOX = OutboxTable("notifier_outbox", "notifier", pruned_with=(("notifier_commands", "applied_at"),))


async def with_outbox(deps: NotifierDeps, work: Callable[[asyncpg.Connection, Outbox], Awaitable[None]]) -> None:
    """Run `work` in one transaction with an outbox, then publish what it wrote."""

    async def transaction(conn: asyncpg.Connection):
        outbox = Outbox(OUTBOX)
        await work(conn, outbox)
        return await outbox.write(conn)

    events = await in_transaction(deps.pool, transaction)
    await publish_events(deps.broker, deps.marks, events)


async def on_resolved(deps: NotifierDeps, event: ConversationClosed, _: RabbitMessage) -> None:
    """A resolved conversation gets its satisfaction survey and, in a category with a rule, its
    follow-up call; each once."""
    due_at = follow_up_due(deps.settings.callbacks.rules, event.category, event.resolved_at)
    delay = deps.settings.reaching.survey_delay

    async def work(conn: asyncpg.Connection, outbox: Outbox) -> None:
        if delay is not None:
            await surveys.plan(conn, event, delay)
        if due_at is None:
            return
        found = await store.customer_at(conn, event.channel.value, event.customer_address)
        await create(
            conn,
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
            outbox,
        )

    await with_outbox(deps, work)


async def on_preapproved(deps: NotifierDeps, event: ApplicationPreapproved, _: RabbitMessage) -> None:
    """A pre-approved application gets a call due within the configured business time, once."""
    config = deps.settings.callbacks

    async def work(conn: asyncpg.Connection, outbox: Outbox) -> None:
        if event.channel and event.customer_address:
            found = await store.customer_at(conn, event.channel.value, event.customer_address, event.customer_name)
        elif (found := await store.customer_by_external_id(conn, event.customer_id, event.customer_name)) is None:
            raise DeadLetter(f"no customer {event.customer_id!r} with an address to call")
        await create(
            conn,
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
            outbox,
        )

    await with_outbox(deps, work)


async def on_command(deps: NotifierDeps, command: CallbackCommand | BroadcastCommand, _: RabbitMessage) -> None:
    async def work(conn: asyncpg.Connection, outbox: Outbox) -> None:
        if not isinstance(command, CreateBroadcast | ControlBroadcast):
            await commands.apply(conn, command, outbox, deps.settings.callbacks)
        elif not await store.claim_command(conn, command.command_id):
            return  # a redelivery: applied already
        elif isinstance(command, CreateBroadcast):
            await broadcasts.create(conn, command)
        elif refusal := await broadcasts.control(conn, command):
            commands.reject(command, "", None, refusal, outbox)

    await with_outbox(deps, work)


async def on_delivery(deps: NotifierDeps, report: DeliveryReported, _: RabbitMessage) -> None:
    """Delivery reports of broadcast messages (replies' reports are the router's)."""
    await broadcasts.record_delivery(deps.pool, report)
