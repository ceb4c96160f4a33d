"""The durable scheduler against a real PostgreSQL: once per key, effects commit with the mark,
a failing job rolls back alone and backs off, a job can ask to run again, kinds stay apart."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.scheduler import MAX_FAILURES, Scheduler, schedule
from shared import db

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)


async def record_effect(uow, job):
    await uow.conn.execute("INSERT INTO job_effects (key) VALUES ($1)", job.key)


async def fail_after_effect(uow, job):
    await uow.conn.execute("INSERT INTO job_effects (key) VALUES ($1)", job.key)
    raise RuntimeError("the provider said no")


async def again_in_an_hour(uow, job):
    await uow.conn.execute("INSERT INTO job_effects (key) VALUES ($1)", job.key)
    return uow.now + timedelta(hours=1)


@pytest.fixture
async def pool(settings):
    pool = await db.create_pool(settings.database_url, 2, "notifier")
    await pool.execute("CREATE TABLE job_effects (key text NOT NULL)")
    yield pool
    await pool.close()


async def jobs(pool):
    rows = await pool.fetch("SELECT dedupe_key, state, attempts, last_error, due_at, fired_at FROM scheduled_jobs")
    return {row["dedupe_key"]: row for row in rows}


async def effects(pool):
    return sorted(r["key"] for r in await pool.fetch("SELECT key FROM job_effects"))


async def test_a_key_is_scheduled_once_and_a_due_job_fires_once_with_its_effect(pool):
    async with pool.acquire() as conn:
        assert await schedule(conn, "effect", "effect:1", NOW - timedelta(hours=3), {"n": 1})
        assert not await schedule(conn, "effect", "effect:1", NOW, {"n": 2})
        assert await schedule(conn, "effect", "effect:later", NOW + timedelta(hours=1), {})
    scheduler = Scheduler(pool, None, {"effect": record_effect})
    assert (await scheduler.fire_due()) == 1
    assert (await scheduler.fire_due()) == 0
    assert await effects(pool) == ["effect:1"]
    found = await jobs(pool)
    assert (found["effect:1"]["state"], found["effect:later"]["state"]) == ("done", "pending")
    assert found["effect:1"]["fired_at"] is not None


async def test_a_failing_job_rolls_back_alone_and_backs_off_until_it_is_parked(pool):
    async with pool.acquire() as conn:
        await schedule(conn, "broken", "broken:1", NOW - timedelta(minutes=1), {})
        await schedule(conn, "effect", "effect:1", NOW - timedelta(minutes=1), {})
    scheduler = Scheduler(pool, None, {"broken": fail_after_effect, "effect": record_effect})
    assert (await scheduler.fire_due()) == 2
    assert await effects(pool) == ["effect:1"]  # the failed job's insert was rolled back with it
    broken = (await jobs(pool))["broken:1"]
    assert (broken["state"], broken["attempts"]) == ("pending", 1)
    assert "the provider said no" in broken["last_error"]
    assert broken["due_at"] > datetime.now(UTC)  # not again at once
    assert (await scheduler.fire_due()) == 0

    await pool.execute(
        "UPDATE scheduled_jobs SET due_at = now(), attempts = $1 WHERE dedupe_key = 'broken:1'", MAX_FAILURES - 1
    )
    await scheduler.fire_due()
    assert (await jobs(pool))["broken:1"]["state"] == "failed"


async def test_a_job_may_ask_to_run_again_later(pool):
    async with pool.acquire() as conn:
        await schedule(conn, "again", "again:1", NOW - timedelta(minutes=1), {})
    await Scheduler(pool, None, {"again": again_in_an_hour}).fire_due()
    job = (await jobs(pool))["again:1"]
    assert (job["state"], job["fired_at"]) == ("pending", None)
    assert job["due_at"] > datetime.now(UTC) + timedelta(minutes=59)
    assert await effects(pool) == ["again:1"]


async def test_a_replica_leaves_kinds_it_does_not_know_to_those_that_do(pool):
    async with pool.acquire() as conn:
        await schedule(conn, "broadcast_chunk", "chunk:1", NOW - timedelta(minutes=1), {})
    assert (await Scheduler(pool, None, {"effect": record_effect}).fire_due()) == 0
    assert (await jobs(pool))["chunk:1"]["state"] == "pending"
