"""The durable scheduler: jobs in PostgreSQL, each fired once by whichever replica claims it.

Every replica polls `scheduled_jobs` for due rows of the kinds it handles, claims a batch with
`FOR UPDATE SKIP LOCKED` (so replicas never wait on or share a job), and runs each job's
handler in the same transaction that marks the job done. The handler's effects, its outbox
events and the mark commit together: a crash or SIGKILL before the commit rolls everything
back and the job is due again for the next look, of this replica after a restart or of
another; after the commit it is done for good. Late jobs are simply due: they fire on the
first look after start. A handler that raises is retried with backoff (its savepoint rolled
back alone), and parked as `failed` after `MAX_FAILURES`.
"""

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import msgspec

from services.notifier.timing import job_retry_at
from shared.db import RETRYABLE, UNAVAILABLE, in_transaction
from shared.metrics import JOBS_RUN
from shared.outbox import Outbox, OutboxTable, StoredEvent

log = logging.getLogger("relaydesk.notifier.scheduler")
BATCH = 50
MAX_FAILURES = 10
PRUNE_INTERVAL = 60.0
_encoder = msgspec.json.Encoder()


class Job(msgspec.Struct, frozen=True):
    id: int
    kind: str
    key: str
    payload: dict
    due_at: datetime
    failures: int


JobHandler = Callable[[asyncpg.Connection, Job, Outbox], Awaitable[datetime | None]]
"""Does the job's work on the claiming transaction; returns None when done, or when to run again."""

CLAIM = (
    "SELECT id, kind, dedupe_key, payload::text AS payload, due_at, attempts FROM scheduled_jobs"
    " WHERE state = 'pending' AND due_at <= now() AND kind = ANY($1::text[])"
    " ORDER BY due_at, id LIMIT $2 FOR UPDATE SKIP LOCKED"
)


async def schedule(conn: asyncpg.Connection, kind: str, key: str, due_at: datetime, payload: dict) -> bool:
    """Schedule a job once; False when a job with this key exists already, whatever its state."""
    return bool(
        await conn.fetchval(
            "INSERT INTO scheduled_jobs (kind, dedupe_key, payload, due_at) VALUES ($1, $2, $3::jsonb, $4)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING true",
            kind,
            key,
            _encoder.encode(payload).decode(),
            due_at,
        )
    )


class Scheduler:
    """Fires due jobs of the kinds in `handlers`, writing their events to `outbox`."""

    def __init__(self, pool: asyncpg.Pool, outbox: OutboxTable, handlers: dict[str, JobHandler]) -> None:
        self.pool, self.outbox, self.handlers = pool, outbox, handlers
        self.replica = f"{socket.gethostname()}/{os.getpid()}"

    async def fire_due(self, batch: int = BATCH) -> tuple[int, list[StoredEvent]]:
        """Fire one batch of due jobs in one transaction; return how many, and the events to publish."""

        async def work(conn: asyncpg.Connection) -> tuple[int, list[StoredEvent]]:
            events: list[StoredEvent] = []
            rows = await conn.fetch(CLAIM, list(self.handlers), batch)
            for row in rows:
                job = Job(
                    row["id"],
                    row["kind"],
                    row["dedupe_key"],
                    msgspec.json.decode(row["payload"]),
                    row["due_at"],
                    row["attempts"],
                )
                events += await self._fire(conn, job)
            return len(rows), events

        return await in_transaction(self.pool, work)

    async def _fire(self, conn: asyncpg.Connection, job: Job) -> list[StoredEvent]:
        outbox = Outbox(self.outbox)
        try:
            async with conn.transaction():  # a savepoint: a failing job rolls back alone
                again = await self.handlers[job.kind](conn, job, outbox)
                events = await outbox.write(conn)
                await conn.execute(
                    "UPDATE scheduled_jobs SET state = CASE WHEN $2::timestamptz IS NULL THEN 'done' ELSE state END,"
                    " due_at = COALESCE($2, due_at), fired_at = CASE WHEN $2::timestamptz IS NULL THEN now() END,"
                    " claimed_by = $3 WHERE id = $1",
                    job.id,
                    again,
                    self.replica,
                )
        except RETRYABLE:
            raise  # a deadlock victim: the whole batch is retried
        except Exception as exc:
            failures = job.failures + 1
            log.exception("job %s (%s) failed, attempt %d", job.key, job.kind, failures)
            JOBS_RUN.labels(job.kind, "failed").inc()
            await conn.execute(
                "UPDATE scheduled_jobs SET attempts = $2, last_error = $3, due_at = $4, claimed_by = $5,"
                " state = CASE WHEN $2::integer >= $6::integer THEN 'failed' ELSE 'pending' END WHERE id = $1",
                job.id,
                failures,
                f"{type(exc).__name__}: {exc}"[:1000],
                job_retry_at(failures, datetime.now(UTC)),
                self.replica,
                MAX_FAILURES,
            )
            return []
        JOBS_RUN.labels(job.kind, "again" if again else "done").inc()
        return events

    async def prune(self, retention_days: int) -> None:
        """Forget a batch of jobs done longer ago than the retention (failed ones stay for a look)."""
        await self.pool.execute(
            "DELETE FROM scheduled_jobs WHERE id IN (SELECT id FROM scheduled_jobs WHERE state = 'done'"
            " AND fired_at < now() - make_interval(days => $1) LIMIT 500)",
            retention_days,
        )

    async def run(
        self, publish: Callable[[list[StoredEvent]], Awaitable[None]], interval: float, retention_days: int
    ) -> None:
        """Fire due jobs forever; a full batch looks again at once, an outage waits for the next tick."""
        pruned_at = 0.0
        while True:
            try:
                fired, events = await self.fire_due()
                await publish(events)
                if time.monotonic() - pruned_at > PRUNE_INTERVAL:
                    await self.prune(retention_days)
                    pruned_at = time.monotonic()
                if fired >= BATCH:
                    continue
            except UNAVAILABLE as exc:
                log.warning("scheduler look skipped: %s", type(exc).__name__)
            except Exception:
                log.exception("scheduler look failed")
            await asyncio.sleep(interval)
