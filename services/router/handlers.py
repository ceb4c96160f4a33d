"""The router's command and delivery consumers: apply agent commands, record delivery reports.

Each handler runs one transaction that stores the effect and its events together (the
outbox), then publishes the events. Repeated commands find their effect already stored
and change nothing.
"""

import logging

import asyncpg
from faststream.rabbit import RabbitMessage

from contracts import (
    AcceptOffer,
    AgentCommand,
    CommandRejected,
    ConversationClosed,
    ConversationResolved,
    DeclineOffer,
    DeliveryReported,
    DeliveryUpdated,
    RecordSurveyAnswer,
    ReopenConversation,
    ReportStreams,
    ResolveConversation,
    SendReply,
    SendSurvey,
    SetAgentStatus,
    SetContactConsent,
    TransferConversation,
)
from contracts.topology import CONVERSATION_RESOLVED_KEY, agent_event_key
from services.router import aftercare, presence, staffing, store, surveys
from services.router.deps import RouterDeps
from services.router.dispatch import assign, drain_queue, hand_back, now, pass_on, send_to_customer
from services.router.inbound import OUTBOX
from services.router.policy import Policy
from services.router.routing import Routing
from services.router.rules import command_refusal
from shared.db import in_transaction
from shared.outbox import Outbox, publish_events

log = logging.getLogger("relaydesk.router")


async def on_delivery(deps: RouterDeps, report: DeliveryReported, _: RabbitMessage) -> None:
    """Record what the channel said about a reply and show it to the conversation's agent."""

    async def work(conn: asyncpg.Connection):
        outbox = Outbox(OUTBOX)
        changed = await store.record_delivery(
            conn, report.message_id, report.status.value, report.reason, report.occurred_at
        )
        if changed and changed[1]:
            conversation_id, agent_id = changed
            event = DeliveryUpdated(
                conversation_id,
                agent_id,
                now(),
                message_id=report.message_id,
                status=report.status.value,
                reason=report.reason,
            )
            outbox.add(agent_event_key(agent_id), event, agent_id)
        return await outbox.write(conn)

    events = await in_transaction(deps.pool, work)
    await publish_events(deps.broker, deps.marks, events)


async def on_command(deps: RouterDeps, command: AgentCommand, _: RabbitMessage) -> None:
    """Apply an agent command once; a refused one tells the agent why on their stream."""

    async def work(conn: asyncpg.Connection):
        outbox = Outbox(OUTBOX)
        # A stream report is absolute and ordered by its seq: applying it twice changes nothing.
        if isinstance(command, ReportStreams) or await store.claim_command(conn, command.command_id):
            await apply_command(conn, command, outbox, deps.settings.routing)
        return await outbox.write(conn)

    events = await in_transaction(deps.pool, work)
    await publish_events(deps.broker, deps.marks, events)


async def apply_command(conn: asyncpg.Connection, command: AgentCommand, outbox: Outbox, routing: Routing) -> None:
    policy = routing.policy
    match command:
        case SetAgentStatus():
            await apply_status(conn, command, outbox, policy)
        case ReportStreams():
            await presence.apply_report(conn, command, outbox, policy)
        case AcceptOffer() | DeclineOffer():
            await answer_offer(conn, command, outbox, policy)
        case ReopenConversation():
            if refusal := await aftercare.reopen(conn, command, routing.targets):
                reject(command, command.conversation_id, refusal, outbox)
            else:
                await drain_queue(conn, outbox, policy)
        case SendSurvey():
            await surveys.send(conn, command, outbox)
        case RecordSurveyAnswer():
            await surveys.record_answer(conn, command)
        case SetContactConsent():
            if not await aftercare.record_consent(conn, command) and command.agent_id:  # "" = the notifier
                reject(command, "", "contact_not_found", outbox)
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
                await apply_conversation_command(conn, command, conversation, outbox, policy)


