"""The router's SQL: contacts, conversations, messages, agents' capacity. Router-owned tables."""

import uuid
from datetime import datetime

import asyncpg
import msgspec

from contracts import InboundMessage
from services.router.assign import AgentSlot, Ticket

_encoder = msgspec.json.Encoder()


class Conversation(msgspec.Struct, frozen=True):
    id: str
    channel: str
    customer_address: str
    status: str
    agent_id: str | None
    priority: str
    queued_at: datetime | None


def _conversation(row: asyncpg.Record) -> Conversation:
    return Conversation(
        id=str(row["id"]),
        channel=row["channel"],
        customer_address=row["customer_address"],
        status=row["status"],
        agent_id=str(row["agent_id"]) if row["agent_id"] else None,
        priority=row["priority"],
        queued_at=row["queued_at"],
    )


CONVERSATION_COLUMNS = "id, channel, customer_address, status, agent_id, priority, queued_at"


async def upsert_contact(conn: asyncpg.Connection, message: InboundMessage) -> str:
    """Record the customer on this channel; return the best display name known."""
    return await conn.fetchval(
        "INSERT INTO contacts (channel, address, display_name, locale, account, last_inbound_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (channel, address) DO UPDATE SET"
        "  display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), contacts.display_name),"
        "  locale = COALESCE(NULLIF(EXCLUDED.locale, ''), contacts.locale),"
        "  account = COALESCE(NULLIF(EXCLUDED.account, ''), contacts.account),"
        "  last_inbound_at = GREATEST(contacts.last_inbound_at, EXCLUDED.last_inbound_at)"
        " RETURNING display_name",
        message.channel.value,
        message.customer_address,
        message.customer_name,
        message.locale,
        message.account,
        message.received_at,
    )


async def record_event(conn: asyncpg.Connection, message: InboundMessage, reachable: bool | None) -> bool:
    """Store a channel event once and what it says about reachability; False if already stored."""
    inserted = await conn.fetchval(
        "INSERT INTO contact_events (channel, channel_event_id, address, event, details, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT DO NOTHING RETURNING true",
        message.channel.value,
        message.channel_message_id,
        message.customer_address,
        message.details.get("event", ""),
        _encoder.encode(message.details).decode(),
        message.received_at,
    )
    if inserted and reachable is not None:
        # Out-of-order events: only a newer follow/unfollow changes the state.
        column = "subscribed_at" if reachable else "unsubscribed_at"
        await conn.execute(
            f"UPDATE contacts SET reachable = $3, {column} = $4 WHERE channel = $1 AND address = $2"
            " AND $4 >= GREATEST(COALESCE(subscribed_at, '-infinity'), COALESCE(unsubscribed_at, '-infinity'))",
            message.channel.value,
            message.customer_address,
            reachable,
            message.received_at,
        )
    return bool(inserted)


async def open_conversation(conn: asyncpg.Connection, channel: str, address: str) -> Conversation:
    """The customer's open conversation on this channel, locked; created (queued) if none."""
    select = (
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations"
        " WHERE channel = $1 AND customer_address = $2 AND status <> 'resolved' FOR UPDATE"
    )
    if row := await conn.fetchrow(select, channel, address):
        return _conversation(row)
    row = await conn.fetchrow(
        "INSERT INTO conversations (id, channel, customer_address, status, queued_at)"
        " VALUES ($1, $2, $3, 'queued', now())"
        " ON CONFLICT (channel, customer_address) WHERE status <> 'resolved' DO NOTHING"
        f" RETURNING {CONVERSATION_COLUMNS}",
        uuid.uuid4(),
        channel,
        address,
    )
    if row:
        return _conversation(row)
    # Another router opened it between our select and insert; take theirs.
    return _conversation(await conn.fetchrow(select, channel, address))


