"""Commands about a conversation after it ended, or about the customer: reopen, record consent.

A reopened conversation goes back to the queue with fresh SLA clocks, preferring the agent
who reopened it; it is refused when the customer already has another open conversation on
that channel (one open conversation per customer and channel holds across routers).
"""

import uuid

import asyncpg

from contracts import ReopenConversation, SetContactConsent
from domain.sla import SlaTargets

REOPEN = """
UPDATE conversations SET status = 'queued', agent_id = NULL, resolved_at = NULL, team = NULL,
    queued_at = now(), updated_at = now(), first_response_at = NULL,
    preferred_agent_id = $2, first_response_due = now() + $3::interval,
    resolution_due = now() + $4::interval, first_response_breached = false, resolution_breached = false
WHERE id = $1 AND status = 'resolved'
RETURNING id
"""


async def reopen(conn: asyncpg.Connection, command: ReopenConversation, targets: SlaTargets) -> str | None:
    """Reopen the conversation; the reason it cannot be, or None when it was reopened."""
    row = await conn.fetchrow(
        "SELECT status, priority, EXISTS (SELECT 1 FROM agents WHERE id = $2 AND role = 'agent') AS by_agent"
        " FROM conversations WHERE id = $1 FOR UPDATE",
        uuid.UUID(command.conversation_id),
        uuid.UUID(command.agent_id),
    )
    if row is None:
        return "conversation_not_found"
    if row["status"] != "resolved":
        return "conversation_not_resolved"
    try:
        async with conn.transaction():  # a savepoint: the unique index may refuse the reopen
            await conn.execute(
                REOPEN,
                uuid.UUID(command.conversation_id),
                uuid.UUID(command.agent_id) if row["by_agent"] else None,
                targets.target("first_response", row["priority"]),
                targets.target("resolution", row["priority"]),
            )
    except asyncpg.UniqueViolationError:
        return "customer_has_open_conversation"
    return None


async def record_consent(conn: asyncpg.Connection, command: SetContactConsent) -> bool:
    """Record the customer's choice as a contact event (once per command) and apply it; False when
    the contact is unknown."""
    known = await conn.fetchval(
        "UPDATE contacts SET reachable = $3,"
        " subscribed_at = CASE WHEN $3 THEN $4 ELSE subscribed_at END,"
        " unsubscribed_at = CASE WHEN $3 THEN unsubscribed_at ELSE $4 END"
        " WHERE channel = $1 AND address = $2 RETURNING true",
        command.channel,
        command.customer_address,
        command.allowed,
        command.issued_at,
    )
    if not known:
        return False
    await conn.execute(
        "INSERT INTO contact_events (channel, channel_event_id, address, event, details, occurred_at)"
        " VALUES ($1, $2, $3, $4, jsonb_build_object('agent_id', $5::text, 'reason', $6::text), $7)"
        " ON CONFLICT DO NOTHING",
        command.channel,
        f"agent:{command.command_id}",
        command.customer_address,
        "opt_in" if command.allowed else "opt_out",
        command.agent_id,
        command.reason,
        command.issued_at,
    )
    return True
