"""The router's outbox against a real PostgreSQL and RabbitMQ: sweeping and pruning."""

from datetime import timedelta

import aio_pika
import pytest

from services.router.db.uow import OUTBOX
from shared import db
from shared.broker import declare_topology, make_broker
from shared.outbox import prune_once, sweep_once
from tests.support import wait_until

pytestmark = pytest.mark.integration

INSERT = "INSERT INTO outbox (routing_key, payload, created_at, published_at) VALUES ($1, $2, now() - $3::interval, $4)"


async def test_sweeper_publishes_what_was_left_unpublished_and_prune_keeps_recent_events(settings):
    pool = await db.create_pool(settings.database_url, 2, "router")
    broker = make_broker(settings)
    await broker.connect()
    await declare_topology(broker, settings)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        channel = await connection.channel()
        probe = await channel.declare_queue(exclusive=True)
        await probe.bind(await channel.get_exchange("relaydesk"), "assignment.probe")
        await pool.execute(INSERT, "assignment.probe", b'{"left":"by a crash"}', timedelta(minutes=1), None)
        await pool.execute(INSERT, "assignment.probe", b'{"just":"written"}', timedelta(0), None)
        await pool.execute(INSERT, "assignment.probe", b'{"old":"published"}', timedelta(days=30), None)
        await pool.execute("UPDATE outbox SET published_at = created_at WHERE payload = $1", b'{"old":"published"}')
        await pool.execute(INSERT, "assignment.probe", b'{"old":"unpublished"}', timedelta(days=30), None)

        assert await sweep_once(broker, pool, OUTBOX) == 2  # the fresh one is left to its own handler
        received = []
        for _ in range(2):
            message = await wait_until(lambda: probe.get(fail=False), what="a swept event")
            received.append(message.body)
            await message.ack()
        assert sorted(received) == [b'{"left":"by a crash"}', b'{"old":"unpublished"}']

        commands = (
            "INSERT INTO applied_commands (command_id, applied_at) VALUES (gen_random_uuid(), now() - $1::interval)"
        )
        await pool.execute(commands, timedelta(days=30))
        await pool.execute(commands, timedelta(minutes=5))
        assert await prune_once(pool, OUTBOX, retention_days=7) == 2  # both 30-day-old ones, now published
        assert await pool.fetchval("SELECT count(*) FROM applied_commands") == 1
        remaining = await pool.fetch("SELECT payload, published_at IS NOT NULL AS published FROM outbox ORDER BY id")
        assert [(r["payload"], r["published"]) for r in remaining] == [
            (b'{"left":"by a crash"}', True),
            (b'{"just":"written"}', False),
        ]
    finally:
        await connection.close()
        await broker.stop()
        await pool.close()
