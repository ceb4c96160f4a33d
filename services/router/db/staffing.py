"""The router's SQL about agents and the queue: who is free, what waits, who takes what."""

import uuid
from datetime import datetime

import asyncpg
import msgspec

from domain.assignment import AgentSlot, Ticket
from domain.priority import rank_sql

QUEUE_WINDOW = 4
"""Queued tickets fetched per free slot: tickets nobody online can take (a language, a
team) must not hide the ones behind them that somebody can."""


class Held(msgspec.Struct, frozen=True):
    """A conversation an agent holds or is offered, with the instant a clock rule compares."""

    conversation_id: str
    agent_id: str
    since: datetime
    """When the offer was made, the agent went offline, or the conversation was assigned."""
    priority: str = "normal"


SUMMARY = (
    " RETURNING c.channel, c.customer_address, c.priority, c.category, k.display_name,"
    " (SELECT text FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
    "  ORDER BY m.created_at DESC LIMIT 1) AS preview,"
    " (SELECT m.sender_warning FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'in'"
    "  ORDER BY m.created_at DESC LIMIT 1) AS sender_warning"
)
"""What an assignment or an offer event shows the agent."""


class Staffing:
    """Agents' state and the queue, on one transaction's connection."""

    def __init__(self, conn: asyncpg.Connection, now: datetime) -> None:
        self.conn, self.now = conn, now

    async def lock_online_agents(self) -> list[AgentSlot]:
        """Online agents with their open load, locked so no two routers overfill one agent.

        Lock first, count after: under READ COMMITTED a statement that waited for a lock still
        reads with the snapshot from before the wait, so counting in it would miss the
        assignments the lock holder just committed.
        """
        locked = await self.conn.fetch(
            "SELECT agent_id FROM agent_state WHERE status = 'online' ORDER BY agent_id FOR UPDATE"
        )
        if not locked:
            return []
        rows = await self.conn.fetch(
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

    async def lock_queue(self, free_slots: int) -> tuple[list[Ticket], dict[str, frozenset[str]]]:
        """The most urgent, oldest queued conversations no other router is handling and nobody is
        being offered; and, for each, the agents who already passed on it."""
        rows = await self.conn.fetch(
            "SELECT id, priority, queued_at, category, language, channel, team, preferred_agent_id, declined_by"
            " FROM conversations WHERE status = 'queued' AND offered_to IS NULL"
            f" ORDER BY {rank_sql('priority')}, queued_at LIMIT $1 FOR UPDATE SKIP LOCKED",
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

    async def team_has_members(self, team: str | None) -> bool:
        """Whether any agent belongs to the team; no team has no members (and costs no query)."""
        if not team:
            return False
        return bool(await self.conn.fetchval("SELECT EXISTS (SELECT 1 FROM agents WHERE $1 = ANY(teams))", team))

    async def assign(self, conversation_id: str, agent_id: str) -> asyncpg.Record:
        """Give the conversation to the agent; return what the assignment event needs."""
        await self.conn.execute(
            "UPDATE agent_state SET last_assigned_at = now() WHERE agent_id = $1", uuid.UUID(agent_id)
        )
        return await self.conn.fetchrow(
            "UPDATE conversations c SET status = 'assigned', agent_id = $2, assigned_at = $3,"
            " team = NULL, offered_to = NULL, offered_at = NULL, declined_by = '{}', transfer_note = NULL,"
            " updated_at = now() FROM contacts k, conversations was"
            " WHERE c.id = $1 AND was.id = c.id AND k.channel = c.channel AND k.address = c.customer_address"
            + SUMMARY
            + ", was.transfer_note AS note",  # the note is the taker's, then done with
            uuid.UUID(conversation_id),
            uuid.UUID(agent_id),
            self.now,
        )

    async def offer(self, conversation_id: str, agent_id: str) -> asyncpg.Record:
        """Offer the queued conversation to the agent; return what the offer event needs."""
        return await self.conn.fetchrow(
            "UPDATE conversations c SET offered_to = $2, offered_at = $3 FROM contacts k"
            " WHERE c.id = $1 AND k.channel = c.channel AND k.address = c.customer_address"
            + SUMMARY
            + ", c.transfer_note AS note",
            uuid.UUID(conversation_id),
            uuid.UUID(agent_id),
            self.now,
        )

    async def withdraw_offer(self, conversation_id: str) -> None:
        """The offered agent passed (or let it expire): remember them, offer it to someone else."""
        await self.conn.execute(
            "UPDATE conversations SET declined_by = array_append(declined_by, offered_to),"
            " offered_to = NULL, offered_at = NULL WHERE id = $1",
            uuid.UUID(conversation_id),
        )

    async def requeue(self, conversation_id: str, team: str | None = None) -> None:
        """Back to the queue (for `team` if named); the customer's first-response clock keeps running."""
        await self.conn.execute(
            "UPDATE conversations SET status = 'queued', agent_id = NULL, queued_at = now(), team = $2,"
            " updated_at = now() WHERE id = $1",
            uuid.UUID(conversation_id),
            team,
        )

    async def leave_transfer_note(self, conversation_id: str, note: str) -> None:
        """Keep a transfer's note for whoever is given or offered the conversation next."""
        await self.conn.execute(
            "UPDATE conversations SET transfer_note = NULLIF($2, '') WHERE id = $1", uuid.UUID(conversation_id), note
        )

    async def set_agent_status(self, agent_id: str, status: str) -> str | None:
        """Store the agent's status; return the previous one (None for an unknown agent)."""
        row = await self.conn.fetchrow(
            "WITH previous AS (SELECT status FROM agent_state WHERE agent_id = $1 FOR UPDATE)"
            " INSERT INTO agent_state (agent_id, status) SELECT id, $2 FROM agents WHERE id = $1"
            " ON CONFLICT (agent_id) DO UPDATE SET status = EXCLUDED.status,"
            "  changed_at = CASE WHEN agent_state.status = EXCLUDED.status THEN agent_state.changed_at ELSE $3 END"
            " RETURNING (SELECT status FROM previous) AS previous",
            uuid.UUID(agent_id),
            status,
            self.now,
        )
        if row is None:
            return None
        return row["previous"] or "offline"

    async def lock_agent_conversations(self, agent_id: str) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT id FROM conversations WHERE agent_id = $1 AND status = 'assigned' ORDER BY id FOR UPDATE",
            uuid.UUID(agent_id),
        )
        return [str(r["id"]) for r in rows]

    async def record_choice(self, agent_id: str, chosen_at: datetime) -> None:
        """The agent set their status: it outranks streams opened before, and ends any grace period."""
        await self.conn.execute(
            "UPDATE agent_state SET chosen_at = $2, disconnected_at = NULL WHERE agent_id = $1::uuid",
            agent_id,
            chosen_at,
        )

    # The clock rules (policy.offer_expired, requeue_after_offline, needs_reassignment) decide in
    # Python: these read the candidates with the instants the rules compare, unlocked, and lock the
    # ones the rule chose only if they are still as read (another router may have acted meanwhile).

    async def offers(self, limit: int) -> list[Held]:
        """Pending offers, oldest first."""
        rows = await self.conn.fetch(
            "SELECT id, offered_to, offered_at FROM conversations WHERE offered_to IS NOT NULL"
            " ORDER BY offered_at LIMIT $1",
            limit,
        )
        return [Held(str(r["id"]), str(r["offered_to"]), r["offered_at"]) for r in rows]

    async def lock_offers(self, chosen: list[Held]) -> list[Held]:
        if not chosen:
            return []
        rows = await self.conn.fetch(
            "SELECT c.id FROM conversations c JOIN unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(id, a, at)"
            " ON c.id = u.id AND c.offered_to = u.a AND c.offered_at = u.at ORDER BY c.id FOR UPDATE OF c SKIP LOCKED",
            *_columns(chosen),
        )
        return _still(chosen, rows)

    async def held_by_offline(self, limit: int) -> list[Held]:
        """Conversations still assigned to agents who are offline, since when they are, longest first."""
        rows = await self.conn.fetch(
            "SELECT c.id, c.agent_id, s.changed_at FROM conversations c JOIN agent_state s ON s.agent_id = c.agent_id"
            " WHERE c.status = 'assigned' AND s.status = 'offline' ORDER BY s.changed_at, c.id LIMIT $1",
            limit,
        )
        return [Held(str(r["id"]), str(r["agent_id"]), r["changed_at"]) for r in rows]

    async def lock_held_by_offline(self, chosen: list[Held]) -> list[Held]:
        if not chosen:
            return []
        rows = await self.conn.fetch(
            "SELECT c.id FROM conversations c JOIN unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(id, a, at)"
            " ON c.id = u.id AND c.agent_id = u.a AND c.status = 'assigned'"
            " JOIN agent_state s ON s.agent_id = c.agent_id AND s.status = 'offline' AND s.changed_at = u.at"
            " ORDER BY c.id FOR UPDATE OF c SKIP LOCKED",
            *_columns(chosen),
        )
        return _still(chosen, rows)

    async def unanswered(self, limit: int) -> list[Held]:
        """Assigned conversations the agent has not answered yet, the longest held first in each priority."""
        rows = await self.conn.fetch(
            "SELECT id, agent_id, assigned_at, priority FROM (SELECT id, agent_id, assigned_at, priority,"
            "  row_number() OVER (PARTITION BY priority ORDER BY assigned_at) AS n FROM conversations"
            "  WHERE status = 'assigned' AND first_response_at IS NULL) AS t"
            " WHERE n <= $1 ORDER BY assigned_at",
            limit,
        )
        return [Held(str(r["id"]), str(r["agent_id"]), r["assigned_at"], r["priority"]) for r in rows]

    async def lock_unanswered(self, chosen: list[Held]) -> list[Held]:
        if not chosen:
            return []
        rows = await self.conn.fetch(
            "SELECT c.id FROM conversations c JOIN unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(id, a, at)"
            " ON c.id = u.id AND c.agent_id = u.a AND c.assigned_at = u.at"
            " AND c.status = 'assigned' AND c.first_response_at IS NULL ORDER BY c.id FOR UPDATE OF c SKIP LOCKED",
            *_columns(chosen),
        )
        return _still(chosen, rows)


def _columns(held: list[Held]) -> tuple[list[uuid.UUID], list[uuid.UUID], list[datetime]]:
    return (
        [uuid.UUID(h.conversation_id) for h in held],
        [uuid.UUID(h.agent_id) for h in held],
        [h.since for h in held],
    )


def _still(chosen: list[Held], rows: list[asyncpg.Record]) -> list[Held]:
    """The chosen that the lock found unchanged, in the order chosen."""
    locked = {str(r["id"]) for r in rows}
    return [h for h in chosen if h.conversation_id in locked]
