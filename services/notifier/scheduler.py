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
from datetime import datetime

import asyncpg
import msgspec

from services.notifier.timing import job_retry_at
from shared.db import RETRYABLE, UNAVAILABLE
from shared.metrics import JOBS_RUN
from shared.outbox import Publisher
from shared.uow import Clock, UnitOfWork, utc_now

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


JobHandler = Callable[[UnitOfWork, Job], Awaitable[datetime | None]]
"""Does the job's work in a part (savepoint) of the claiming unit of work; returns None when done,
or when to run again."""

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
    """Fires due jobs of the kinds in `handlers`, publishing their events with `publisher`."""

    def __init__(
        self, pool: asyncpg.Pool, publisher: Publisher | None, handlers: dict[str, JobHandler], clock: Clock = utc_now
    ) -> None:
        self.pool, self.publisher, self.handlers, self.clock = pool, publisher, handlers, clock
        self.replica = f"{socket.gethostname()}/{os.getpid()}"

    async def fire_due(self, batch: int = BATCH) -> int:
        """Fire one batch of due jobs in one unit of work, its events published after; return how many."""

        async def work(uow: UnitOfWork) -> int:
            rows = await uow.conn.fetch(CLAIM, list(self.handlers), batch)
            for row in rows:
                job = Job(
                    row["id"],
                    row["kind"],
                    row["dedupe_key"],
                    msgspec.json.decode(row["payload"]),
                    row["due_at"],
                    row["attempts"],
                )
                await self._fire(uow, job)
            return len(rows)

        return await UnitOfWork(self.pool, self.publisher, self.clock).run(work)

    async def _fire(self, uow: UnitOfWork, job: Job) -> None:
        try:
            async with uow.part() as part:  # a savepoint: a failing job rolls back alone, events too
                again = await self.handlers[job.kind](part, job)
                await part.conn.execute(
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
            await uow.conn.execute(
                "UPDATE scheduled_jobs SET attempts = $2, last_error = $3, due_at = $4, claimed_by = $5,"
                " state = CASE WHEN $2::integer >= $6::integer THEN 'failed' ELSE 'pending' END WHERE id = $1",
                job.id,
                failures,
                f"{type(exc).__name__}: {exc}"[:1000],
                job_retry_at(failures, uow.now),
                self.replica,
                MAX_FAILURES,
            )
            return
        JOBS_RUN.labels(job.kind, "again" if again else "done").inc()

    async def prune(self, retention_days: int) -> None:
        """Forget a batch of jobs done longer ago than the retention (failed ones stay for a look)."""
        await self.pool.execute(
            "DELETE FROM scheduled_jobs WHERE id IN (SELECT id FROM scheduled_jobs WHERE state = 'done'"
            " AND fired_at < now() - make_interval(days => $1) LIMIT 500)",
            retention_days,
        )

    async def run(self, interval: float, retention_days: int) -> None:
        """Fire due jobs forever; a full batch looks again at once, an outage waits for the next tick."""
        pruned_at = 0.0
        while True:
            try:
                fired = await self.fire_due()
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
