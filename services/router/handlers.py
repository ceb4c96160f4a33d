"""The router's consumers: thread inbound messages, apply agent commands, assign agents.

Each handler runs one transaction that stores the effect and its events together
(the outbox), then publishes the events. Redelivered messages and repeated commands
find their effect already stored and change nothing.
"""

import logging
from datetime import UTC, datetime
from functools import partial

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitMessage
from msgspec.structs import replace

from contracts import (
    AgentCommand,
    CommandRejected,
    ConversationAssigned,
    ConversationResolved,
    ConversationUnassigned,
    CustomerMessageReceived,
    DeliveryReported,
    DeliveryUpdated,
    InboundMessage,
    OutboundMessage,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
)
from contracts.topology import agent_event_key, outbound_key
from services.router import store
from services.router.assign import free_capacity, plan_assignments
from services.router.outbox import Outbox, PublishedMarks, publish_events
from services.router.rules import command_refusal, opens_conversation, reachability
from shared.db import in_transaction
from shared.http import BROKER, POOL

log = logging.getLogger("relaydesk.router")
PREVIEW_CHARS = 200
MARKS = web.AppKey("published_marks", PublishedMarks)


class _Duplicate(Exception):
    """Raised inside a transaction to roll back a message that is already stored."""


def _now() -> datetime:
    return datetime.now(UTC)


async def drain_queue(conn: asyncpg.Connection, outbox: Outbox, exclude: dict[str, str] | None = None) -> None:
    """Assign queued conversations while online agents have free capacity."""
    agents = await store.lock_online_agents(conn)
    if free_capacity(agents) == 0:
        return
    tickets = await store.lock_queue(conn, free_capacity(agents))
    if exclude:
        tickets = [replace(t, exclude_agent=exclude.get(t.conversation_id)) for t in tickets]
    for conversation_id, agent_id in plan_assignments(tickets, agents):
        await assign(conn, conversation_id, agent_id, "queue", outbox)


async def assign(conn: asyncpg.Connection, conversation_id: str, agent_id: str, reason: str, outbox: Outbox) -> None:
    """Give the conversation to the agent and tell them on their stream."""
    row = await store.assign(conn, conversation_id, agent_id)
    event = ConversationAssigned(
        conversation_id=conversation_id,
        agent_id=agent_id,
        occurred_at=_now(),
        channel=row["channel"],
        customer_address=row["customer_address"],
        customer_name=row["display_name"],
        priority=row["priority"],
        category=row["category"],
        reason=reason,
        preview=(row["preview"] or "")[:PREVIEW_CHARS],
    )
    outbox.add(agent_event_key(agent_id), event, agent_id)


async def on_inbound(app: web.Application, message: InboundMessage, _: RabbitMessage) -> None:
    """Store a customer message once, in the customer's open conversation, and route it."""
    if not opens_conversation(message.kind, message.details):
        await in_transaction(app[POOL], partial(_record_event, message))
        return

    async def work(conn: asyncpg.Connection):
        outbox = Outbox()
        name = await store.upsert_contact(conn, message)
        conversation = await store.open_conversation(conn, message.channel.value, message.customer_address)
        if not await store.insert_inbound(conn, message, conversation.id):
            raise _Duplicate
        if conversation.agent_id:
            event = CustomerMessageReceived(
                conversation_id=conversation.id,
                agent_id=conversation.agent_id,
                occurred_at=message.received_at,
                message_id=message.message_id,
                channel=message.channel,
                text=message.text,
                kind=message.kind.value,
                customer_name=name,
            )
            outbox.add(agent_event_key(conversation.agent_id), event, conversation.agent_id)
        else:
            await drain_queue(conn, outbox)
        return await outbox.write(conn)

    try:
        events = await in_transaction(app[POOL], work)
    except _Duplicate:
        log.info("duplicate %s message %s skipped", message.channel, message.channel_message_id)
        return
    await publish_events(app[BROKER], app[MARKS], events)


async def _record_event(message: InboundMessage, conn: asyncpg.Connection) -> None:
    """A channel event that asks for nobody: keep it, and what it says about reaching the customer."""
    await store.upsert_contact(conn, message)
    if not await store.record_event(conn, message, reachability(message.details.get("event", ""))):
        log.info("duplicate %s event %s skipped", message.channel, message.channel_message_id)