async def lock_conversation(conn: asyncpg.Connection, conversation_id: str) -> Conversation | None:
    row = await conn.fetchrow(
        f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1 FOR UPDATE",
        uuid.UUID(conversation_id),
    )
    return _conversation(row) if row else None


async def insert_inbound(conn: asyncpg.Connection, message: InboundMessage, conversation_id: str) -> bool:
    """Store a customer message once; False when (channel, channel id) is already stored."""
    inserted = await conn.fetchval(
        "INSERT INTO messages (id, conversation_id, direction, channel, customer_address,"
        " channel_message_id, kind, text, attachments, created_at, details)"
        " VALUES ($1, $2, 'in', $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb)"
        " ON CONFLICT DO NOTHING RETURNING true",
        uuid.UUID(message.message_id),
        uuid.UUID(conversation_id),
        message.channel.value,
        message.customer_address,
        message.channel_message_id,
        message.kind.value,
        message.text,
        _encoder.encode(message.attachments).decode(),
        message.received_at,
        _encoder.encode(message.details).decode(),
    )
    return bool(inserted)


class Reply(msgspec.Struct, frozen=True):
    seq: int
    created_at: datetime
    account: str


async def contact_reachable(conn: asyncpg.Connection, channel: str, address: str) -> bool:
    return bool(
        await conn.fetchval("SELECT reachable FROM contacts WHERE channel = $1 AND address = $2", channel, address)
    )


async def insert_reply(
    conn: asyncpg.Connection, conversation: Conversation, message_id: str, agent_id: str, text: str
) -> Reply:
    """Store an agent reply with the customer's next reply seq."""
    seq, account = await conn.fetchrow(
        "UPDATE contacts SET out_seq = out_seq + 1 WHERE channel = $1 AND address = $2 RETURNING out_seq, account",
        conversation.channel,
        conversation.customer_address,
    )
    created_at = await conn.fetchval(
        "INSERT INTO messages (id, conversation_id, direction, channel, customer_address,"
        " agent_id, text, seq) VALUES ($1, $2, 'out', $3, $4, $5, $6, $7) RETURNING created_at",
        uuid.UUID(message_id),
        uuid.UUID(conversation.id),
        conversation.channel,
        conversation.customer_address,
        uuid.UUID(agent_id),
        text,
        seq,
    )
    await conn.execute(
        "UPDATE conversations SET first_response_at = COALESCE(first_response_at, now()),"
        " updated_at = now() WHERE id = $1",
        uuid.UUID(conversation.id),
    )
    return Reply(seq, created_at, account)


DELIVERY_RANK = {"sent": 1, "delivered": 2, "failed": 2}
"""A report never moves a reply back: `sent` arriving after `delivered` changes nothing."""


async def record_delivery(
    conn: asyncpg.Connection, message_id: str, status: str, reason: str, at: datetime
) -> tuple[str, str | None] | None:
    """Store a reply's delivery state; return (conversation, its agent) when it changed."""
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        return None
    row = await conn.fetchrow(
        "UPDATE messages m SET delivery_status = $2, delivery_reason = NULLIF($3, ''), delivery_at = $4"
        " FROM conversations c WHERE m.id = $1 AND m.direction = 'out' AND c.id = m.conversation_id"
        " AND COALESCE(CASE m.delivery_status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'failed' THEN 2 END, 0)"
        "  < $5"
        " RETURNING m.conversation_id, c.agent_id",
        key,
        status,
        reason,
        at,
        DELIVERY_RANK[status],
    )
    if row is None:
        return None
    return str(row["conversation_id"]), str(row["agent_id"]) if row["agent_id"] else None


async def claim_command(conn: asyncpg.Connection, command_id: str) -> bool:
    """True the first time a command is seen; the row commits only with its effect."""
    return bool(
        await conn.fetchval(
            "INSERT INTO applied_commands (command_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true",
            uuid.UUID(command_id),
        )
    )


