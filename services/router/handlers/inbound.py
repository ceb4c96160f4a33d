"""The router's inbound consumer: store each customer message once, triage it, answer or route it.

One transaction per message stores it in the customer's open conversation (created if
none), applies the intake decision (FAQ answer, closed-hours notice, queue for a person)
and writes the resulting events to the outbox; a redelivered message finds itself
already stored and changes nothing.
"""

import logging
import uuid
from functools import partial

import msgspec
from faststream.rabbit import RabbitMessage

from contracts import CustomerMessageReceived, InboundMessage
from contracts.topology import agent_event_key
from domain.policy import sticky_agent
from domain.priority import more_urgent
from services.router.db.conversations import Conversation, Opening
from services.router.db.uow import RouterUnitOfWork
from services.router.decision_inputs import Routing
from services.router.deps import RouterDeps
from services.router.domain.conversation_rules import opens_conversation, reachability
from services.router.domain.intake import Intake, decide, menu_intent, words_of
from services.router.handlers import surveys
from services.router.handlers.dispatch import drain_queue, send_to_customer
from services.router.triage.triager import Triage

log = logging.getLogger("relaydesk.router")


class _Duplicate(Exception):
    """Raised inside a transaction to roll back a message that is already stored."""


def triage_message(routing: Routing, message: InboundMessage) -> Triage:
    """The message's triage; a menu click speaks for itself (a person, or one FAQ topic)."""
    verdict = routing.triager.triage(words_of(message.kind.value, message.text))
    asks_human, faq_id = menu_intent(message.details)
    if faq_id and faq_id in routing.answers:
        return Triage(verdict.category, verdict.priority, verdict.language, faq_id, 1.0, True)
    if asks_human:
        return Triage(verdict.category, verdict.priority, verdict.language, None, 0.0, False, asks_human=True)
    return verdict


async def on_inbound(deps: RouterDeps, message: InboundMessage, _: RabbitMessage) -> None:
    if not opens_conversation(message.kind, message.details):
        await deps.uow().run(partial(_record_event, message))
        return
    routing = deps.settings.routing
    verdict = triage_message(routing, message)
    open_now = routing.triager.hours.is_open(message.received_at)
    try:
        await deps.uow().run(partial(_take_in, routing, message, verdict, open_now))
    except _Duplicate:
        log.info("duplicate %s message %s skipped", message.channel, message.channel_message_id)


async def _take_in(
    routing: Routing, message: InboundMessage, verdict: Triage, open_now: bool, uow: RouterUnitOfWork
) -> None:
    """Store the message in the customer's open conversation (opened if none) and act on its triage;
    raises _Duplicate (rolling back) when it is stored already."""
    conversations = uow.conversations
    # An unverified sender (sender_warning) may be anyone: it names nobody's contact, joins no
    # verified conversation, answers no survey and gets no bot reply; its own conversation waits for a person.
    unverified = bool(message.sender_warning)
    name = await conversations.upsert_contact(
        msgspec.structs.replace(message, customer_name="") if unverified else message
    )
    channel, address = message.channel.value, message.customer_address
    wants_person = verdict.asks_human or verdict.money_lost or verdict.angry
    conversation, created = await conversations.find_open_conversation(channel, address, unverified), False
    if conversation is None and not unverified and (token := message.details.get("conversation_token")):
        # A reply from another address that names its conversation (an email subject token).
        conversation = await conversations.find_by_token(channel, token)
    if conversation is None and not unverified and await surveys.answer(uow, message, verdict.language):
        return  # a rating for a survey, not a new request
    if conversation is None:
        intake = decide(None, verdict.self_service, wants_person, open_now, False, unverified)
        opening = await _opening(uow, routing, message, verdict, intake)
        conversation = await conversations.create_conversation(channel, address, opening, unverified)
        created = conversation is not None
        if not created:  # another router opened one first: take theirs
            conversation = await conversations.find_open_conversation(channel, address, unverified)
    if not created:
        intake = decide(
            conversation.status, verdict.self_service, wants_person, open_now, conversation.notice_sent, unverified
        )
    if not await conversations.insert_inbound(message, conversation.id, verdict.suggestions):
        raise _Duplicate
    if not created:
        await _follow_up(uow, routing, conversation, verdict, intake)
    await _bot_replies(uow, routing, conversation, verdict, intake, message)
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
            sender_warning=message.sender_warning,
            faq_suggestions=verdict.suggestions,
        )
        uow.outbox.add(agent_event_key(conversation.agent_id), event, conversation.agent_id)
    elif intake.needs_person:
        await drain_queue(uow, routing.policy)


async def _opening(
    uow: RouterUnitOfWork, routing: Routing, message: InboundMessage, verdict: Triage, intake: Intake
) -> Opening:
    previous, resolved_at = await uow.conversations.previous_agent(message.channel.value, message.customer_address)
    return Opening(
        status="queued" if intake.needs_person else "bot",
        category=verdict.category,
        priority=verdict.priority,
        language=verdict.language,
        first_response_in=routing.targets.target("first_response", verdict.priority),
        resolution_in=routing.targets.target("resolution", verdict.priority),
        preferred_agent_id=sticky_agent(previous, resolved_at, message.received_at, routing.policy),
    )


async def _follow_up(
    uow: RouterUnitOfWork, routing: Routing, conversation: Conversation, verdict: Triage, intake: Intake
) -> None:
    """A message in an open conversation: maybe more urgent, maybe now for a person."""
    priority = more_urgent(conversation.priority, verdict.priority)
    if priority != conversation.priority or conversation.category == "other" != verdict.category:
        await uow.conversations.retriage(
            conversation, priority, verdict.category, routing.targets.target("first_response", priority)
        )
    if conversation.status == "bot" and intake.needs_person:
        await uow.conversations.queue_for_person(conversation.id, routing.targets.target("first_response", priority))


async def _bot_replies(
    uow: RouterUnitOfWork,
    routing: Routing,
    conversation: Conversation,
    verdict: Triage,
    intake: Intake,
    message: InboundMessage,
) -> None:
    """The FAQ answer and the closed-hours notice, sent on the customer's channel as the bot."""
    replies = []
    if intake.answer_from_faq and (answer := routing.answer(verdict.faq_id, verdict.language)):
        await uow.conversations.mark_bot_answered(conversation.id, verdict.faq_id)
        replies.append((answer, {"bot": "faq", "faq_id": verdict.faq_id}))
    if intake.closed_notice and (notice := routing.triager.closed_reply(message.received_at, verdict.language)):
        await uow.conversations.mark_closed_notice(conversation.id)
        replies.append((notice, {"bot": "closed_hours"}))
    for text, details in replies:
        # Derived from the customer's message id: a redelivery that got this far reuses it.
        reply_id = str(uuid.uuid5(uuid.UUID(message.message_id), details["bot"]))
        await send_to_customer(uow, conversation, reply_id, text, details=details)


async def _record_event(message: InboundMessage, uow: RouterUnitOfWork) -> None:
    """A channel event that asks for nobody: keep it, and what it says about reaching the customer."""
    await uow.conversations.upsert_contact(message)
    if not await uow.conversations.record_event(message, reachability(message.details.get("event", ""))):
        log.info("duplicate %s event %s skipped", message.channel, message.channel_message_id)
