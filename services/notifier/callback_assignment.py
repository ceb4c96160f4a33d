"""Who takes a callback: the shared assignment rules over online agents, callbacks counted as load.

The choice itself is the domain's pure `choose_agent`, the router's too (skills, language, the
complaint team, the preferred agent first, then the least loaded). An agent's load is their open chats plus
the callbacks due and assigned to them. One advisory lock serializes the notifier's
assignments across replicas, so two replicas never both fill an agent's last free slot.
"""

from datetime import datetime

import asyncpg

from domain.assignment import AgentSlot, Ticket, choose_agent
from domain.policy import Policy, staffed_policy
from services.notifier.store import TaskRow

ASSIGN_LOCK = "notifier.callback_assignment"
STAFFED = "SELECT EXISTS (SELECT 1 FROM agents WHERE $1 = ANY(teams))"

ONLINE_AGENTS = """
SELECT a.id, a.capacity, a.skills, a.languages, a.teams, COALESCE(s.last_assigned_at, s.changed_at) AS idle_since,
    (SELECT count(*) FROM conversations c WHERE c.agent_id = a.id AND c.status = 'assigned')
    + (SELECT count(*) FROM callback_tasks t WHERE t.assigned_agent_id = a.id AND t.state = 'due') AS load
FROM agents a JOIN agent_state s ON s.agent_id = a.id WHERE s.status = 'online'
"""


def _slot(row: asyncpg.Record) -> AgentSlot:
    # Channels are left open: a callback is a call, whatever channel the customer wrote on.
    return AgentSlot(
        str(row["id"]),
        row["capacity"],
        row["load"],
        skills=frozenset(row["skills"]),
        languages=frozenset(row["languages"]),
        teams=frozenset(row["teams"]),
        idle_since=row["idle_since"],
    )


async def choose_for(conn: asyncpg.Connection, task: TaskRow, policy: Policy, now: datetime) -> str | None:
    """The online agent who should take the callback now; None when nobody eligible has room."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ASSIGN_LOCK)
    agents = [_slot(row) for row in await conn.fetch(ONLINE_AGENTS)]
    if not agents:
        return None
    staffed = bool(policy.complaint_team) and await conn.fetchval(STAFFED, policy.complaint_team)
    policy = staffed_policy(policy, staffed)
    ticket = Ticket(
        conversation_id=task.task.id,
        priority="normal",
        queued_at=task.task.due_at,
        category=task.category,
        language=task.language,
        sticky_agent=task.preferred_agent_id,
    )
    chosen = choose_agent(ticket, agents, now, policy)
    return chosen.agent_id if chosen else None
