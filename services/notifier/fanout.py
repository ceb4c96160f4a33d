"""Planning: the audience streamed from a database cursor into recipient rows, a batch at a time.

One replica plans a broadcast at a time (a session advisory lock per broadcast). Each batch
of rows and the last key it reached commit together, so a crash resumes after that key, and
memory holds one batch however large the audience.
"""

import asyncio
import logging
import secrets
import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec

from contracts.broadcasts import Audience, Content
from services.notifier import audience, reach
from services.notifier.reach import QuietHours, Recipient
from shared.db import UNAVAILABLE
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.notifier.fanout")
BATCH = 1000
INSERT = (
    "INSERT INTO broadcast_recipients (broadcast_id, recipient_key, channel, address, account, customer_id,"
    " message_id, state, reason, not_before, unsubscribe_token)"
    " SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],"
    " $8::text[], $9::text[], $10::timestamptz[], $11::text[]) ON CONFLICT DO NOTHING"
)


def row(broadcast_id: str, recipient: Recipient, content: Content, now: datetime, quiet: QuietHours) -> tuple:
    reason = reach.skip_reason(recipient, content, now)
    held = None if reason else reach.held_until(recipient, now, quiet)
    token = secrets.token_urlsafe(16) if recipient.channel == "email" and not reason else None
    return (
        recipient.key,
        recipient.channel,
        recipient.address,
        recipient.account,
        uuid.UUID(recipient.customer_id) if recipient.customer_id else None,
        uuid.UUID(reach.message_id(broadcast_id, recipient.key)),
        "skipped" if reason else "queued",
        reason or "",
        held,
        token,
    )


async def plan(pool: asyncpg.Pool, broadcast_id: str, quiet: QuietHours, batch: int = BATCH) -> int:
    """Plan what is left of one broadcast; return how many recipients this call added."""
    async with pool.acquire() as lock:
        if not await lock.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", f"plan:{broadcast_id}"):
            return 0  # another replica is planning it
        try:
            return await _plan_locked(pool, broadcast_id, quiet, batch)
        finally:
            await lock.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", f"plan:{broadcast_id}")


async def _plan_locked(pool: asyncpg.Pool, broadcast_id: str, quiet: QuietHours, batch: int) -> int:
    found = await pool.fetchrow(
        "SELECT audience::text, content::text, COALESCE(planned_key, '') AS after FROM broadcasts"
        " WHERE id = $1 AND state = 'planning'",
        uuid.UUID(broadcast_id),
    )
    if found is None:
        return 0
    who = msgspec.json.decode(found["audience"], type=Audience)
    content = msgspec.json.decode(found["content"], type=Content)
    channels = [name for name in ("wechat", "email", "sms") if getattr(content, name) is not None]
    sql, args = audience.query(who, uuid.UUID(broadcast_id), channels)
    added, rows = 0, []
    async with pool.acquire() as reader, reader.transaction(isolation="repeatable_read", readonly=True):
        async for record in reader.cursor(sql, found["after"], *args, prefetch=batch):
            rows.append(row(broadcast_id, Recipient(**dict(record)), content, datetime.now(UTC), quiet))
            if len(rows) >= batch:
                if not await _store(pool, broadcast_id, rows, done=False):
                    return added  # paused or cancelled meanwhile: stop here, resume later
                added, rows = added + len(rows), []
    await _store(pool, broadcast_id, rows, done=True)
    return added + len(rows)


async def _store(pool: asyncpg.Pool, broadcast_id: str, rows: list[tuple], done: bool) -> bool:
    """Insert a batch and move the resume point past it, if the broadcast is still planning."""
    async with UnitOfWork(pool) as uow:
        conn = uow.conn
        state = await conn.fetchval("SELECT state FROM broadcasts WHERE id = $1 FOR UPDATE", uuid.UUID(broadcast_id))
        if state != "planning":
            return False
        if rows:
            columns = list(zip(*rows, strict=True))
            await conn.execute(INSERT, uuid.UUID(broadcast_id), *map(list, columns))
        await conn.execute(
            "UPDATE broadcasts SET planned_key = COALESCE($2, planned_key), planned = planned + $3,"
            " state = CASE WHEN $4 THEN 'sending' ELSE state END, updated_at = now() WHERE id = $1",
            uuid.UUID(broadcast_id),
            rows[-1][0] if rows else None,
            len(rows),
            done,
        )
    return True


async def run(pool: asyncpg.Pool, quiet: QuietHours, interval: float) -> None:
    """Plan every broadcast in planning, forever; an outage waits for the next look."""
    while True:
        try:
            for record in await pool.fetch("SELECT id::text FROM broadcasts WHERE state = 'planning' ORDER BY send_at"):
                await plan(pool, record["id"], quiet)
        except UNAVAILABLE as exc:
            log.warning("planning skipped: %s", type(exc).__name__)
        except Exception:
            log.exception("planning failed")
        await asyncio.sleep(interval)
