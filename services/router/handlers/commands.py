"""The router's command and delivery consumers: apply agent commands, record delivery reports.

Each handler runs one transaction that stores the effect and its events together (the
outbox), then publishes the events. Repeated commands find their effect already stored
and change nothing.
"""

import logging
from functools import partial

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
from domain.policy import Policy, requeue_after_offline
from services.router.db import conversations as store
from services.router.db.uow import RouterUnitOfWork
from services.router.decision_inputs import Routing
from services.router.deps import RouterDeps
from services.router.domain.conversation_rules import command_refusal
from services.router.handlers import customer_commands, presence, surveys
from services.router.handlers.dispatch import assign, drain_queue, hand_back, pass_on, send_to_customer

log = logging.getLogger("relaydesk.router")


async def on_delivery(deps: RouterDeps, report: DeliveryReported, _: RabbitMessage) -> None:
    await deps.uow().run(partial(record_delivery, report))


async def record_delivery(report: DeliveryReported, uow: RouterUnitOfWork) -> None:
    """Record what the channel said about a reply and show it to the conversation's agent."""
    changed = await uow.conversations.record_delivery(
        report.message_id, report.status.value, report.reason, report.occurred_at
    )
    if changed and changed[1]:
        conversation_id, agent_id = changed
        event = DeliveryUpdated(
            conversation_id,
            agent_id,
            uow.now,
            message_id=report.message_id,
            status=report.status.value,
            reason=report.reason,
        )
        uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def on_command(deps: RouterDeps, command: AgentCommand, _: RabbitMessage) -> None:
    await deps.uow().run(partial(take_command, command, deps.settings.routing))


async def take_command(command: AgentCommand, routing: Routing, uow: RouterUnitOfWork) -> None:
    """Apply an agent command once; a refused one tells the agent why on their stream."""
    # A stream report is absolute and ordered by its seq: applying it twice changes nothing.
    if isinstance(command, ReportStreams) or await uow.conversations.claim_command(command.command_id):
        await apply_command(uow, command, routing)


async def apply_command(uow: RouterUnitOfWork, command: AgentCommand, routing: Routing) -> None:
    policy = routing.policy
    match command:
        case SetAgentStatus():
            await apply_status(uow, command, policy)
        case ReportStreams():
            await presence.apply_report(uow, command, policy)
        case AcceptOffer() | DeclineOffer():
            await answer_offer(uow, command, policy)
        case ReopenConversation():
            if refusal := await customer_commands.reopen(uow.conn, command, routing.targets):
                reject(uow, command, command.conversation_id, refusal)
            else:
                await drain_queue(uow, policy)
        case SendSurvey():
            await surveys.send(uow, command)
        case RecordSurveyAnswer():
            await surveys.record_answer(uow.conn, command)
        case SetContactConsent():
            if not await customer_commands.record_consent(uow.conn, command) and command.agent_id:  # "" = the notifier
                reject(uow, command, "", "contact_not_found")
        case SendReply() | ResolveConversation() | TransferConversation():
            conversation = await uow.conversations.lock_conversation(command.conversation_id)
            refusal = command_refusal(
                conversation.status if conversation else None,
                conversation.agent_id if conversation else None,
                command.agent_id,
            )
            if refusal:
                reject(uow, command, command.conversation_id, refusal)
            else:
                await apply_conversation_command(uow, command, conversation, policy)


def reject(uow: RouterUnitOfWork, command: AgentCommand, conversation_id: str, reason: str) -> None:
    log.info("command %s refused: %s", type(command).__name__, reason)
    event = CommandRejected(
        conversation_id=conversation_id,
        agent_id=command.agent_id,
        occurred_at=uow.now,
        command_id=command.command_id,
        reason=reason,
    )
    uow.outbox.add(agent_event_key(command.agent_id), event, command.agent_id)


async def apply_conversation_command(
    uow: RouterUnitOfWork, command: AgentCommand, conversation: store.Conversation, policy: Policy
) -> None:
    match command:
        case SendReply(text=text, attachments=attachments):
            if not await uow.conversations.contact_reachable(conversation.channel, conversation.customer_address):
                reject(uow, command, conversation.id, "customer_unreachable")
                return
            await send_to_customer(
                uow, conversation, command.command_id, text, command.agent_id, attachments=attachments
            )
        case ResolveConversation():
            resolved_at = await uow.conversations.resolve(conversation.id)
            event = ConversationResolved(conversation.id, command.agent_id, uow.now)
            uow.outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
            closed = ConversationClosed(  # for the notifier: follow-up calls and surveys start here
                conversation_id=conversation.id,
                channel=conversation.channel,
                customer_address=conversation.customer_address,
                resolved_at=resolved_at,
                category=conversation.category,
                language=conversation.language,
                agent_id=command.agent_id,
            )
            uow.outbox.add(CONVERSATION_RESOLVED_KEY, closed)
            await drain_queue(uow, policy)
        case TransferConversation():
            await transfer(uow, command, conversation, policy)


async def transfer(
    uow: RouterUnitOfWork, command: TransferConversation, conversation: store.Conversation, policy: Policy
) -> None:
    """Hand over to a named online agent with room, to a team's queue, or back to anyone else."""
    target, team = command.to_agent_id, command.to_team
    if target is not None:
        agents = {a.agent_id: a for a in await uow.staffing.lock_online_agents()}
        if target not in agents or agents[target].free == 0:
            reject(uow, command, conversation.id, "target_agent_unavailable")
            return
    elif team is not None and not await uow.staffing.team_has_members(team):
        reject(uow, command, conversation.id, "unknown_team")
        return
    await uow.staffing.leave_transfer_note(conversation.id, command.note)
    await hand_back(uow, conversation.id, command.agent_id, "transferred", team)
    if target is None:
        await drain_queue(uow, policy, exclude={conversation.id: command.agent_id})
        return
    await assign(uow, conversation.id, target, "transfer")


async def answer_offer(uow: RouterUnitOfWork, command: AcceptOffer | DeclineOffer, policy: Policy) -> None:
    """Accept: the conversation is the agent's. Decline: it is offered to the next agent."""
    conversation = await uow.conversations.lock_conversation(command.conversation_id)
    if conversation is None or conversation.offered_to != command.agent_id:
        reject(uow, command, command.conversation_id, "not_offered_to_you")
    elif isinstance(command, AcceptOffer):
        await assign(uow, conversation.id, command.agent_id, "offer_accepted")
    else:
        await pass_on(uow, conversation.id, command.agent_id, "offer_declined")
        await drain_queue(uow, policy)


async def apply_status(uow: RouterUnitOfWork, command: SetAgentStatus, policy: Policy) -> None:
    """Going offline hands the agent's conversations back, at once or after the grace period
    (the SLA sweeper does it then, so a dropped connection does not cost the customer their
    agent); any change drains the queue."""
    held = await uow.staffing.lock_agent_conversations(command.agent_id)
    previous = await uow.staffing.set_agent_status(command.agent_id, command.status.value)
    if previous is None:
        log.warning("status for unknown agent %s ignored", command.agent_id)
        return
    await uow.staffing.record_choice(command.agent_id, command.issued_at)
    # Offline from this instant: only a zero grace hands the conversations back now (else the sweeper does).
    if command.status == "offline" and requeue_after_offline(uow.now, uow.now, policy):
        for conversation_id in held:
            await hand_back(uow, conversation_id, command.agent_id, "agent_offline")
    await drain_queue(uow, policy)
