"""Read-only views of the notifier's callback tables, shaped for the agent API's worklist."""

import uuid

import asyncpg

from domain.callbacks import Task
from services.agent_api.http.auth import Agent

SUMMARY = (
    "t.id::text AS id, t.state, t.result, t.source, t.reason, t.category, t.channel, t.customer_address,"
    " t.customer_name, t.customer_id::text AS customer_id, t.conversation_id::text AS conversation_id,"
    " t.assigned_agent_id::text AS assigned_agent_id, t.claimed_at IS NOT NULL AS claimed, t.due_at, t.attempts,"
    " t.overdue_at IS NOT NULL AS overdue, t.application_type, t.created_at"
)
STATES = {
    "open": "t.state <> 'closed'",
    "scheduled": "t.state = 'scheduled'",
    "due": "t.state = 'due'",
    "closed": "t.state = 'closed'",
    "all": "true",
}


def callback_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def worklist(pool: asyncpg.Pool, agent: Agent, state: str, assignee: str | None, limit: int) -> list[dict]:
    """Callbacks by due time: all the caller may see (agents: their own and the unassigned pool), or
    one assignee's (`assignee` an agent id, or "none" for the pool; agents may name only themselves)."""
    conditions, args = [STATES[state]], []
    if not agent.is_supervisor and assignee is None:
        args.append(uuid.UUID(agent.id))
        conditions.append(f"(t.assigned_agent_id = ${len(args)} OR t.assigned_agent_id IS NULL)")
    elif assignee == "none":
        conditions.append("t.assigned_agent_id IS NULL")
    elif assignee is not None:
        args.append(uuid.UUID(assignee))
        conditions.append(f"t.assigned_agent_id = ${len(args)}")
    rows = await pool.fetch(
        f"SELECT {SUMMARY} FROM callback_tasks t WHERE {' AND '.join(conditions)} ORDER BY t.due_at, t.id"
        f" LIMIT {int(limit)}",
        *args,
    )
    return [dict(row) for row in rows]


async def rules_view(pool: asyncpg.Pool, key: uuid.UUID) -> Task | None:
    """The task as the claim and outcome rules see it."""
    row = await pool.fetchrow(
        "SELECT id::text AS id, state, assigned_agent_id::text AS assigned_agent_id,"
        " claimed_at IS NOT NULL AS claimed, attempts, due_at, cycle FROM callback_tasks WHERE id = $1",
        key,
    )
    return Task(**dict(row)) if row else None


async def detail(pool: asyncpg.Pool, key: uuid.UUID) -> dict | None:
    """Everything the agent prepares the call with, and what happened so far, oldest first."""
    row = await pool.fetchrow(
        f"SELECT {SUMMARY}, t.application_id, t.details::text AS details, t.note FROM callback_tasks t WHERE t.id = $1",
        key,
    )
    if row is None:
        return None
    history = await pool.fetch(
        "SELECT at, event, agent_id::text AS agent_id, result, note, due_at FROM callback_history"
        " WHERE callback_id = $1 ORDER BY id",
        key,
    )
    return {**dict(row), "history": [dict(entry) for entry in history]}


async def contact_for(pool: asyncpg.Pool, agent: Agent, channel: str, address: str) -> bool:
    """Whether the caller may schedule a call to this contact: a known one they served, or any for
    supervisors."""
    row = await pool.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM contacts WHERE channel = $1 AND address = $2) AS known,"
        " EXISTS (SELECT 1 FROM conversations c JOIN conversation_agents s ON s.conversation_id = c.id"
        "  WHERE c.channel = $1 AND c.customer_address = $2 AND s.agent_id = $3) AS served",
        channel,
        address,
        uuid.UUID(agent.id),
    )
    return row["known"] and (row["served"] or agent.is_supervisor)


async def number_to_call(conn: asyncpg.Connection, key: uuid.UUID) -> dict | None:
    """The task as the reveal rule sees it, with the number to call: its own address when it is an SMS
    number, else the phone of the customer's profile (the task's, or the one its address is linked to)."""
    row = await conn.fetchrow(
        "SELECT t.state, t.assigned_agent_id::text AS assigned_agent_id, t.due_at <= now() AS due,"
        " t.conversation_id::text AS conversation_id,"
        " CASE WHEN t.channel = 'sms' THEN t.customer_address ELSE COALESCE(p.phone,"
        "  (SELECT s.address FROM customer_identities s WHERE s.customer_id = p.id AND s.channel = 'sms'"
        "   ORDER BY s.linked_at LIMIT 1)) END AS phone"
        " FROM callback_tasks t"
        " LEFT JOIN customer_identities i ON i.channel = t.channel AND i.address = t.customer_address"
        " LEFT JOIN customers p ON p.id = COALESCE(t.customer_id, i.customer_id)"
        " WHERE t.id = $1",
        key,
    )
    return dict(row) if row else None