def reject(command: AgentCommand, conversation_id: str, reason: str, outbox: Outbox) -> None:
    log.info("command %s refused: %s", type(command).__name__, reason)
    event = CommandRejected(
        conversation_id=conversation_id,
        agent_id=command.agent_id,
        occurred_at=now(),
        command_id=command.command_id,
        reason=reason,
    )
    outbox.add(agent_event_key(command.agent_id), event, command.agent_id)


async def apply_conversation_command(
    conn: asyncpg.Connection, command: AgentCommand, conversation: store.Conversation, outbox: Outbox, policy: Policy
) -> None:
    match command:
        case SendReply(text=text, attachments=attachments):
            if not await store.contact_reachable(conn, conversation.channel, conversation.customer_address):
                reject(command, conversation.id, "customer_unreachable", outbox)
                return
            await send_to_customer(
                conn, conversation, command.command_id, text, outbox, command.agent_id, attachments=attachments
            )
        case ResolveConversation():
            resolved_at = await store.resolve(conn, conversation.id)
            event = ConversationResolved(conversation.id, command.agent_id, now())
            outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
            closed = ConversationClosed(  # for the notifier: follow-up calls and surveys start here
                conversation_id=conversation.id,
                channel=conversation.channel,
                customer_address=conversation.customer_address,
                resolved_at=resolved_at,
                category=conversation.category,
                language=conversation.language,
                agent_id=command.agent_id,
            )
            outbox.add(CONVERSATION_RESOLVED_KEY, closed)
            await drain_queue(conn, outbox, policy)
        case TransferConversation():
            await transfer(conn, command, conversation, outbox, policy)


async def transfer(
    conn: asyncpg.Connection,
    command: TransferConversation,
    conversation: store.Conversation,
    outbox: Outbox,
    policy: Policy,
) -> None:
    """Hand over to a named online agent with room, to a team's queue, or back to anyone else."""
    target, team = command.to_agent_id, command.to_team
    if target is not None:
        agents = {a.agent_id: a for a in await staffing.lock_online_agents(conn)}
        if target not in agents or agents[target].free == 0:
            reject(command, conversation.id, "target_agent_unavailable", outbox)
            return
    elif team is not None and not await staffing.team_has_members(conn, team):
        reject(command, conversation.id, "unknown_team", outbox)
        return
    await staffing.leave_transfer_note(conn, conversation.id, command.note)
    await hand_back(conn, conversation.id, command.agent_id, "transferred", outbox, team)
    if target is None:
        await drain_queue(conn, outbox, policy, exclude={conversation.id: command.agent_id})
        return
    await assign(conn, conversation.id, target, "transfer", outbox)


async def answer_offer(
    conn: asyncpg.Connection, command: AcceptOffer | DeclineOffer, outbox: Outbox, policy: Policy
) -> None:
    """Accept: the conversation is the agent's. Decline: it is offered to the next agent."""
    conversation = await store.lock_conversation(conn, command.conversation_id)
    if conversation is None or conversation.offered_to != command.agent_id:
        reject(command, command.conversation_id, "not_offered_to_you", outbox)
    elif isinstance(command, AcceptOffer):
        await assign(conn, conversation.id, command.agent_id, "offer_accepted", outbox)
    else:
        await pass_on(conn, conversation.id, command.agent_id, "offer_declined", outbox)
        await drain_queue(conn, outbox, policy)


async def apply_status(conn: asyncpg.Connection, command: SetAgentStatus, outbox: Outbox, policy: Policy) -> None:
    """Going offline hands the agent's conversations back, at once or after the grace period
    (the SLA sweeper does it then, so a dropped connection does not cost the customer their
    agent); any change drains the queue."""
    held = await staffing.lock_agent_conversations(conn, command.agent_id)
    previous = await staffing.set_agent_status(conn, command.agent_id, command.status.value)
    if previous is None:
        log.warning("status for unknown agent %s ignored", command.agent_id)
        return
    await presence.record_choice(conn, command.agent_id, command.issued_at)
    if command.status == "offline" and policy.offline_grace_s == 0:
        for conversation_id in held:
            await hand_back(conn, conversation_id, command.agent_id, "agent_offline", outbox)
    await drain_queue(conn, outbox, policy)
