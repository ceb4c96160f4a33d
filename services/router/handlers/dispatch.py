"""Putting conversations in agents' hands: drain the queue, assign, hand back (router edge)."""

import re
from datetime import timedelta

from msgspec.structs import replace

from contracts import Attachment, ConversationAssigned, ConversationOffered, ConversationUnassigned, OutboundMessage
from contracts.topology import agent_event_key, outbound_key
from domain.assignment import free_capacity, next_offer, plan_assignments, queue_order, target_team
from domain.policy import Policy, staffed_policy, uses_offers
from services.router.db import conversations as store
from services.router.db.uow import RouterUnitOfWork

PREVIEW_CHARS = 200
_CUT_NUMBER = re.compile(r"[\d\s-]+$")


def preview(text: str) -> str:
    """The start of the customer's latest words. A cut never ends inside a number: a card or ID
    cut in half no longer looks like one, so the agent API's masking would let its digits show."""
    if len(text) <= PREVIEW_CHARS:
        return text
    return _CUT_NUMBER.sub("", text[:PREVIEW_CHARS]) + "…"


async def drain_queue(uow: RouterUnitOfWork, policy: Policy, exclude: dict[str, str] | None = None) -> None:
    """Assign (or, for teams in offer mode, offer) queued conversations while online agents have
    free capacity they are eligible for."""
    agents = await uow.staffing.lock_online_agents()
    if free_capacity(agents) == 0:
        return
    tickets, declined = await uow.staffing.lock_queue(free_capacity(agents))
    if exclude:
        tickets = [replace(t, exclude_agent=exclude.get(t.conversation_id)) for t in tickets]
    policy = staffed_policy(policy, await uow.staffing.team_has_members(policy.complaint_team))
    offered = [t for t in tickets if uses_offers(target_team(t, policy), policy)]
    direct = [t for t in tickets if not uses_offers(target_team(t, policy), policy)]
    slots = {agent.agent_id: agent for agent in agents}
    for conversation_id, agent_id in plan_assignments(direct, agents, uow.now, policy):
        await assign(uow, conversation_id, agent_id, "queue")
        slots[agent_id] = replace(slots[agent_id], load=slots[agent_id].load + 1, idle_since=uow.now)
    for ticket in sorted(offered, key=queue_order):
        passed = declined.get(ticket.conversation_id, frozenset())
        if agent_id := next_offer(ticket, list(slots.values()), passed, uow.now, policy):
            await offer(uow, ticket.conversation_id, agent_id, policy)
            slots[agent_id] = replace(slots[agent_id], load=slots[agent_id].load + 1, idle_since=uow.now)


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


async def offer(uow: RouterUnitOfWork, conversation_id: str, agent_id: str, policy: Policy) -> None:
    """Offer the conversation to the agent, who has `offer_timeout_s` to accept it."""
    row = await uow.staffing.offer(conversation_id, agent_id)
    expires_at = uow.now + timedelta(seconds=policy.offer_timeout_s)
    event = ConversationOffered(conversation_id, agent_id, uow.now, expires_at=expires_at, **_shown(row))
    uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def pass_on(uow: RouterUnitOfWork, conversation_id: str, agent_id: str, reason: str) -> None:
    """The offer leaves this agent (declined or expired); the next drain offers it onward."""
    await uow.staffing.withdraw_offer(conversation_id)
    uow.outbox.add(
        agent_event_key(agent_id), ConversationUnassigned(conversation_id, agent_id, uow.now, reason=reason), agent_id
    )


async def assign(uow: RouterUnitOfWork, conversation_id: str, agent_id: str, reason: str) -> None:
    """Give the conversation to the agent and tell them on their stream."""
    row = await uow.staffing.assign(conversation_id, agent_id)
    event = ConversationAssigned(conversation_id, agent_id, uow.now, reason=reason, **_shown(row))
    uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def send_to_customer(
    uow: RouterUnitOfWork,
    conversation: store.Conversation,
    message_id: str,
    text: str,
    agent_id: str | None = None,
    details: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
    purpose: str = "",
) -> None:
    """Store a reply (an agent's, or the bot's when `agent_id` is None) and send it on the customer's channel."""
    stored = await uow.conversations.insert_reply(conversation, message_id, agent_id, text, details, attachments)
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
    uow.outbox.add(outbound_key(conversation.channel), reply)


async def hand_back(
    uow: RouterUnitOfWork, conversation_id: str, agent_id: str, reason: str, team: str | None = None
) -> None:
    """Take the conversation from the agent, back into the queue, and tell them why."""
    await uow.staffing.requeue(conversation_id, team)
    uow.outbox.add(
        agent_event_key(agent_id), ConversationUnassigned(conversation_id, agent_id, uow.now, reason=reason), agent_id
    )
