"""Test helpers for the notifier: callback tasks seeded through its own code, and what it fired."""

import contextlib
import uuid
from datetime import UTC, datetime
from typing import NamedTuple

import asyncpg

from contracts import ApplicationPreapproved, Channel
from services.notifier.handlers import OUTBOX
from services.notifier.store import NewTask
from services.notifier.tasks import create
from shared.outbox import Outbox
from tests.support import System, TestEnv, publish_keyed

FAST = {"scheduler_interval": 0.1, "prefetch": 1}  # one message at a time: a later one proves an earlier one done
PHONE = "+8613800138000"


class Seeding(NamedTuple):
    """A test's own transaction in the shape of the notifier's unit of work, for seeding through the
    notifier's code; its events are not written (no stream is open yet to see them)."""

    conn: asyncpg.Connection
    outbox: Outbox
    now: datetime

    @classmethod
    def on(cls, conn: asyncpg.Connection) -> "Seeding":
        return cls(conn, Outbox(OUTBOX), datetime.now(UTC))


def preapproval(application_id: str, **fields) -> ApplicationPreapproved:
    """A loan pre-approval for a customer reachable by SMS, approved now unless `fields` say otherwise."""
    return ApplicationPreapproved(
        **{
            "application_id": application_id,
            "application_type": "cash_loan",
            "approved_at": datetime.now(UTC),
            "channel": Channel.SMS,
            "customer_address": PHONE,
            "customer_name": "王小明",
            "details": {"amount": "50000 CNY", "term": "12 months", "contact": "备用电话 13900139000"},
        }
        | fields
    )


async def publish_in_order(env, key: str, *events) -> None:
    """Publish one at a time, each confirmed before the next: one consumer at prefetch 1 sees this order."""
    for n, event in enumerate(events):
        await publish_keyed(env.settings, [(key, event, f"{key}-{n}-{id(event)}")])


@contextlib.asynccontextmanager
async def desk(env, **notifier_settings):
    """The agents' side of the system in one process, and a notifier with these settings in another."""
    running = []
    try:
        running.append(await System(env, ["router", "agent_api", "webchat_adapter"]).start())
        running.append(await System(env, ["notifier"], **FAST, **notifier_settings).start())
        yield
    finally:
        for process in running:
            process.stop()


EVENTS_BY_TYPE = (
    "SELECT convert_from(payload, 'UTF8')::jsonb ->> 'callback_id' AS id, count(*) AS n FROM notifier_outbox"
    " WHERE convert_from(payload, 'UTF8')::jsonb ->> 'type' = $1 GROUP BY 1"
)


async def seed_callbacks(env: TestEnv, agent_id: str, count: int, due_at: datetime) -> list[str]:
    """`count` callbacks assigned to the agent and due at `due_at`, created as an agent's command would."""
    conn = await env.db()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    try:
        async with conn.transaction():
            for n, task_id in enumerate(ids):
                await create(
                    Seeding.on(conn),
                    NewTask(
                        id=task_id,
                        dedupe_key=f"agent:{task_id}",
                        source="agent",
                        reason=f"call {n}",
                        channel="sms",
                        customer_address=f"+86138{n:08d}",
                        due_at=due_at,
                        assigned_agent_id=agent_id,
                        created_by=agent_id,
                    ),
                )
    finally:
        await conn.close()
    return ids


async def history_counts(env: TestEnv, event: str) -> dict[str, int]:
    """Callback id -> how many times `event` happened to it."""
    conn = await env.db()
    try:
        rows = await conn.fetch(
            "SELECT callback_id::text AS id, count(*) AS n FROM callback_history WHERE event = $1 GROUP BY 1", event
        )
    finally:
        await conn.close()
    return {row["id"]: row["n"] for row in rows}


async def event_counts(env: TestEnv, event_type: str) -> dict[str, int]:
    """Callback id -> how many `event_type` events the notifier wrote for it."""
    conn = await env.db()
    try:
        return {row["id"]: row["n"] for row in await conn.fetch(EVENTS_BY_TYPE, event_type)}
    finally:
        await conn.close()


async def fetchval(env: TestEnv, query: str, *args):
    conn = await env.db()
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()
