"""The router's clock: SLA breaches, unanswered assignments and departed agents, swept in PostgreSQL.

The schedule is the conversations table itself (due times set when a conversation enters
the queue); every router sweeps it, and `FOR UPDATE SKIP LOCKED` gives each overdue
conversation to exactly one of them. A breach is recorded once (for statistics) and told
to supervisors (and the agent, if any); an agent who has not answered within the
first-response target loses the conversation to the next eligible agent.
"""

import asyncio
import logging
from datetime import timedelta

import asyncpg
from aiohttp import web

from contracts import SlaBreached
from contracts.topology import SUPERVISORS_KEY, agent_event_key
from services.router import staffing
from services.router.dispatch import drain_queue, hand_back, now, pass_on
from services.router.inbound import MARKS, ROUTING
from services.router.outbox import Outbox, publish_events
from services.router.routing import Routing
from shared.db import UNAVAILABLE, in_transaction
from shared.http import BROKER, POOL

log = logging.getLogger("relaydesk.router.sla")
BATCH = 100
PRIORITIES = ["urgent", "high", "normal", "low"]

OVERDUE = {
    "first_response": (
        "SELECT id, priority, category, agent_id, first_response_due AS due FROM conversations"
        " WHERE first_response_at IS NULL AND NOT first_response_breached AND status IN ('queued', 'assigned')"
        " AND first_response_due < now() ORDER BY first_response_due LIMIT $1 FOR UPDATE SKIP LOCKED"
    ),
    "resolution": (
        "SELECT id, priority, category, agent_id, resolution_due AS due FROM conversations"
        " WHERE NOT resolution_breached AND status IN ('queued', 'assigned')"
        " AND resolution_due < now() ORDER BY resolution_due LIMIT $1 FOR UPDATE SKIP LOCKED"
    ),
}
UNANSWERED = (
    "SELECT c.id, c.agent_id FROM conversations c"
    " JOIN unnest($2::text[], $3::interval[]) AS t(priority, target) ON t.priority = c.priority"
    " WHERE c.status = 'assigned' AND c.first_response_at IS NULL AND c.assigned_at + t.target < now()"
    " ORDER BY c.assigned_at LIMIT $1 FOR UPDATE OF c SKIP LOCKED"
)


async def _breaches(conn: asyncpg.Connection, outbox: Outbox) -> int:
    count = 0
    for kind, query in OVERDUE.items():
        for row in await conn.fetch(query, BATCH):
            agent_id = str(row["agent_id"]) if row["agent_id"] else None
            await conn.execute(
                "INSERT INTO sla_breaches (conversation_id, kind, priority, category, agent_id, due_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                row["id"], kind, row["priority"], row["category"], row["agent_id"], row["due"],
            )
            await conn.execute(f"UPDATE conversations SET {kind}_breached = true WHERE id = $1", row["id"])
            event = SlaBreached(str(row["id"]), agent_id or "", now(), kind=kind, priority=row["priority"],
                                category=row["category"], due_at=row["due"])
            outbox.add(SUPERVISORS_KEY, event)
            if agent_id:
                outbox.add(agent_event_key(agent_id), event, agent_id)
            log.warning("SLA %s breached on conversation %s (%s)", kind, row["id"], row["priority"])
            count += 1
    return count


async def _reassign(conn: asyncpg.Connection, routing: Routing, outbox: Outbox, grace: timedelta) -> int:
    """Hand back conversations whose agent left them unanswered or left for longer than the grace,
    and pass on offers nobody accepted in time."""
    targets = [routing.targets.target("first_response", p) for p in PRIORITIES]
    moved: dict[str, str] = {}
    for row in await conn.fetch(UNANSWERED, BATCH, PRIORITIES, targets):
        moved[str(row["id"])] = str(row["agent_id"])
        await hand_back(conn, str(row["id"]), str(row["agent_id"]), "no_first_response", outbox)
    for agent_id, conversation_id in await staffing.lock_departed(conn, grace, BATCH):
        moved[conversation_id] = agent_id
        await hand_back(conn, conversation_id, agent_id, "agent_offline", outbox)
    offer_timeout = timedelta(seconds=routing.policy.offer_timeout_s)
    for agent_id, conversation_id in await staffing.lock_expired_offers(conn, offer_timeout, BATCH):
        moved[conversation_id] = agent_id
        await pass_on(conn, conversation_id, agent_id, "offer_expired", outbox)
    if moved:
        await drain_queue(conn, outbox, routing.policy, exclude=moved)
    return len(moved)


async def sweep_once(app: web.Application) -> int:
    """One pass over the schedule; returns how many conversations it acted on."""
    routing = app[ROUTING]
    grace = timedelta(seconds=routing.policy.offline_grace_s)

    async def work(conn: asyncpg.Connection):
        outbox = Outbox()
        acted = await _breaches(conn, outbox) + await _reassign(conn, routing, outbox, grace)
        return acted, await outbox.write(conn)

    acted, events = await in_transaction(app[POOL], work)
    await publish_events(app[BROKER], app[MARKS], events)
    return acted


async def run_escalations(app: web.Application, interval: float) -> None:
    """Sweep forever; a full batch sweeps again at once, an outage waits for the next tick."""
    while True:
        try:
            if await sweep_once(app) >= BATCH:
                continue
        except UNAVAILABLE as exc:
            log.warning("SLA sweep skipped: %s", type(exc).__name__)
        except Exception:
            log.exception("SLA sweep failed")
        await asyncio.sleep(interval)
