"""The transactional outbox: events commit with the state they describe, then get published.

Each writing service has its own outbox table (the router's `outbox`, the notifier's
`notifier_outbox`). The handler publishes its own rows right after the commit; a sweeper
publishes what a crash or a broker outage left behind. Publishing is at-least-once, so
consumers dedupe (agent streams by event id, web chat by reply seq).
"""

import asyncio
import logging
import time

import asyncpg
import msgspec
from faststream.rabbit import RabbitBroker

from contracts.topology import agent_event_key
from shared.broker import publish_encoded
from shared.db import UNAVAILABLE
from shared.logs import message_id_var
from shared.metrics import PUBLISHED

log = logging.getLogger("relaydesk.outbox")
_encoder = msgspec.json.Encoder()

STREAM_PREFIX = agent_event_key("")
"""Routing keys of agents' and supervisors' streams (`assignment.<agent>`, `assignment.supervisors`)."""
SWEEP_GRACE_SECONDS = 5
SWEEP_BATCH = 500
PRUNE_INTERVAL = 60.0


class OutboxTable(msgspec.Struct, frozen=True):
    """One service's outbox: its table, the service named in metrics, and what is pruned with it."""

    name: str
    service: str
    pruned_with: tuple[tuple[str, str], ...] = ()
    """(table, timestamp column) pairs of the service's bookkeeping kept as long as its events."""


class PendingEvent(msgspec.Struct, frozen=True):
    routing_key: str
    payload: bytes
    agent_id: str | None = None


class StoredEvent(msgspec.Struct, frozen=True):
    id: int
    routing_key: str
    payload: bytes
    correlation_id: str | None = None


class Outbox:
    """Events gathered while a transaction runs, written by it in one statement."""

    def __init__(self, table: OutboxTable) -> None:
        self.table = table
        self.pending: list[PendingEvent] = []

    def add(self, routing_key: str, event: msgspec.Struct, agent_id: str | None = None) -> None:
        self.pending.append(PendingEvent(routing_key, _encoder.encode(event), agent_id))

    async def write(self, conn: asyncpg.Connection) -> list[StoredEvent]:
        """Insert the events, tagged with the message being handled so logs can follow it."""
        if not self.pending:
            return []
        if streams := sorted({e.routing_key for e in self.pending if e.routing_key.startswith(STREAM_PREFIX)}):
            # Events for one agent's stream commit in id order: a later transaction waits here for an
            # earlier one, so a client resuming `?after=<id>` never skips an id that committed late.
            # Sorted keys, so two transactions never wait for each other.
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(k, 7)) FROM unnest($1::text[]) AS k", streams
            )
        correlation_id = message_id_var.get()
        rows = await conn.fetch(
            f"INSERT INTO {self.table.name} (routing_key, payload, agent_id, correlation_id)"
            " SELECT r, p, a, $4 FROM unnest($1::text[], $2::bytea[], $3::uuid[]) AS u(r, p, a) RETURNING id",
            [e.routing_key for e in self.pending],
            [e.payload for e in self.pending],
            [e.agent_id for e in self.pending],
            correlation_id,
        )
        return [
            StoredEvent(row["id"], event.routing_key, event.payload, correlation_id)
            for row, event in zip(rows, self.pending, strict=True)
        ]


class PublishedMarks:
    """Ids published by handlers, marked in one UPDATE per short window instead of one each.

    A crash before the mark only means the sweeper publishes those events again, which
    consumers already tolerate.
    """

    WINDOW = 0.02
    RETRY_AFTER = 1.0

    def __init__(self, pool: asyncpg.Pool, table: OutboxTable) -> None:
        self.pool, self.table = pool, table
        self.ids: list[int] = []
        self.pending = asyncio.Event()

    def add(self, ids: list[int]) -> None:
        self.ids.extend(ids)
        self.pending.set()

    async def flush(self) -> bool:
        """Mark what was gathered; False (ids kept for the next try) when the database refused."""
        ids, self.ids = self.ids, []
        self.pending.clear()
        if not ids:
            return True
        try:
            await self.pool.execute(
                f"UPDATE {self.table.name} SET published_at = now() WHERE id = ANY($1::bigint[])", ids
            )
        except UNAVAILABLE as exc:
            log.warning("marking %d %s events failed, will retry: %s", len(ids), self.table.name, exc)
            self.add(ids)
            return False
        return True

    async def run(self) -> None:
        """Flush forever; cancelled at shutdown after a last flush by the owner."""
        while True:
            await self.pending.wait()
            await asyncio.sleep(self.WINDOW)  # gather the ids of handlers running meanwhile
            if not await self.flush():
                await asyncio.sleep(self.RETRY_AFTER)  # not 50 failing UPDATEs a second in an outage


