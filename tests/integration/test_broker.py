"""The shared broker layer against a real RabbitMQ: queues, persistence, retries, dead letters."""

import asyncio
import subprocess
import uuid

import aio_pika
import msgspec
import pytest
from faststream.rabbit import RabbitMessage

from contracts import topology
from shared.broker import ERROR_HEADER, declare_topology, make_broker, publish, subscribe, work_queue
from tests.support import inbound, take_messages, wait_until

pytestmark = pytest.mark.integration


class Ping(msgspec.Struct):
    n: int


@pytest.fixture
async def broker(settings):
    started = make_broker(settings)
    yield started
    await started.stop()


async def dead_letters(settings, count: int) -> list[aio_pika.IncomingMessage]:
    return await take_messages(settings, topology.DEAD_LETTER_QUEUE, count)


def test_work_queues_are_durable_quorum_queues_with_dead_lettering(servers, env, broker):
    asyncio.run(_declare(broker, env.settings))
    vhost = env.settings.amqp_url.rsplit("/", 1)[1]
    listing = subprocess.run(
        [
            *servers.rabbitmqctl,
            "list_queues",
            "-p",
            vhost,
            "--formatter",
            "json",
            "name",
            "type",
            "durable",
            "arguments",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    queues = {q["name"]: q for q in msgspec.json.decode(listing.stdout)}
    for spec in topology.DURABLE_QUEUES:
        queue = queues[spec.name]
        assert (queue["type"], queue["durable"]) == ("quorum", True)
        arguments = {name: value for name, _type, value in queue["arguments"]}
        assert arguments["x-dead-letter-exchange"] == topology.DEAD_LETTER_EXCHANGE
        assert arguments["x-delivery-limit"] == env.settings.delivery_limit
    assert queues[topology.DEAD_LETTER_QUEUE]["type"] == "quorum"


async def _declare(broker, settings):
    await broker.connect()
    await declare_topology(broker, settings)
    await broker.stop()


async def test_published_messages_are_persistent(settings, broker):
    await broker.connect()
    await declare_topology(broker, settings)
    message = inbound("persist-check", "hello")
    await publish(broker, message, topology.inbound_key("webchat"), message_id=message.message_id)
    connection = await aio_pika.connect(settings.amqp_url)
    try:
        queue = await (await connection.channel()).get_queue(topology.ROUTER_INBOUND.name)
        received = await wait_until(lambda: queue.get(fail=False), what="the published message")
        await received.ack()
    finally:
        await connection.close()
    assert received.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert received.message_id == message.message_id
    assert msgspec.json.decode(received.body, type=type(message)) == message


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(env):
    settings = msgspec.structs.replace(env.settings, delivery_limit=2)
    broker = make_broker(settings)
    attempts: list[int] = []

    async def always_fails(ping: Ping, _: RabbitMessage) -> None:
        attempts.append(ping.n)
        raise RuntimeError("downstream is down")

    spec = topology.QueueSpec(f"test.retry.{uuid.uuid4().hex[:8]}", "test.retry")
    subscribe("test", broker, work_queue(spec, settings), Ping, always_fails)
    await broker.connect()
    await declare_topology(broker, settings)
    await broker.start()
    try:
        await publish(broker, Ping(7), "test.retry", message_id="ping-7")
        [dead] = await dead_letters(settings, 1)
    finally:
        await broker.stop()
    assert attempts == [7] * (settings.delivery_limit + 1)
    assert msgspec.json.decode(dead.body, type=Ping) == Ping(7)
    assert ERROR_HEADER not in (dead.headers or {})  # the broker parked it, not the decoder


async def test_an_undecodable_message_is_dead_lettered_once_with_the_reason(settings, broker):
    handled: list[Ping] = []

    async def record(ping: Ping, _: RabbitMessage) -> None:
        handled.append(ping)

    spec = topology.QueueSpec(f"test.poison.{uuid.uuid4().hex[:8]}", "test.poison")
    subscribe("test", broker, work_queue(spec, settings), Ping, record)
    await broker.connect()
    await declare_topology(broker, settings)
    await broker.start()
    await broker.publish(b'{"n": "seven"}', exchange=topology.EXCHANGE, routing_key="test.poison")
    await publish(broker, Ping(8), "test.poison", message_id="ping-8")
    [dead] = await dead_letters(settings, 1)
    await wait_until(lambda: asyncio.sleep(0, result=handled), what="the valid message handled")
    assert handled == [Ping(8)]
    assert "Expected `int`, got `str` - at `$.n`" in dead.headers[ERROR_HEADER]
