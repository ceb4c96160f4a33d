"""The durable scheduler with notifiers as processes: two replicas share due jobs and fire each
once; a job due while none runs fires at start; a SIGKILL mid-firing loses and doubles nothing."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from tests.notifier_support import event_counts, fetchval, history_counts, seed_callbacks
from tests.support import System, free_port, wait_until

pytestmark = pytest.mark.e2e

FAST = {"scheduler_interval": 0.05}
DUE_JOBS_LEFT = "SELECT count(*) FROM scheduled_jobs WHERE kind = 'callback_due' AND state <> 'done'"
UNPUBLISHED = "SELECT count(*) FROM notifier_outbox WHERE published_at IS NULL"


async def agent_id(env) -> str:
    agent = await env.add_agent(capacity=1000)
    await agent.close()
    return agent.id


async def all_fired(env, ids: list[str]) -> bool:
    return len(await history_counts(env, "due")) == len(ids)


async def assert_each_fired_once(env, ids: list[str]) -> None:
    assert await fetchval(env, DUE_JOBS_LEFT) == 0
    assert await history_counts(env, "due") == dict.fromkeys(ids, 1)
    assert await event_counts(env, "callback_due") == dict.fromkeys(ids, 1)


async def test_two_notifiers_fire_every_due_job_exactly_once(env):
    replicas = [await System(env, ["notifier"], notifier_port=free_port(), **FAST).start() for _ in range(2)]
    try:
        ids = await seed_callbacks(env, await agent_id(env), 200, datetime.now(UTC))
        await wait_until(lambda: all_fired(env, ids), timeout=60, what="every job fired")
        await assert_each_fired_once(env, ids)
        firing = await fetchval(env, "SELECT count(DISTINCT claimed_by) FROM scheduled_jobs WHERE state = 'done'")
        assert firing == 2, "both replicas fired jobs"
        await wait_until(lambda: _none_left(env, UNPUBLISHED), what="every reminder published")
    finally:
        for replica in replicas:
            replica.stop()


async def test_jobs_due_while_no_notifier_ran_fire_when_one_starts(env):
    [task] = await seed_callbacks(env, await agent_id(env), 1, datetime.now(UTC) - timedelta(hours=2))
    notifier = await System(env, ["notifier"], **FAST).start()
    try:
        # Due two hours ago, overdue (after the default hour's grace) one hour ago: both fire now.
        await wait_until(lambda: _fired(env, "overdue"), what="the late reminder and escalation")
        assert (await history_counts(env, "due"), await history_counts(env, "overdue")) == ({task: 1}, {task: 1})
        await wait_until(lambda: _none_left(env, UNPUBLISHED), what="the events published")
    finally:
        notifier.stop()


async def test_a_notifier_killed_while_firing_loses_and_doubles_nothing(env):
    ids = await seed_callbacks(env, await agent_id(env), 600, datetime.now(UTC) - timedelta(minutes=1))
    first = System(env, ["notifier"], **FAST)
    starting = asyncio.create_task(first.start())
    try:
        await wait_until(lambda: _fired(env, "due"), timeout=30, what="the first batch fired")
        first.kill()
    finally:
        with contextlib.suppress(AssertionError):  # killed before it reported ready
            await starting
        first.stop()
    fired_before = await history_counts(env, "due")
    assert 0 < len(fired_before) < len(ids), "killed while jobs were still being fired"
    # What committed is whole: a job marked done has its reminder, and the other way round.
    done = await fetchval(env, "SELECT count(*) FROM scheduled_jobs WHERE kind = 'callback_due' AND state = 'done'")
    assert done == len(fired_before) == len(await event_counts(env, "callback_due"))

    second = await System(env, ["notifier"], **FAST).start()
    try:
        await wait_until(lambda: all_fired(env, ids), timeout=60, what="every job fired after the restart")
        await assert_each_fired_once(env, ids)
        await wait_until(lambda: _none_left(env, UNPUBLISHED), timeout=30, what="reminders of the killed one swept")
    finally:
        second.stop()


async def _fired(env, event: str) -> bool:
    return bool(await history_counts(env, event))


async def _none_left(env, query: str) -> bool:
    return await fetchval(env, query) == 0
