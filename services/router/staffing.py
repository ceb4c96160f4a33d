"""The router's SQL about agents and the queue: who is free, what waits, who takes what."""

import uuid
from datetime import datetime, timedelta

import asyncpg

from domain.assignment import AgentSlot, Ticket
from domain.priority import rank_sql

QUEUE_WINDOW = 4
"""Queued tickets fetched per free slot: tickets nobody online can take (a language, a
team) must not hide the ones behind them that somebody can."""


async def lock_online_agents(conn: asyncpg.Connection) -> list[AgentSlot]:
    """Online agents with their open load, locked so no two routers overfill one agent.

    Lock first, count after: under READ COMMITTED a statement that waited for a lock still
    reads with the snapshot from before the wait, so counting in it would miss the
    assignments the lock holder just committed.
    """
    locked = await conn.fetch("SELECT agent_id FROM agent_state WHERE status = 'online' ORDER BY agent_id FOR UPDATE")
    if not locked:
        return []
    rows = await conn.fetch(
        "SELECT a.id, a.capacity, a.skills, a.languages, a.channels, a.teams,"
        " COALESCE(s.last_assigned_at, s.changed_at) AS idle_since,"
        " (SELECT count(*) FROM conversations c WHERE c.agent_id = a.id AND c.status = 'assigned')"
        " + (SELECT count(*) FROM conversations c WHERE c.offered_to = a.id) AS load"
        " FROM agents a JOIN agent_state s ON s.agent_id = a.id WHERE a.id = ANY($1::uuid[]) ORDER BY a.id",
        [r["agent_id"] for r in locked],
    )
    return [
        AgentSlot(
            agent_id=str(r["id"]),
            capacity=r["capacity"],
            load=r["load"],
            skills=frozenset(r["skills"]),
            languages=frozenset(r["languages"]),
            channels=frozenset(r["channels"]),
            teams=frozenset(r["teams"]),
            idle_since=r["idle_since"],
        )
        for r in rows
    ]


async def lock_queue(conn: asyncpg.Connection, free_slots: int) -> tuple[list[Ticket], dict[str, frozenset[str]]]:
    """The most urgent, oldest queued conversations no other router is handling and nobody is
    being offered; and, for each, the agents who already passed on it."""
    rows = await conn.fetch(
        "SELECT id, priority, queued_at, category, language, channel, team, preferred_agent_id, declined_by"
        " FROM conversations WHERE status = 'queued' AND offered_to IS NULL"
        f" ORDER BY {rank_sql('priority')}, queued_at"
        " LIMIT $1 FOR UPDATE SKIP LOCKED",
        free_slots * QUEUE_WINDOW,
    )
    tickets = [
        Ticket(
            conversation_id=str(r["id"]),
            priority=r["priority"],
            queued_at=r["queued_at"],
            category=r["category"],
            language=r["language"],
            channel=r["channel"],
            team=r["team"],
            sticky_agent=str(r["preferred_agent_id"]) if r["preferred_agent_id"] else None,
        )
        for r in rows
    ]
    declined = {str(r["id"]): frozenset(str(a) for a in r["declined_by"]) for r in rows if r["declined_by"]}
    return tickets, declined


async def team_has_members(conn: asyncpg.Connection, team: str | None) -> bool:
    """Whether any agent belongs to the team; no team has no members (and costs no query)."""
    if not team:
        return False
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM agents WHERE $1 = ANY(teams))", team))


SUMMARY = (
    " RETURNING c.channel, c.customer_address, c.priority, c.category, k.display_name,"
    " (SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
    "  ORDER BY m.created_at DESC LIMIT 1) AS preview,"
    " (SELECT m.sender_warning FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
    "  ORDER BY m.created_at DESC LIMIT 1) AS sender_warning"
)
"""What an assignment or an offer event shows the agent."""