async def on_delivery(app: web.Application, report: DeliveryReported, _: RabbitMessage) -> None:
    """Record what the channel said about a reply and show it to the conversation's agent."""

    async def work(conn: asyncpg.Connection):
        outbox = Outbox()
        changed = await store.record_delivery(
            conn, report.message_id, report.status.value, report.reason, report.occurred_at
        )
        if changed and changed[1]:
            conversation_id, agent_id = changed
            event = DeliveryUpdated(
                conversation_id, agent_id, _now(), message_id=report.message_id, status=report.status.value,
                reason=report.reason,
            )
            outbox.add(agent_event_key(agent_id), event, agent_id)
        return await outbox.write(conn)

    events = await in_transaction(app[POOL], work)
    await publish_events(app[BROKER], app[MARKS], events)


async def on_command(app: web.Application, command: AgentCommand, _: RabbitMessage) -> None:
    """Apply an agent command once; a refused one tells the agent why on their stream."""

    async def work(conn: asyncpg.Connection):
        outbox = Outbox()
        if await store.claim_command(conn, command.command_id):
            await apply_command(conn, command, outbox)
        return await outbox.write(conn)

    events = await in_transaction(app[POOL], work)
    await publish_events(app[BROKER], app[MARKS], events)


async def apply_command(conn: asyncpg.Connection, command: AgentCommand, outbox: Outbox) -> None:
    match command:
        case SetAgentStatus():
            await apply_status(conn, command, outbox)
        case SendReply() | ResolveConversation() | TransferConversation():
            conversation = await store.lock_conversation(conn, command.conversation_id)
            refusal = command_refusal(
                conversation.status if conversation else None,
                conversation.agent_id if conversation else None,
                command.agent_id,
            )
            if refusal:
                reject(command, command.conversation_id, refusal, outbox)
            else:
                await apply_conversation_command(conn, command, conversation, outbox)


def reject(command: AgentCommand, conversation_id: str, reason: str, outbox: Outbox) -> None:
    log.info("command %s refused: %s", type(command).__name__, reason)
    event = CommandRejected(
        conversation_id=conversation_id,
        agent_id=command.agent_id,
        occurred_at=_now(),
        command_id=command.command_id,
        reason=reason,
    )
    outbox.add(agent_event_key(command.agent_id), event, command.agent_id)


async def apply_conversation_command(
    conn: asyncpg.Connection, command: AgentCommand, conversation: store.Conversation, outbox: Outbox
) -> None:
    match command:
        case SendReply(text=text):
            if not await store.contact_reachable(conn, conversation.channel, conversation.customer_address):
                reject(command, conversation.id, "customer_unreachable", outbox)
                return
            stored = await store.insert_reply(conn, conversation, command.command_id, command.agent_id, text)
            reply = OutboundMessage(
                message_id=command.command_id,
                conversation_id=conversation.id,
                channel=conversation.channel,
                customer_address=conversation.customer_address,
                text=text,
                seq=stored.seq,
                created_at=stored.created_at,
                agent_id=command.agent_id,
                account=stored.account,
            )
            outbox.add(outbound_key(conversation.channel), reply)
        case ResolveConversation():
            await store.resolve(conn, conversation.id)
            event = ConversationResolved(conversation.id, command.agent_id, _now())
            outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
            await drain_queue(conn, outbox)
        case TransferConversation(to_agent_id=target):
            await transfer(conn, command, conversation, target, outbox)


async def transfer(
    conn: asyncpg.Connection,
    command: TransferConversation,
    conversation: store.Conversation,
    target: str | None,
    outbox: Outbox,
) -> None:
    """Hand over to a named online agent with room, or put back in the queue for anyone else."""
    agents = {a.agent_id: a for a in await store.lock_online_agents(conn)}
    if target is not None and (target not in agents or agents[target].free == 0):
        reject(command, conversation.id, "target_agent_unavailable", outbox)
        return
    unassigned = ConversationUnassigned(conversation.id, command.agent_id, _now(), reason="transferred")
    outbox.add(agent_event_key(command.agent_id), unassigned, command.agent_id)
    await store.requeue(conn, conversation.id)
    if target is None:
        await drain_queue(conn, outbox, exclude={conversation.id: command.agent_id})
        return
    await assign(conn, conversation.id, target, "transfer", outbox)


async def apply_status(conn: asyncpg.Connection, command: SetAgentStatus, outbox: Outbox) -> None:
    """Going offline hands the agent's conversations back to the queue; any change drains it."""
    held = await store.lock_agent_conversations(conn, command.agent_id)
    previous = await store.set_agent_status(conn, command.agent_id, command.status.value)
    if previous is None:
        log.warning("status for unknown agent %s ignored", command.agent_id)
        return
    if command.status == "offline":
        for conversation_id in held:
            await store.requeue(conn, conversation_id)
            event = ConversationUnassigned(conversation_id, command.agent_id, _now(), reason="agent_offline")
            outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
    await drain_queue(conn, outbox)
