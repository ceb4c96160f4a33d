"""One unit of work: a transaction with its outbox and its clock; commit, then publish.

Every write path runs in one. Two ways in:

    result = await UnitOfWork(pool, publisher).run(work)   # work(uow) runs again, whole, on a conflict
    async with UnitOfWork(pool, lock=key) as uow: ...      # one attempt, for a block that must not re-run

`run` is the default: PostgreSQL may pick any transaction as a deadlock or serialization
victim, and only re-running the whole block (reads included) is correct then, so the block
is a function and the unit of work calls it again. The `async with` form is for blocks that
talk to the outside world (an SMS provider, an SMTP relay) and so cannot be repeated; they
serialize on an advisory `lock` instead.

Inside, `uow.conn` is the connection in its transaction, `uow.outbox` gathers the events
written with it, and `uow.now` is the one instant the whole transaction works with (taken
when it starts, again on each attempt), so rules comparing instants agree with each other.
On success the outbox rows are written, the transaction commits, and the rows are published
(the sweeper publishes what a failed publish leaves). Services subclass it to expose their
repositories (`_enter`), and tests put a fake with the same attributes in its place.
"""

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self, TypeVar

import asyncpg

from shared.db import RETRYABLE
from shared.outbox import Outbox, Publisher, StoredEvent

T = TypeVar("T")
Clock = Callable[[], datetime]
log = logging.getLogger("relaydesk.db")
ATTEMPTS = 5


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """A transaction on `pool`, its outbox (when the service has one: `publisher`) and its clock."""

    conn: asyncpg.Connection
    now: datetime

    def __init__(
        self, pool: asyncpg.Pool, publisher: Publisher | None = None, clock: Clock = utc_now, lock: str | None = None
    ) -> None:
        self.pool, self.publisher, self.clock, self.lock = pool, publisher, clock, lock
        self._outbox: Outbox | None = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._written: list[StoredEvent] = []

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            raise RuntimeError("this unit of work has no outbox (no publisher) or is not running")
        return self._outbox

    async def __aenter__(self) -> Self:
        stack = contextlib.AsyncExitStack()
        self.conn = await stack.enter_async_context(self.pool.acquire())
        try:
            await stack.enter_async_context(self.conn.transaction())
            if self.lock is not None:
                # Whoever works on the same key meanwhile (another replica, a duplicate delivery)
                # waits here, then sees what this one stored.
                await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", self.lock)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        self.now = self.clock()
        self._outbox = Outbox(self.publisher.table) if self.publisher else None
        self._written = []
        self._enter()
        return self

    def _enter(self) -> None:
        """Build what the service reads and writes through on `self.conn` (its repositories)."""

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        assert stack is not None, "not entered"
        events = self._written
        if exc_type is None and self._outbox is not None:
            try:
                events += await self._outbox.write(self.conn)
            except BaseException as failed:
                await stack.__aexit__(type(failed), failed, failed.__traceback__)
                raise
        await stack.__aexit__(exc_type, exc, tb)  # commits, or rolls back; releases the connection
        if exc_type is None and events and self.publisher is not None:
            await self.publisher.publish(events)

    @contextlib.asynccontextmanager
    async def part(self) -> AsyncIterator[Self]:
        """A savepoint with its own outbox: when the block raises, its writes and events are undone
        alone and the unit of work goes on (the notifier's scheduler runs each job in one)."""
        part = copy.copy(self)
        part._outbox = Outbox(self.publisher.table) if self.publisher else None
        async with self.conn.transaction():
            yield part
            if part._outbox is not None:
                self._written += await part._outbox.write(self.conn)

    async def run(self, work: Callable[[Self], Awaitable[T]]) -> T:
        """Run `work` in this unit of work, re-running it whole when PostgreSQL picks it as a victim."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self:
                    return await work(self)
            except RETRYABLE:
                if attempt == ATTEMPTS:
                    raise
                log.info("transaction conflict, retrying (attempt %d)", attempt)
                await asyncio.sleep(0.01 * attempt)
        raise AssertionError("unreachable")
