"""Supervisor statistics: read-only SQL over the router's tables for a range [start, end).

Conversation statistics take the conversations *created* in the range as their cohort and
report where they stand now; breaches, survey answers and (per agent) resolutions count by
when they happened. Durations are in seconds; percentiles interpolate (percentile_cont).
"""

from datetime import datetime

import asyncpg

from domain.priority import PRIORITIES, rank_sql

Db = asyncpg.Pool | asyncpg.Connection
FIELDS = ("category", "channel")
UNITS = ("hour", "day")

CREATED = "created_at >= $1 AND created_at < $2"
RANK = rank_sql("priority")
"""Rows come most urgent first, the total ('all') last."""
PRIORITY_OR_ALL = "CASE WHEN grouping(priority) = 1 THEN 'all' ELSE priority END AS priority"
BY_PRIORITY = f"GROUP BY GROUPING SETS ((priority), ()) ORDER BY grouping(priority), {RANK}, priority"
FIRST_RESPONSE_S = "extract(epoch FROM first_response_at - created_at)"
RESOLUTION_S = "extract(epoch FROM resolved_at - created_at)"
SELF_SERVED = (
    # A bot-answered conversation that later went to the queue did need a person.
    "status = 'bot' OR (bot_answered_at IS NOT NULL AND agent_id IS NULL"
    " AND first_response_at IS NULL AND status = 'resolved')"
)


async def volume_by_field(db: Db, start: datetime, end: datetime, field: str) -> list[dict]:
    """Conversations created in the range per category or channel, the busiest first."""
    if field not in FIELDS:
        raise ValueError(f"cannot group by {field!r}")
    rows = await db.fetch(
        f"SELECT {field}, count(*) AS count FROM conversations WHERE {CREATED}"
        f" GROUP BY {field} ORDER BY count DESC, {field}",
        start,
        end,
    )
    return [dict(row) for row in rows]


async def volume_over_time(db: Db, start: datetime, end: datetime, unit: str, tz: str) -> list[dict]:
    """Conversations created per local hour or day in `tz`, every bucket of the range, empty ones as 0."""
    if unit not in UNITS:
        raise ValueError(f"cannot bucket by {unit!r}")
    rows = await db.fetch(
        "WITH counted AS (SELECT date_trunc($3, created_at AT TIME ZONE $4) AS bucket, count(*) AS count"
        f"  FROM conversations WHERE {CREATED} GROUP BY 1)"
        " SELECT s.bucket, COALESCE(c.count, 0) AS count"
        " FROM generate_series(date_trunc($3, $1 AT TIME ZONE $4), $2 AT TIME ZONE $4, ('1 ' || $3)::interval)"
        "  AS s (bucket) LEFT JOIN counted c USING (bucket)"
        " WHERE s.bucket < $2 AT TIME ZONE $4 ORDER BY s.bucket",
        start,
        end,
        unit,
        tz,
    )
    return [{unit: row["bucket"].date() if unit == "day" else row["bucket"], "count": row["count"]} for row in rows]


async def response_times(db: Db, start: datetime, end: datetime) -> list[dict]:
    """First-response and resolution time p50/p90 per priority and overall, from creation."""
    rows = await db.fetch(
        f"SELECT {PRIORITY_OR_ALL}, count(*) AS conversations, count(first_response_at) AS responded,"
        f" percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {FIRST_RESPONSE_S}) AS first_response,"
        " count(*) FILTER (WHERE status = 'resolved') AS resolved,"
        f" percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {RESOLUTION_S})"
        "  FILTER (WHERE status = 'resolved') AS resolution"
        f" FROM conversations WHERE {CREATED} {BY_PRIORITY}",
        start,
        end,
    )
    return [
        {
            "priority": row["priority"],
            "conversations": row["conversations"],
            "responded": row["responded"],
            **_percentiles("first_response", row["first_response"]),
            "resolved": row["resolved"],
            **_percentiles("resolution", row["resolution"]),
        }
        for row in rows
    ]


def _percentiles(name: str, values: list[float] | None) -> dict:
    p50, p90 = values or (None, None)
    return {f"{name}_p50_s": p50, f"{name}_p90_s": p90}


async def resolution(db: Db, start: datetime, end: datetime) -> list[dict]:
    """Of the conversations created in the range, how many are resolved, per priority and overall."""
    rows = await db.fetch(
        f"SELECT {PRIORITY_OR_ALL}, count(*) AS created, count(*) FILTER (WHERE status = 'resolved') AS resolved,"
        " (count(*) FILTER (WHERE status = 'resolved'))::float8 / NULLIF(count(*), 0) AS rate"
        f" FROM conversations WHERE {CREATED} {BY_PRIORITY}",
        start,
        end,
    )
    return [dict(row) for row in rows]


