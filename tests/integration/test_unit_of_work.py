"""The unit of work against a real PostgreSQL and RabbitMQ: commit then publish, roll back whole,
re-run a deadlock victim whole with a fresh clock, undo a failing part alone."""

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import aio_pika
import msgspec
import pytest

from services.router.db.uow import OUTBOX
from shared import db
from shared.broker import declare_topology, make_broker
from shared.outbox import PublishedMarks, Publisher
from shared.uow import UnitOfWork
from tests.support import wait_until

pytestmark = pytest.mark.integration

KEY = "assignment.probe"


class Probe(msgspec.Struct, frozen=True):
    n: int


@pytest.fixture
async def parts(settings):
    """(pool, publisher, probe queue): events routed to KEY land in the probe queue."""
    pool = await db.create_pool(settings.database_url, 4, "router")
    await pool.execute("CREATE TABLE effects (n integer PRIMARY KEY, note text NOT NULL DEFAULT '')")
    broker = make_broker(settings)
    await broker.connect()
    await declare_topology(broker, settings)
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    probe = await channel.declare_queue(exclusive=True)
    await probe.bind(await channel.get_exchange("relaydesk"), KEY)
    try:
        yield pool, Publisher(broker, PublishedMarks(pool, OUTBOX)), probe
    finally:
        await connection.close()
        await broker.stop()
        await pool.close()


async def effects(pool) -> list[int]:
    return [r["n"] for r in await pool.fetch("SELECT n FROM effects ORDER BY n")]


async def test_events_are_published_after_their_transaction_commits(parts):
    pool, publisher, probe = parts

    async def work(uow: UnitOfWork) -> str:
        await uow.conn.execute("INSERT INTO effects (n) VALUES (1)")
        uow.outbox.add(KEY, Probe(1))
        return "done"

    assert await UnitOfWork(pool, publisher).run(work) == "done"
    message = await wait_until(lambda: probe.get(fail=False), what="the event")
    assert msgspec.json.decode(message.body, type=Probe) == Probe(1)
    assert await effects(pool) == [1]  # committed before anyone could hear of it
    assert await publisher.marks.flush()
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") == 1


async def test_a_block_that_raises_stores_and_publishes_nothing(parts):
    pool, publisher, probe = parts

    async def work(uow: UnitOfWork) -> None:
        await uow.conn.execute("INSERT INTO effects (n) VALUES (1)")
        uow.outbox.add(KEY, Probe(1))
        raise LookupError("refused")

    with pytest.raises(LookupError):
        await UnitOfWork(pool, publisher).run(work)
    assert await effects(pool) == []
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await probe.get(fail=False) is None


async def test_a_deadlock_victim_runs_again_whole_with_a_fresh_clock(parts):
    pool, publisher, _ = parts
    await pool.execute("INSERT INTO effects (n) VALUES (1), (2)")
    ticks = itertools.count()
    clock = lambda: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(ticks))  # noqa: E731
    attempts: list[tuple[int, datetime]] = []
    both_hold_one = asyncio.Barrier(2)

    async def cross(first: int, second: int, uow: UnitOfWork) -> None:
        attempts.append((first, uow.now))
        await uow.conn.execute("UPDATE effects SET note = note || $2 WHERE n = $1", first, f"{first}>")
        if len(attempts) <= 2:
            await both_hold_one.wait()  # each holds its first row: taking the second deadlocks one of them
        await uow.conn.execute("UPDATE effects SET note = note || $2 WHERE n = $1", second, f"{first}>")
        uow.outbox.add(KEY, Probe(first))

    await asyncio.gather(
        UnitOfWork(pool, publisher, clock).run(lambda uow: cross(1, 2, uow)),
        UnitOfWork(pool, publisher, clock).run(lambda uow: cross(2, 1, uow)),
    )
    assert sorted(n for n, _ in attempts) in ([1, 1, 2], [1, 2, 2])  # one of them ran twice
    assert len({at for _, at in attempts}) == 3  # each attempt its own instant
    notes = {r["n"]: r["note"] for r in await pool.fetch("SELECT n, note FROM effects")}
    assert sorted(notes[1].split(">")[:-1]) == sorted(notes[2].split(">")[:-1]) == ["1", "2"]  # each once
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 2  # the victim's first events went with it


async def test_a_failing_part_is_undone_alone(parts):
    pool, publisher, probe = parts

    async def work(uow: UnitOfWork) -> None:
        for n in (1, 2, 3):
            try:
                async with uow.part() as part:
                    await part.conn.execute("INSERT INTO effects (n) VALUES ($1)", n)
                    part.outbox.add(KEY, Probe(n))
                    if n == 2:
                        raise ValueError("this one fails")
            except ValueError:
                pass

    await UnitOfWork(pool, publisher).run(work)
    assert await effects(pool) == [1, 3]
    heard = []
    for _ in range(2):
        message = await wait_until(lambda: probe.get(fail=False), what="an event")
        heard.append(msgspec.json.decode(message.body, type=Probe).n)
    assert sorted(heard) == [1, 3]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 2