async def assign(conn: asyncpg.Connection, conversation_id: str, agent_id: str) -> asyncpg.Record:
    """Give the conversation to the agent; return what the assignment event needs."""
    await conn.execute("UPDATE agent_state SET last_assigned_at = now() WHERE agent_id = $1", uuid.UUID(agent_id))
    return await conn.fetchrow(
        "UPDATE conversations c SET status = 'assigned', agent_id = $2, assigned_at = now(),"
        " team = NULL, offered_to = NULL, offered_at = NULL, declined_by = '{}', transfer_note = NULL,"
        " updated_at = now() FROM contacts k, conversations was"
        " WHERE c.id = $1 AND was.id = c.id AND k.channel = c.channel AND k.address = c.customer_address"
        + SUMMARY
        + ", was.transfer_note AS note",  # the note is the taker's, then done with
        uuid.UUID(conversation_id),
        uuid.UUID(agent_id),
    )


async def offer(conn: asyncpg.Connection, conversation_id: str, agent_id: str) -> asyncpg.Record:
    """Offer the queued conversation to the agent; return what the offer event needs."""
    return await conn.fetchrow(
        "UPDATE conversations c SET offered_to = $2, offered_at = now() FROM contacts k"
        " WHERE c.id = $1 AND k.channel = c.channel AND k.address = c.customer_address"
        + SUMMARY
        + ", c.transfer_note AS note",
        uuid.UUID(conversation_id),
        uuid.UUID(agent_id),
    )


async def withdraw_offer(conn: asyncpg.Connection, conversation_id: str) -> None:
    """The offered agent passed (or let it expire): remember them, offer it to someone else."""
    await conn.execute(
        "UPDATE conversations SET declined_by = array_append(declined_by, offered_to),"
        " offered_to = NULL, offered_at = NULL WHERE id = $1",
        uuid.UUID(conversation_id),
    )


async def lock_expired_offers(conn: asyncpg.Connection, timeout: timedelta, limit: int = 100) -> list[tuple[str, str]]:
    """(agent, conversation) offers not accepted within the timeout."""
    rows = await conn.fetch(
        "SELECT offered_to, id FROM conversations WHERE offered_to IS NOT NULL AND offered_at < now() - $1::interval"
        " ORDER BY offered_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        timeout,
        limit,
    )
    return [(str(r["offered_to"]), str(r["id"])) for r in rows]


async def requeue(conn: asyncpg.Connection, conversation_id: str, team: str | None = None) -> None:
    """Back to the queue (for `team` if named); the customer's first-response clock keeps running."""
    await conn.execute(
        "UPDATE conversations SET status = 'queued', agent_id = NULL, queued_at = now(), team = $2,"
        " updated_at = now() WHERE id = $1",
        uuid.UUID(conversation_id),
        team,
    )


async def leave_transfer_note(conn: asyncpg.Connection, conversation_id: str, note: str) -> None:
    """Keep a transfer's note for whoever is given or offered the conversation next."""
    await conn.execute(
        "UPDATE conversations SET transfer_note = NULLIF($2, '') WHERE id = $1", uuid.UUID(conversation_id), note
    )


async def set_agent_status(conn: asyncpg.Connection, agent_id: str, status: str) -> str | None:
    """Store the agent's status; return the previous one (None for an unknown agent)."""
    row = await conn.fetchrow(
        "WITH previous AS (SELECT status FROM agent_state WHERE agent_id = $1 FOR UPDATE)"
        " INSERT INTO agent_state (agent_id, status) SELECT id, $2 FROM agents WHERE id = $1"
        " ON CONFLICT (agent_id) DO UPDATE SET status = EXCLUDED.status,"
        "  changed_at = CASE WHEN agent_state.status = EXCLUDED.status THEN agent_state.changed_at ELSE now() END"
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


async def lock_departed(conn: asyncpg.Connection, grace: timedelta, limit: int = 100) -> list[tuple[str, str]]:
    """(agent, conversation) pairs still held by agents offline for longer than the grace period."""
    rows = await conn.fetch(
        "SELECT c.agent_id, c.id FROM conversations c JOIN agent_state s ON s.agent_id = c.agent_id"
        " WHERE c.status = 'assigned' AND s.status = 'offline' AND s.changed_at < now() - $1::interval"
        " ORDER BY c.id LIMIT $2 FOR UPDATE OF c SKIP LOCKED",
        grace,
        limit,
    )
    return [(str(r["agent_id"]), str(r["id"])) for r in rows]


async def now(conn: asyncpg.Connection) -> datetime:
    """The database's clock: every router compares against the same time."""
    return await conn.fetchval("SELECT now()")