async def sla_breaches(db: Db, start: datetime, end: datetime) -> list[dict]:
    """Breaches that happened in the range per kind and priority, with totals per kind and overall."""
    rows = await db.fetch(
        "SELECT CASE WHEN grouping(kind) = 1 THEN 'all' ELSE kind END AS kind,"
        f" {PRIORITY_OR_ALL}, count(*) AS breaches"
        " FROM sla_breaches WHERE breached_at >= $1 AND breached_at < $2"
        " GROUP BY GROUPING SETS ((kind, priority), (kind), ())"
        f" ORDER BY grouping(kind), kind, grouping(priority), {RANK}, priority",
        start,
        end,
    )
    return [dict(row) for row in rows]


async def self_service(db: Db, start: datetime, end: datetime) -> dict:
    """How many conversations created in the range the FAQ answered with no person ever needed."""
    row = await db.fetchrow(
        "SELECT count(*) AS conversations, count(bot_answered_at) AS bot_answered,"
        f" count(*) FILTER (WHERE {SELF_SERVED}) AS self_served,"
        f" (count(*) FILTER (WHERE {SELF_SERVED}))::float8 / NULLIF(count(*), 0) AS rate"
        f" FROM conversations WHERE {CREATED}",
        start,
        end,
    )
    return dict(row)


async def csat(db: Db, start: datetime, end: datetime) -> dict:
    """Survey answers given in the range: how many, their average (None without any), and per score."""
    scores = ", ".join(f"count(*) FILTER (WHERE score = {score}) AS s{score}" for score in range(1, 6))
    row = await db.fetchrow(
        f"SELECT count(*) AS responses, avg(score)::float8 AS average, {scores}"
        " FROM csat_responses WHERE answered_at >= $1 AND answered_at < $2",
        start,
        end,
    )
    return {
        "responses": row["responses"],
        "average": row["average"],
        "distribution": {str(score): row[f"s{score}"] for score in range(1, 6)},
    }


async def live(db: Db) -> dict:
    """Right now: the queue per priority and its longest wait, open conversations, agents online."""
    rows = await db.fetch(
        "SELECT status, priority, count(*) AS count, extract(epoch FROM now() - min(queued_at))::float8 AS wait"
        " FROM conversations WHERE status <> 'resolved' GROUP BY status, priority"
    )
    online = await db.fetchval("SELECT count(*) FROM agent_state WHERE status = 'online'")
    queued = dict.fromkeys(PRIORITIES, 0)
    open_ = dict.fromkeys(("bot", "queued", "assigned"), 0)
    waits = []
    for row in rows:
        open_[row["status"]] = open_.get(row["status"], 0) + row["count"]
        if row["status"] == "queued":
            queued[row["priority"]] = queued.get(row["priority"], 0) + row["count"]
            waits.append(row["wait"])
    return {
        "queued": {**queued, "total": sum(queued.values())},
        "longest_wait_s": max((w for w in waits if w is not None), default=None),
        "open": {**open_, "total": sum(open_.values())},
        "agents_online": online,
    }


async def agents(db: Db, start: datetime, end: datetime) -> list[dict]:
    """Per agent: load now, conversations resolved in the range, and how their range's cohort went."""
    rows = await db.fetch(
        "WITH cohort AS (SELECT agent_id, count(*) AS conversations,"
        "   count(*) FILTER (WHERE status = 'resolved') AS resolved,"
        f"  percentile_cont(0.5) WITHIN GROUP (ORDER BY {FIRST_RESPONSE_S}) AS first_response_p50_s"
        f"  FROM conversations WHERE {CREATED} AND agent_id IS NOT NULL GROUP BY agent_id),"
        " handled AS (SELECT agent_id, count(*) AS handled FROM conversations"
        "  WHERE status = 'resolved' AND resolved_at >= $1 AND resolved_at < $2 GROUP BY agent_id),"
        " workload AS (SELECT agent_id, count(*) AS assigned_now FROM conversations"
        "  WHERE status = 'assigned' GROUP BY agent_id),"
        " survey AS (SELECT agent_id, count(*) AS csat_responses, avg(score)::float8 AS csat_average"
        "  FROM csat_responses WHERE answered_at >= $1 AND answered_at < $2 GROUP BY agent_id)"
        " SELECT a.id::text AS agent_id, a.name, a.role, COALESCE(s.status, 'offline') AS status, a.capacity,"
        "  COALESCE(w.assigned_now, 0) AS assigned_now, COALESCE(h.handled, 0) AS handled,"
        "  COALESCE(c.conversations, 0) AS conversations, COALESCE(c.resolved, 0) AS resolved,"
        "  c.resolved::float8 / NULLIF(c.conversations, 0) AS resolution_rate, c.first_response_p50_s,"
        "  COALESCE(v.csat_responses, 0) AS csat_responses, v.csat_average"
        " FROM agents a LEFT JOIN agent_state s ON s.agent_id = a.id"
        " LEFT JOIN cohort c ON c.agent_id = a.id LEFT JOIN handled h ON h.agent_id = a.id"
        " LEFT JOIN workload w ON w.agent_id = a.id LEFT JOIN survey v ON v.agent_id = a.id"
        " ORDER BY a.name",
        start,
        end,
    )
    return [dict(row) for row in rows]
