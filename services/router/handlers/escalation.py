"""The router's clock: SLA warnings and breaches, unanswered assignments, departed agents, swept in PostgreSQL.

The schedule is the conversations table itself (due times set when a conversation enters
the queue); every router sweeps it, and `FOR UPDATE SKIP LOCKED` gives each overdue
conversation to exactly one of them. A breach is recorded once (for statistics) and told
to supervisors (and the agent, if any); an agent who has not answered within the
first-response target loses the conversation to the next eligible agent. A warning goes out
once per deadline, when `sla_warning_ratio` of the target has passed, to the same people.
Agents whose streams are gone past the presence grace go offline here too (presence.py).
"""

import asyncio
import logging
from functools import partial

import asyncpg

from contracts import SlaBreached, SlaWarning
from contracts.topology import SUPERVISORS_KEY, agent_event_key
from domain.policy import needs_reassignment, offer_expired, requeue_after_offline, warning_lead
from domain.priority import PRIORITIES as ALL_PRIORITIES
from services.router.db.uow import RouterUnitOfWork
from services.router.decision_inputs import Routing
from services.router.deps import RouterDeps
from services.router.handlers import presence
from services.router.handlers.dispatch import drain_queue, hand_back, pass_on
from shared.db import UNAVAILABLE

log = logging.getLogger("relaydesk.router.sla")
BATCH = 100
PRIORITIES = list(ALL_PRIORITIES)  # asyncpg binds a list as text[]
BROKER_CHECK_TIMEOUT = 0.1

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


def _warning_query(kind: str) -> str:
    """Open conversations whose `kind` deadline is near (its lead per priority: $2, $3; the
    longest: $4) and not warned for yet."""
    unanswered = "c.first_response_at IS NULL AND " if kind == "first_response" else ""
    due = f"c.{kind}_due"
    return (
        f"SELECT c.id, c.priority, c.category, c.agent_id, {due} AS due FROM conversations c"
        " JOIN unnest($2::text[], $3::interval[]) AS t(priority, lead) ON t.priority = c.priority"
        f" WHERE {unanswered}NOT c.{kind}_breached AND c.status IN ('queued', 'assigned')"
        f" AND {due} > now() AND {due} <= now() + $4::interval AND {due} - t.lead <= now()"
        f" AND c.{kind}_warned_for IS DISTINCT FROM {due}"
        f" ORDER BY {due} LIMIT $1 FOR UPDATE OF c SKIP LOCKED"
    )


WARNINGS = {kind: _warning_query(kind) for kind in ("first_response", "resolution")}


async def _breaches(uow: RouterUnitOfWork) -> int:
    conn, count = uow.conn, 0
    for kind, query in OVERDUE.items():
        for row in await conn.fetch(query, BATCH):
            await conn.execute(
                "INSERT INTO sla_breaches (conversation_id, kind, priority, category, agent_id, due_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                row["id"],
                kind,
                row["priority"],
                row["category"],
                row["agent_id"],
                row["due"],
            )
            await conn.execute(f"UPDATE conversations SET {kind}_breached = true WHERE id = $1", row["id"])
            _tell(uow, SlaBreached, kind, row)
            log.warning("SLA %s breached on conversation %s (%s)", kind, row["id"], row["priority"])
            count += 1
    return count


async def _warnings(uow: RouterUnitOfWork, routing: Routing) -> int:
    """Warn of deadlines about to pass; the warned-for due time makes it once per deadline."""
    conn, count = uow.conn, 0
    for kind, query in WARNINGS.items():
        leads = [warning_lead(routing.targets.target(kind, p), routing.policy) for p in PRIORITIES]
        for row in await conn.fetch(query, BATCH, PRIORITIES, leads, max(leads)):
            await conn.execute(f"UPDATE conversations SET {kind}_warned_for = {kind}_due WHERE id = $1", row["id"])
            _tell(uow, SlaWarning, kind, row)
            count += 1
    return count


def _tell(uow: RouterUnitOfWork, event_type: type[SlaBreached | SlaWarning], kind: str, row: asyncpg.Record) -> None:
    """Every supervisor hears of it, and the conversation's agent if it has one."""
    agent_id = str(row["agent_id"]) if row["agent_id"] else ""
    event = event_type(
        str(row["id"]),
        agent_id,
        uow.now,
        kind=kind,
        priority=row["priority"],
        category=row["category"],
        due_at=row["due"],
    )
    uow.outbox.add(SUPERVISORS_KEY, event)
    if agent_id:
        uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def reassign(uow: RouterUnitOfWork, routing: Routing) -> int:
    """Hand back conversations whose agent left them unanswered or left for longer than the grace,
    and pass on offers nobody accepted in time. The policy's rules decide; the SQL only finds
    the candidates and locks the chosen ones that are still as they were read."""
    policy, staffing = routing.policy, uow.staffing
    unanswered = [
        held
        for held in await staffing.unanswered(BATCH)
        if needs_reassignment(held.since, None, uow.now, routing.targets.target("first_response", held.priority))
    ]
    departed = [h for h in await staffing.held_by_offline(BATCH) if requeue_after_offline(h.since, uow.now, policy)]
    expired = [h for h in await staffing.offers(BATCH) if offer_expired(h.since, uow.now, policy)]
    moved: dict[str, str] = {}
    for held in await staffing.lock_unanswered(unanswered):
        moved[held.conversation_id] = held.agent_id
        await hand_back(uow, held.conversation_id, held.agent_id, "no_first_response")
    for held in await staffing.lock_held_by_offline([h for h in departed if h.conversation_id not in moved]):
        moved[held.conversation_id] = held.agent_id
        await hand_back(uow, held.conversation_id, held.agent_id, "agent_offline")
    for held in await staffing.lock_offers(expired):
        moved[held.conversation_id] = held.agent_id
        await pass_on(uow, held.conversation_id, held.agent_id, "offer_expired")
    if moved:
        await drain_queue(uow, policy, exclude=moved)
    return len(moved)


async def sweep_once(deps: RouterDeps) -> int:
    """One pass over the schedule; returns how many conversations it acted on."""
    routing = deps.settings.routing
    # Replicas' stream reports travel on the bus: while it is down their silence means nothing.
    replicas_can_report = await deps.broker.ping(BROKER_CHECK_TIMEOUT)
    return await deps.uow().run(partial(sweep, routing, replicas_can_report))


async def sweep(routing: Routing, replicas_can_report: bool, uow: RouterUnitOfWork) -> int:
    acted = await presence.expire(uow, routing.policy, replicas_can_report)  # first: hand back at once
    acted += await _breaches(uow) + await _warnings(uow, routing)
    return acted + await reassign(uow, routing)


async def run_escalations(deps: RouterDeps, interval: float) -> None:
    """Sweep forever; a full batch sweeps again at once, an outage waits for the next tick."""
    while True:
        try:
            if await sweep_once(deps) >= BATCH:
                continue
        except UNAVAILABLE as exc:
            log.warning("SLA sweep skipped: %s", type(exc).__name__)
        except Exception:
            log.exception("SLA sweep failed")
        await asyncio.sleep(interval)
