"""Sending: queued recipients out on their channel, throttled per channel, each once.

One replica sends a channel at a time (a session advisory lock, released if it dies), so
the configured rate holds however many replicas run. A recipient is marked sent after the
broker confirmed its message; a crash in between sends it again with the same message id,
which the channel adapter delivers once.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime

import asyncpg
import msgspec

from contracts import WeChatTemplateMessage
from contracts.broadcasts import Content
from contracts.topology import outbound_key
from services.notifier import reach
from services.notifier.reach import QuietHours, Recipient
from shared.broker import publish
from shared.db import UNAVAILABLE
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.notifier.sender")
TICK = 0.2
UNTHROTTLED_BATCH = 500
CLAIM = """
SELECT r.broadcast_id::text AS broadcast_id, r.recipient_key, r.message_id, r.channel, r.address, r.account,
       r.customer_id::text AS customer_id, r.unsubscribe_token, b.content::text AS content,
       k.reachable, k.last_inbound_at, COALESCE(NULLIF(p.timezone, ''), '') AS timezone
FROM broadcast_recipients r
JOIN broadcasts b ON b.id = r.broadcast_id
LEFT JOIN contacts k ON k.channel = r.channel AND k.address = r.address
LEFT JOIN customers p ON p.id = r.customer_id
WHERE r.channel = $1 AND r.state = 'queued' AND b.state IN ('planning', 'sending')
  AND (r.not_before IS NULL OR r.not_before <= now())
ORDER BY r.broadcast_id, r.recipient_key LIMIT $2
"""
# Keyed by the unique message id: keyed by (broadcast, recipient), a generic plan picks the partial
# index of the broadcast's queued rows and scans them all for each row, quadratic in the audience.
MARK_SENT = (
    "UPDATE broadcast_recipients SET state = 'sent', updated_at = now()"
    " WHERE message_id = ANY($1::uuid[]) AND state = 'queued'"
)
MARK_SKIPPED = (
    "UPDATE broadcast_recipients SET state = 'skipped', reason = $2, updated_at = now()"
    " WHERE message_id = $1 AND state = 'queued'"
)
MARK_HELD = (
    "UPDATE broadcast_recipients SET not_before = $2, updated_at = now() WHERE message_id = $1 AND state = 'queued'"
)


class Sender:
    def __init__(self, pool: asyncpg.Pool, broker, quiet: QuietHours, rates: dict[str, float], public_url: str):
        self.pool, self.broker, self.quiet, self.rates, self.public_url = pool, broker, quiet, rates, public_url
        self._contents: dict[str, Content] = {}

    def _content(self, broadcast_id: str, raw: str) -> Content:
        if broadcast_id not in self._contents:
            self._contents[broadcast_id] = msgspec.json.decode(raw, type=Content)
        return self._contents[broadcast_id]

    async def send_batch(self, channel: str, limit: int) -> int:
        """Send up to `limit` due recipients of `channel`; return how many were handled."""
        rows = await self.pool.fetch(CLAIM, channel, limit)
        now = datetime.now(UTC)
        sent, skipped, held, outgoing = [], [], [], []
        for row in rows:
            recipient = Recipient(
                row["recipient_key"],
                channel,
                row["address"],
                row["account"],
                row["customer_id"],
                row["reachable"] is not False,
                row["last_inbound_at"],
                row["timezone"],
            )
            content = self._content(row["broadcast_id"], row["content"])
            if reason := reach.skip_reason(recipient, content, now):  # opted out since planning
                skipped.append((row["message_id"], reason))
            elif until := reach.held_until(recipient, now, self.quiet):
                held.append((row["message_id"], until))
            else:
                url = f"{self.public_url}/unsubscribe/{row['unsubscribe_token']}" if row["unsubscribe_token"] else ""
                outgoing.append(reach.message(row["broadcast_id"], recipient, content, now, url))
                sent.append(row["message_id"])
        await asyncio.gather(*(self._publish(message) for message in outgoing))
        async with UnitOfWork(self.pool) as uow:
            conn = uow.conn
            await conn.execute(MARK_SENT, sent)
            await conn.executemany(MARK_SKIPPED, skipped)
            await conn.executemany(MARK_HELD, held)
        return len(rows)

    async def _publish(self, message) -> None:
        channel = "wechat" if isinstance(message, WeChatTemplateMessage) else message.channel.value
        await publish(self.broker, message, outbound_key(channel), message_id=message.message_id)

    async def run_channel(self, channel: str) -> None:
        """Hold the channel's lock (or wait for it) and send at its rate, forever."""
        rate = self.rates.get(channel, 0.0)
        batch = max(1, round(rate * TICK)) if rate > 0 else UNTHROTTLED_BATCH
        while True:
            try:
                async with self.pool.acquire() as lock:
                    if not await lock.fetchval(
                        "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", f"broadcast-send:{channel}"
                    ):
                        await asyncio.sleep(1.0)  # another replica sends this channel
                        continue
                    try:
                        await self._send_while_held(channel, batch, rate)
                    finally:
                        await lock.execute("SELECT pg_advisory_unlock_all()")
            except UNAVAILABLE as exc:
                log.warning("%s sending paused: %s", channel, type(exc).__name__)
            except Exception:
                log.exception("%s sending failed", channel)
            await asyncio.sleep(TICK)

    async def _send_while_held(self, channel: str, batch: int, rate: float) -> None:
        while True:
            started = time.monotonic()
            handled = await self.send_batch(channel, batch)
            await finish_done(self.pool)
            pace = batch / rate if rate > 0 else 0.0
            idle = 1.0 if handled == 0 else 0.0
            await asyncio.sleep(max(pace - (time.monotonic() - started), idle))


async def finish_done(pool: asyncpg.Pool) -> None:
    """A fully planned broadcast with nobody left queued is done."""
    await pool.execute(
        "UPDATE broadcasts b SET state = 'done', finished_at = now(), updated_at = now() WHERE b.state = 'sending'"
        " AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.state = 'queued')"
    )