async def lock_online_agents(conn: asyncpg.Connection) -> list[AgentSlot]:
    """Online agents with their open load, locked so no two routers overfill one agent.

    Lock first, count after: under READ COMMITTED a statement that waited for a lock still
    reads with the snapshot from before the wait, so counting in it would miss the
    assignments the lock holder just committed.
    """
    locked = await conn.fetch(
        "SELECT agent_id FROM agent_state WHERE status = 'online' ORDER BY agent_id FOR UPDATE"
    )
    if not locked:
        return []
    rows = await conn.fetch(
        "SELECT a.id, a.capacity, a.skills, a.languages,"
        " (SELECT count(*) FROM conversations c WHERE c.agent_id = a.id AND c.status = 'assigned') AS load"
        " FROM agents a WHERE a.id = ANY($1::uuid[]) ORDER BY a.id",
        [r["agent_id"] for r in locked],
    )
    return [
        AgentSlot(
            agent_id=str(r["id"]),
            capacity=r["capacity"],
            load=r["load"],
            skills=frozenset(r["skills"]),
            languages=frozenset(r["languages"]),
        )
        for r in rows
    ]


async def lock_queue(conn: asyncpg.Connection, limit: int) -> list[Ticket]:
    """The oldest, most urgent queued conversations no other router is handling."""
    rows = await conn.fetch(
        "SELECT id, priority, queued_at FROM conversations WHERE status = 'queued'"
        " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1"
        "  WHEN 'normal' THEN 2 ELSE 3 END, queued_at"
        " LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return [Ticket(str(r["id"]), r["priority"], r["queued_at"]) for r in rows]


async def assign(conn: asyncpg.Connection, conversation_id: str, agent_id: str) -> asyncpg.Record:
    """Give the conversation to the agent; return what the assignment event needs."""
    return await conn.fetchrow(
        "UPDATE conversations c SET status = 'assigned', agent_id = $2, assigned_at = now(),"
        " updated_at = now() FROM contacts k"
        " WHERE c.id = $1 AND k.channel = c.channel AND k.address = c.customer_address"
        " RETURNING c.channel, c.customer_address, c.priority, c.category, k.display_name,"
        " (SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
        "  ORDER BY m.created_at DESC LIMIT 1) AS preview",
        uuid.UUID(conversation_id),
        uuid.UUID(agent_id),
    )


async def requeue(conn: asyncpg.Connection, conversation_id: str) -> None:
    await conn.execute(
        "UPDATE conversations SET status = 'queued', agent_id = NULL, queued_at = now(),"
        " updated_at = now() WHERE id = $1",
        uuid.UUID(conversation_id),
    )


async def resolve(conn: asyncpg.Connection, conversation_id: str) -> None:
    await conn.execute(
        "UPDATE conversations SET status = 'resolved', resolved_at = now(), updated_at = now()"
        " WHERE id = $1",
        uuid.UUID(conversation_id),
    )


async def set_agent_status(conn: asyncpg.Connection, agent_id: str, status: str) -> str | None:
    """Store the agent's status; return the previous one (None for an unknown agent)."""
    row = await conn.fetchrow(
        "WITH previous AS (SELECT status FROM agent_state WHERE agent_id = $1 FOR UPDATE)"
        " INSERT INTO agent_state (agent_id, status) SELECT id, $2 FROM agents WHERE id = $1"
        " ON CONFLICT (agent_id) DO UPDATE SET status = EXCLUDED.status, changed_at = now()"
        " RETURNING (SELECT status FROM previous) AS previous",
        uuid.UUID(agent_id),
        status,
    )
    if row is None:
        return None
    return row["previous"] or "offline"


async def lock_agent_conversations(conn: asyncpg.Connection, agent_id: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT id FROM conversations WHERE agent_id = $1 AND status = 'assigned' ORDER BY id FOR UPDATE",
        uuid.UUID(agent_id),
    )
    return [str(r["id"]) for r in rows]
