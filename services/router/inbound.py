"""The router's inbound consumer: store each customer message once, triage it, answer or route it.

One transaction per message stores it in the customer's open conversation (created if
none), applies the intake decision (FAQ answer, closed-hours notice, queue for a person)
and writes the resulting events to the outbox; a redelivered message finds itself
already stored and changes nothing.
"""

import logging
import uuid
from functools import partial

import asyncpg
import msgspec
from faststream.rabbit import RabbitMessage

from contracts import CustomerMessageReceived, InboundMessage
from contracts.topology import agent_event_key
from services.router import store, surveys
from services.router.deps import RouterDeps
from services.router.dispatch import drain_queue, send_to_customer
from services.router.intake import Intake, decide, menu_intent, more_urgent, words_of
from services.router.policy import sticky_agent
from services.router.routing import Routing
from services.router.rules import opens_conversation, reachability
from services.router.triage import Triage
from shared.db import in_transaction
from shared.outbox import Outbox, OutboxTable, publish_events

log = logging.getLogger("relaydesk.router")
OUTBOX = OutboxTable("outbox", "router", pruned_with=(("applied_commands", "applied_at"),))


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
        await in_transaction(deps.pool, partial(_record_event, message))
        return
    routing = deps.settings.routing
    verdict = triage_message(routing, message)
    open_now = routing.triager.hours.is_open(message.received_at)
    try:
        events = await in_transaction(deps.pool, partial(_take_in, routing, message, verdict, open_now))
    except _Duplicate:
        log.info("duplicate %s message %s skipped", message.channel, message.channel_message_id)
        return
    await publish_events(deps.broker, deps.marks, events)


async def _take_in(
    routing: Routing, message: InboundMessage, verdict: Triage, open_now: bool, conn: asyncpg.Connection
):
    outbox = Outbox(OUTBOX)
    # An unverified sender (sender_warning) may be anyone: it names nobody's contact, joins no
    # verified conversation, answers no survey and gets no bot reply; its own conversation waits for a person.
    unverified = bool(message.sender_warning)
    name = await store.upsert_contact(
        conn, msgspec.structs.replace(message, customer_name="") if unverified else message
    )
    channel, address = message.channel.value, message.customer_address
    wants_person = verdict.asks_human or verdict.money_lost or verdict.angry
    conversation, created = await store.find_open_conversation(conn, channel, address, unverified), False
    if conversation is None and not unverified and (token := message.details.get("conversation_token")):
        # A reply from another address that names its conversation (an email subject token).
        conversation = await store.find_by_token(conn, channel, token)
    if conversation is None and not unverified and await surveys.answer(conn, message, verdict.language, outbox):
        return await outbox.write(conn)  # a rating for a survey, not a new request
    if conversation is None:
        intake = decide(None, verdict.self_service, wants_person, open_now, False, unverified)
        opening = await _opening(conn, routing, message, verdict, intake)
        conversation = await store.create_conversation(conn, channel, address, opening, unverified)
        created = conversation is not None
        if not created:  # another router opened one first: take theirs
            conversation = await store.find_open_conversation(conn, channel, address, unverified)
    if not created:
        intake = decide(
            conversation.status, verdict.self_service, wants_person, open_now, conversation.notice_sent, unverified
        )
    if not await store.insert_inbound(conn, message, conversation.id, verdict.suggestions):
        raise _Duplicate
    if not created:
        await _follow_up(conn, routing, conversation, verdict, intake)
    await _bot_replies(conn, routing, conversation, verdict, intake, message, outbox)
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
        outbox.add(agent_event_key(conversation.agent_id), event, conversation.agent_id)
    elif intake.needs_person:
        await drain_queue(conn, outbox, routing.policy)
    return await outbox.write(conn)


async def _opening(
    conn: asyncpg.Connection, routing: Routing, message: InboundMessage, verdict: Triage, intake: Intake
) -> store.Opening:
    previous, resolved_at = await store.previous_agent(conn, message.channel.value, message.customer_address)
    return store.Opening(
        status="queued" if intake.needs_person else "bot",
        category=verdict.category,
        priority=verdict.priority,
        language=verdict.language,
        first_response_in=routing.targets.target("first_response", verdict.priority),
        resolution_in=routing.targets.target("resolution", verdict.priority),
        preferred_agent_id=sticky_agent(previous, resolved_at, message.received_at, routing.policy),
    )


async def _follow_up(
    conn: asyncpg.Connection, routing: Routing, conversation: store.Conversation, verdict: Triage, intake: Intake
) -> None:
    """A message in an open conversation: maybe more urgent, maybe now for a person."""
    priority = more_urgent(conversation.priority, verdict.priority)
    if priority != conversation.priority or conversation.category == "other" != verdict.category:
        await store.retriage(
            conn, conversation, priority, verdict.category, routing.targets.target("first_response", priority)
        )
    if conversation.status == "bot" and intake.needs_person:
        await store.queue_for_person(conn, conversation.id, routing.targets.target("first_response", priority))


async def _bot_replies(
    conn: asyncpg.Connection,
    routing: Routing,
    conversation: store.Conversation,
    verdict: Triage,
    intake: Intake,
    message: InboundMessage,
    outbox: Outbox,
) -> None:
    """The FAQ answer and the closed-hours notice, sent on the customer's channel as the bot."""
    replies = []
    if intake.answer_from_faq and (answer := routing.answer(verdict.faq_id, verdict.language)):
        await store.mark_bot_answered(conn, conversation.id, verdict.faq_id)
        replies.append((answer, {"bot": "faq", "faq_id": verdict.faq_id}))
    if intake.closed_notice and (notice := routing.triager.closed_reply(message.received_at, verdict.language)):
        await store.mark_closed_notice(conn, conversation.id)
        replies.append((notice, {"bot": "closed_hours"}))
    for text, details in replies:
        # Derived from the customer's message id: a redelivery that got this far reuses it.
        reply_id = str(uuid.uuid5(uuid.UUID(message.message_id), details["bot"]))
        await send_to_customer(conn, conversation, reply_id, text, outbox, details=details)


async def _record_event(message: InboundMessage, conn: asyncpg.Connection) -> None:
    """A channel event that asks for nobody: keep it, and what it says about reaching the customer."""
    await store.upsert_contact(conn, message)
    if not await store.record_event(conn, message, reachability(message.details.get("event", ""))):
        log.info("duplicate %s event %s skipped", message.channel, message.channel_message_id)