class Publisher:
    """Where a service's committed outbox rows go: the broker, then the marks that note them published."""

    def __init__(self, broker: RabbitBroker, marks: PublishedMarks) -> None:
        self.broker, self.marks = broker, marks

    @property
    def table(self) -> OutboxTable:
        return self.marks.table

    async def publish(self, events: list[StoredEvent]) -> None:
        await publish_events(self.broker, self.marks, events)


async def publish_events(broker: RabbitBroker, marks: PublishedMarks, events: list[StoredEvent]) -> None:
    """Publish committed events and have them marked; on failure leave them to the sweeper."""
    if not events:
        return
    try:
        await asyncio.gather(*(_publish(broker, marks.table, event) for event in events))
    except (TimeoutError, OSError, ConnectionError) as exc:
        log.warning("outbox publish deferred to the sweeper: %s", exc)
        return
    marks.add([event.id for event in events])


async def _publish(broker: RabbitBroker, table: OutboxTable, event: StoredEvent) -> None:
    await publish_encoded(
        broker,
        event.payload,
        event.routing_key,
        message_id=str(event.id),
        correlation_id=event.correlation_id or str(event.id),
    )
    PUBLISHED.labels(table.service, event.routing_key.partition(".")[0]).inc()


async def sweep_once(broker: RabbitBroker, pool: asyncpg.Pool, table: OutboxTable) -> int:
    """Publish events left unpublished past the grace period; return how many."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            f"SELECT id, routing_key, payload, correlation_id FROM {table.name} WHERE published_at IS NULL"
            " AND created_at < now() - make_interval(secs => $1)"
            " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
            SWEEP_GRACE_SECONDS,
            SWEEP_BATCH,
        )
        events = [StoredEvent(r["id"], r["routing_key"], r["payload"], r["correlation_id"]) for r in rows]
        for event in events:
            await _publish(broker, table, event)
        await conn.execute(
            f"UPDATE {table.name} SET published_at = now() WHERE id = ANY($1::bigint[])",
            [event.id for event in events],
        )
    if events:
        log.info("sweeper published %d %s events", len(events), table.name)
    return len(events)


async def prune_once(pool: asyncpg.Pool, table: OutboxTable, retention_days: int) -> int:
    """Delete a batch of published events older than the retention; return how many.

    Streams resume from the outbox only across short disconnects; history lives elsewhere.
    Applied-command ids go too: a command is redelivered within minutes, never after days.
    """
    for other, column in table.pruned_with:
        await pool.execute(f"DELETE FROM {other} WHERE {column} < now() - make_interval(days => $1)", retention_days)
    status = await pool.execute(
        f"DELETE FROM {table.name} WHERE id IN (SELECT id FROM {table.name} WHERE published_at IS NOT NULL"
        " AND created_at < now() - make_interval(days => $1) ORDER BY id LIMIT $2)",
        retention_days,
        SWEEP_BATCH,
    )
    return int(status.rpartition(" ")[2])


async def run_sweeper(
    broker: RabbitBroker, pool: asyncpg.Pool, table: OutboxTable, interval: float, retention_days: int
) -> None:
    """Sweep and prune forever; a failed round is logged and tried again next interval."""
    pruned_at = 0.0
    while True:
        try:
            await sweep_once(broker, pool, table)
            if time.monotonic() - pruned_at > PRUNE_INTERVAL:
                await prune_once(pool, table, retention_days)
                pruned_at = time.monotonic()
        except UNAVAILABLE as exc:  # a refused publish is a ConnectionError, an OSError
            log.warning("%s sweep failed: %s", table.name, exc)
        await asyncio.sleep(interval)
