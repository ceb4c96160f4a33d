"""Putting conversations in agents' hands: drain the queue, assign, hand back (router edge)."""

import re
from datetime import UTC, datetime, timedelta

import asyncpg
from msgspec.structs import replace

from contracts import Attachment, ConversationAssigned, ConversationOffered, ConversationUnassigned, OutboundMessage
from contracts.topology import agent_event_key, outbound_key
from domain.assignment import free_capacity, next_offer, plan_assignments, queue_order, target_team
from domain.policy import Policy, staffed_policy, uses_offers
from services.router import staffing, store
from shared.outbox import Outbox

PREVIEW_CHARS = 200
_CUT_NUMBER = re.compile(r"[\d\s-]+$")


def preview(text: str) -> str:
    """The start of the customer's latest words. A cut never ends inside a number: a card or ID
    cut in half no longer looks like one, so the agent API's masking would let its digits show."""
    if len(text) <= PREVIEW_CHARS:
        return text
    return _CUT_NUMBER.sub("", text[:PREVIEW_CHARS]) + "…"


def now() -> datetime:
    return datetime.now(UTC)


async def drain_queue(
    conn: asyncpg.Connection, outbox: Outbox, policy: Policy, exclude: dict[str, str] | None = None
) -> None:
    """Assign (or, for teams in offer mode, offer) queued conversations while online agents have
    free capacity they are eligible for."""
    agents = await staffing.lock_online_agents(conn)
    if free_capacity(agents) == 0:
        return
    tickets, declined = await staffing.lock_queue(conn, free_capacity(agents))
    if exclude:
        tickets = [replace(t, exclude_agent=exclude.get(t.conversation_id)) for t in tickets]
    policy = staffed_policy(policy, await staffing.team_has_members(conn, policy.complaint_team))
    offered = [t for t in tickets if uses_offers(target_team(t, policy), policy)]
    direct = [t for t in tickets if not uses_offers(target_team(t, policy), policy)]
    slots = {agent.agent_id: agent for agent in agents}
    for conversation_id, agent_id in plan_assignments(direct, agents, now(), policy):
        await assign(conn, conversation_id, agent_id, "queue", outbox)
        slots[agent_id] = replace(slots[agent_id], load=slots[agent_id].load + 1, idle_since=now())
    for ticket in sorted(offered, key=queue_order):
        passed = declined.get(ticket.conversation_id, frozenset())
        if agent_id := next_offer(ticket, list(slots.values()), passed, now(), policy):
            await offer(conn, ticket.conversation_id, agent_id, policy, outbox)
            slots[agent_id] = replace(slots[agent_id], load=slots[agent_id].load + 1, idle_since=now())


def _shown(row) -> dict:
    """What an assignment or an offer shows the agent about the conversation."""
    return {
        "channel": row["channel"],
        "customer_address": row["customer_address"],
        "customer_name": row["display_name"],
        "priority": row["priority"],
        "category": row["category"],
        "preview": preview(row["preview"] or ""),
        "note": row["note"] or "",
        "sender_warning": row["sender_warning"] or "",
    }


async def offer(conn: asyncpg.Connection, conversation_id: str, agent_id: str, policy: Policy, outbox: Outbox) -> None:
    """Offer the conversation to the agent, who has `offer_timeout_s` to accept it."""
    row = await staffing.offer(conn, conversation_id, agent_id)
    expires_at = now() + timedelta(seconds=policy.offer_timeout_s)
    event = ConversationOffered(conversation_id, agent_id, now(), expires_at=expires_at, **_shown(row))
    outbox.add(agent_event_key(agent_id), event, agent_id)


async def pass_on(conn: asyncpg.Connection, conversation_id: str, agent_id: str, reason: str, outbox: Outbox) -> None:
    """The offer leaves this agent (declined or expired); the next drain offers it onward."""
    await staffing.withdraw_offer(conn, conversation_id)
    outbox.add(
        agent_event_key(agent_id), ConversationUnassigned(conversation_id, agent_id, now(), reason=reason), agent_id
    )


async def assign(conn: asyncpg.Connection, conversation_id: str, agent_id: str, reason: str, outbox: Outbox) -> None:
    """Give the conversation to the agent and tell them on their stream."""
    row = await staffing.assign(conn, conversation_id, agent_id)
    event = ConversationAssigned(conversation_id, agent_id, now(), reason=reason, **_shown(row))
    outbox.add(agent_event_key(agent_id), event, agent_id)


async def send_to_customer(
    conn: asyncpg.Connection,
    conversation: store.Conversation,
    message_id: str,
    text: str,
    outbox: Outbox,
    agent_id: str | None = None,
    details: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
    purpose: str = "",
) -> None:
    """Store a reply (an agent's, or the bot's when `agent_id` is None) and send it on the customer's channel."""
    stored = await store.insert_reply(conn, conversation, message_id, agent_id, text, details, attachments)
    reply = OutboundMessage(
        message_id=message_id,
        conversation_id=conversation.id,
        channel=conversation.channel,
        customer_address=conversation.customer_address,
        text=text,
        seq=stored.seq,
        created_at=stored.created_at,
        agent_id=agent_id,
        attachments=attachments,
        account=stored.account,
        purpose=purpose,
    )
    outbox.add(outbound_key(conversation.channel), reply)


async def hand_back(
    conn: asyncpg.Connection, conversation_id: str, agent_id: str, reason: str, outbox: Outbox, team: str | None = None
) -> None:
    """Take the conversation from the agent, back into the queue, and tell them why."""
    await staffing.requeue(conn, conversation_id, team)
    outbox.add(
        agent_event_key(agent_id), ConversationUnassigned(conversation_id, agent_id, now(), reason=reason), agent_id
    )
