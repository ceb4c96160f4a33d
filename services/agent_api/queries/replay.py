"""What a reconnecting stream missed: events after an id, from every outbox that feeds the streams.

The router's `outbox` and the notifier's `notifier_outbox` draw ids from one sequence, so a
single `?after=<id>` resumes both. An agent gets the events addressed to them; a supervisor
also gets those every supervisor sees (`assignment.supervisors`), as the live stream does.
"""

import uuid

import asyncpg

from contracts.topology import SUPERVISORS_KEY

SOURCES = ("outbox", "notifier_outbox")
PAGE = 1000


def _query(supervisor: bool) -> str:
    """Each source's rows in id order, merged; the supervisors' key is inlined so the planner can
    use its partial index (it is a constant, never user input)."""
    everyone = SUPERVISORS_KEY.replace("'", "''")
    parts = []
    for table in SOURCES:
        parts.append(
            f"(SELECT id, payload FROM {table} WHERE agent_id = $1 AND routing_key <> '{everyone}'"
            " AND id > $2 ORDER BY id LIMIT $3)"
        )
        if supervisor:
            parts.append(
                f"(SELECT id, payload FROM {table} WHERE routing_key = '{everyone}' AND id > $2 ORDER BY id LIMIT $3)"
            )
    return " UNION ALL ".join(parts) + " ORDER BY id LIMIT $3"


QUERIES = {supervisor: _query(supervisor) for supervisor in (False, True)}


def _latest_query(supervisor: bool) -> str:
    """The highest id of the caller's events over every source (0 when none): where a stream opened
    without `after` stands, so a catch-up after a broker outage knows where to replay from."""
    everyone = SUPERVISORS_KEY.replace("'", "''")
    parts = []
    for table in SOURCES:
        parts.append(f"(SELECT max(id) FROM {table} WHERE agent_id = $1 AND routing_key <> '{everyone}')")
        if supervisor:
            parts.append(f"(SELECT max(id) FROM {table} WHERE routing_key = '{everyone}')")
    return f"SELECT COALESCE(GREATEST({', '.join(parts)}), 0)"


LATEST = {supervisor: _latest_query(supervisor) for supervisor in (False, True)}


async def events_after(
    pool: asyncpg.Pool, agent_id: str, after: int, supervisor: bool = False, limit: int = PAGE
) -> list[asyncpg.Record]:
    """Up to `limit` of the caller's events with ids above `after`, in id order."""
    return await pool.fetch(QUERIES[supervisor], uuid.UUID(agent_id), after, limit)


async def latest_id(pool: asyncpg.Pool, agent_id: str, supervisor: bool = False) -> int:
    """The id of the caller's newest event, or 0."""
    return await pool.fetchval(LATEST[supervisor], uuid.UUID(agent_id))
