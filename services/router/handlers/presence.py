"""Presence follows the agents' streams (router edge): apply replicas' stream reports, expire the rest.

Agent API replicas report, absolutely and numbered, which agents hold a stream on them
(`ReportStreams`). An agent's first stream anywhere starts a session (online, unless they
chose a status after opening it); their last one closing starts the grace period, after which
the sweeper sets them offline unless a stream came back on any replica. A replica that stops
reporting (killed, cut off) is expired by the sweeper, which is what it would have reported.
An explicit status (`SetAgentStatus`) is recorded as the agent's choice and holds for the
session: streams opening or closing meanwhile do not overrule it.
"""

from datetime import datetime, timedelta

import asyncpg

from contracts import ReportStreams
from domain.policy import Policy, arrival_sets_online, presence_change
from services.router.db.uow import RouterUnitOfWork
from services.router.handlers.dispatch import drain_queue

BATCH = 100

RECORD_REPLICA = (
    "INSERT INTO stream_replicas (replica_id, seq, expires_at) VALUES ($1, $2, now() + $3::interval)"
    " ON CONFLICT (replica_id) DO UPDATE SET seq = EXCLUDED.seq, seen_at = now(), expires_at = EXCLUDED.expires_at"
    " WHERE stream_replicas.seq < EXCLUDED.seq RETURNING true"
)
LOCK_AGENTS = (
    "SELECT s.agent_id::text AS agent_id, s.chosen_at, s.disconnected_at IS NOT NULL AS lingering"
    " FROM agent_state s JOIN agents a ON a.id = s.agent_id"
    " WHERE s.agent_id = ANY($1::uuid[]) ORDER BY s.agent_id FOR UPDATE OF s"
)
CONNECTED = "SELECT DISTINCT agent_id::text FROM agent_streams WHERE agent_id = ANY($1::uuid[])"


async def apply_report(uow: RouterUnitOfWork, report: ReportStreams, policy: Policy) -> None:
    """Store one replica's streams and turn the agents whose first stream opened or last one closed."""
    conn = uow.conn
    expires_in = timedelta(seconds=report.expires_in_s)
    if not await conn.fetchval(RECORD_REPLICA, report.replica_id, report.seq, expires_in):
        return  # older than a report already applied
    held = {
        str(r["agent_id"]): r["opened_at"]
        for r in await conn.fetch(
            "SELECT agent_id, opened_at FROM agent_streams WHERE replica_id = $1", report.replica_id
        )
    }
    changed = sorted(held.keys() ^ report.streams.keys())
    if not changed and held == report.streams:
        return
    states = await _lock(conn, changed)
    before = await _connected(conn, changed)
    await _store_streams(conn, report.replica_id, held, report.streams)
    after = await _connected(conn, changed)
    arrived = False
    for agent_id, state in states.items():
        presence = "connected" if agent_id in before else "lingering" if state["lingering"] else "absent"
        match presence_change(presence, agent_id in after):
            case "arrived":
                if arrival_sets_online(state["chosen_at"], report.streams[agent_id]):
                    await uow.staffing.set_agent_status(agent_id, "online")
                    arrived = True
            case "returned":
                await _set_disconnected(conn, [agent_id], None)
            case "left":
                await _set_disconnected(conn, [agent_id], uow.now)
    if arrived:
        await drain_queue(uow, policy)


async def expire(uow: RouterUnitOfWork, policy: Policy, replicas_can_report: bool) -> int:
    """Drop the streams of replicas past their expiry (only while the bus works, or their silence
    means nothing), and set offline the agents gone for longer than the grace; return how many."""
    conn = uow.conn
    dropped = await _expire_replicas(conn, uow.now) if replicas_can_report else 0
    gone = await conn.fetch(
        "UPDATE agent_state s SET status = 'offline', disconnected_at = NULL,"
        # Offline since they left: the offline grace for their conversations counts from then.
        "  changed_at = CASE WHEN s.status = 'offline' THEN s.changed_at ELSE s.disconnected_at END"
        " FROM (SELECT agent_id FROM agent_state WHERE disconnected_at < now() - $1::interval"
        "  ORDER BY agent_id LIMIT $2 FOR UPDATE SKIP LOCKED) AS lapsed"
        " WHERE s.agent_id = lapsed.agent_id RETURNING s.agent_id",
        timedelta(seconds=policy.presence_grace_s),
        BATCH,
    )
    return dropped + len(gone)


async def _expire_replicas(conn: asyncpg.Connection, now: datetime) -> int:
    dead = await conn.fetchval(
        "SELECT array_agg(replica_id) FROM (SELECT replica_id FROM stream_replicas WHERE expires_at < now()"
        " ORDER BY replica_id LIMIT $1 FOR UPDATE SKIP LOCKED) AS d",
        BATCH,
    )
    if not dead:
        return 0
    agents = [
        r["agent_id"]
        for r in await conn.fetch("SELECT DISTINCT agent_id::text FROM agent_streams WHERE replica_id = ANY($1)", dead)
    ]
    await _lock(conn, agents)
    await conn.execute("DELETE FROM stream_replicas WHERE replica_id = ANY($1)", dead)  # their streams go too
    still = await _connected(conn, agents)
    await _set_disconnected(conn, [a for a in agents if a not in still], now)
    return len(dead)


async def _lock(conn: asyncpg.Connection, agent_ids: list[str]) -> dict[str, asyncpg.Record]:
    """Lock the agents' state rows (made when missing), in id order so no two routers deadlock."""
    await conn.execute(
        "INSERT INTO agent_state (agent_id, status) SELECT id, 'offline' FROM agents WHERE id = ANY($1::uuid[])"
        " ORDER BY id ON CONFLICT DO NOTHING",
        agent_ids,
    )
    return {r["agent_id"]: r for r in await conn.fetch(LOCK_AGENTS, agent_ids)}


async def _connected(conn: asyncpg.Connection, agent_ids: list[str]) -> set[str]:
    """Which of the agents hold a stream on some replica. Read after `_lock`: a statement that
    waited for a lock would still read with its older snapshot."""
    return {r["agent_id"] for r in await conn.fetch(CONNECTED, agent_ids)}


async def _store_streams(
    conn: asyncpg.Connection, replica_id: str, held: dict[str, datetime], reported: dict[str, datetime]
) -> None:
    """Make the replica's rows what it reported: only the differences are written."""
    await conn.execute(
        "DELETE FROM agent_streams WHERE replica_id = $1 AND agent_id = ANY($2::uuid[])",
        replica_id,
        [a for a in held if a not in reported],
    )
    fresh = {a: at for a, at in reported.items() if held.get(a) != at}
    await conn.execute(
        "INSERT INTO agent_streams (agent_id, replica_id, opened_at)"
        " SELECT u.a, $1, u.o FROM unnest($2::uuid[], $3::timestamptz[]) AS u(a, o) JOIN agents ON agents.id = u.a"
        " ON CONFLICT (agent_id, replica_id) DO UPDATE SET opened_at = EXCLUDED.opened_at",
        replica_id,
        list(fresh),
        list(fresh.values()),
    )


async def _set_disconnected(conn: asyncpg.Connection, agent_ids: list[str], since: datetime | None) -> None:
    await conn.execute("UPDATE agent_state SET disconnected_at = $2 WHERE agent_id = ANY($1::uuid[])", agent_ids, since)
