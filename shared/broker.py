"""The RabbitMQ side every service shares: broker factory, topology, typed consumers."""

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aio_pika
import msgspec
from fast_depends.msgspec import MsgSpecSerializer
from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from pamqp.commands import Basic

from contracts import topology
from shared.config import Common
from shared.logs import message_id_var
from shared.metrics import CONSUMED, HANDLE_SECONDS

T = TypeVar("T")
log = logging.getLogger("relaydesk.broker")

EXCHANGE = RabbitExchange(topology.EXCHANGE, type=ExchangeType.TOPIC, durable=True)
DEAD_LETTER_EXCHANGE = RabbitExchange(topology.DEAD_LETTER_EXCHANGE, type=ExchangeType.TOPIC, durable=True)
ERROR_HEADER = "x-relaydesk-error"
RECONNECT_INTERVAL = 2.0
GRACEFUL_TIMEOUT = 4.0
"""How long stopping waits for handlers in flight; within the runner's clean-up bound."""
PUBLISH_TIMEOUT = 5.0
"""Longer than a healthy confirm ever takes; short enough that a caller can answer its client."""
MAX_REDELIVERY_BACKOFF = 10.0
_encoder = msgspec.json.Encoder()


class DeadLetter(Exception):
    """Raised by a handler for a message that can never succeed: parked with `reason`, acked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ConnectionEvents:
    """Who to tell when a broker's connection is lost and when it is whole again."""

    def __init__(self) -> None:
        self.lost: list[Callable[[], None]] = []
        self.restored: list[Callable[[], None]] = []

    def _fire(self, listeners: list[Callable[[], None]], what: str) -> None:
        for listener in listeners:
            try:
                listener()
            except Exception:  # one listener's bug must not stop the others, nor aio-pika's reconnect
                log.exception("broker connection %s listener failed", what)

    def connection_lost(self, _connection: object, _reason: BaseException | None = None) -> None:
        self._fire(self.lost, "lost")

    def connection_restored(self, _connection: object) -> None:
        self._fire(self.restored, "restored")


_EVENTS: "weakref.WeakKeyDictionary[RabbitBroker, ConnectionEvents]" = weakref.WeakKeyDictionary()


def on_connection_events(broker: RabbitBroker, *, lost: Callable[[], None], restored: Callable[[], None]) -> None:
    """Call `lost()` when `broker`'s connection drops (also when it closes at shutdown) and
    `restored()` once aio-pika has reconnected and re-declared every channel, queue, binding
    and consumer: an exclusive live queue is back, but what was published to it meanwhile is gone.

    Both are called synchronously from aio-pika's connection task: they must not block (start
    a task for anything slow). Any number of listeners; register them before or after start.
    """
    _EVENTS[broker].lost.append(lost)
    _EVENTS[broker].restored.append(restored)


def make_broker(settings: Common) -> RabbitBroker:
    """A broker with msgspec bodies, publisher confirms and a bounded prefetch."""
    events = ConnectionEvents()
    broker = RabbitBroker(
        settings.amqp_url,
        serializer=MsgSpecSerializer(),
        default_channel=Channel(prefetch_count=settings.prefetch, publisher_confirms=True),
        logger=log,
        # FastStream logs every message at this level; per-message lines are debug noise.
        log_level=logging.DEBUG,
        graceful_timeout=GRACEFUL_TIMEOUT,
        # Handlers take the raw message and decode it themselves (see `subscribe`): without
        # dependency injection FastStream skips a worker-thread hop on every message.
        apply_types=False,
        reconnect_interval=RECONNECT_INTERVAL,
        # aio-pika's RobustConnection callbacks, attached to each connection FastStream makes.
        on_close=(events.connection_lost,),
        on_reconnected=(events.connection_restored,),
    )
    _EVENTS[broker] = events
    return broker


def work_queue(spec: topology.QueueSpec, settings: Common) -> RabbitQueue:
    """A durable quorum queue that dead-letters (with reason) after the delivery limit."""
    return RabbitQueue(
        spec.name,
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=spec.binding,
        arguments={
            "x-delivery-limit": settings.delivery_limit,
            "x-dead-letter-exchange": topology.DEAD_LETTER_EXCHANGE,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def live_queue(prefix: str, binding: str) -> RabbitQueue:
    """A per-replica exclusive queue for live pushes; it vanishes with the replica."""
    return RabbitQueue(
        f"{prefix}{uuid.uuid4().hex}",
        durable=False,
        exclusive=True,
        auto_delete=True,
        routing_key=binding,
    )


async def declare_topology(broker: RabbitBroker, settings: Common) -> None:
    """Declare exchanges, the dead-letter queue and every durable work queue, idempotently."""
    exchange = await broker.declare_exchange(EXCHANGE)
    dead_letters = await broker.declare_exchange(DEAD_LETTER_EXCHANGE)
    dead_letter_queue = await broker.declare_queue(
        RabbitQueue(topology.DEAD_LETTER_QUEUE, queue_type=QueueType.QUORUM, durable=True)
    )
    await dead_letter_queue.bind(dead_letters, routing_key="#")
    for spec in topology.DURABLE_QUEUES:
        queue = await broker.declare_queue(work_queue(spec, settings))
        await queue.bind(exchange, routing_key=spec.binding)


async def publish(broker: RabbitBroker, payload: msgspec.Struct, routing_key: str, *, message_id: str) -> None:
    """Publish a contract persistently and wait for the broker's confirm."""
    await publish_encoded(
        broker,
        _encoder.encode(payload),
        routing_key,
        message_id=message_id,
        correlation_id=message_id_var.get() or message_id,
    )


async def publish_encoded(
    broker: RabbitBroker, body: bytes, routing_key: str, *, message_id: str, correlation_id: str
) -> None:
    """Publish an encoded JSON body persistently; ConnectionError unless the broker confirms it.

    Straight through aio-pika on the broker's own confirming channel: this is every
    service's hot path, and FastStream's generic publish costs more than the publish itself.
    """
    message = aio_pika.Message(
        body,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        correlation_id=correlation_id,
    )
    try:
        exchange = await broker.declare_exchange(EXCHANGE)
        confirmation = await exchange.publish(message, routing_key, mandatory=False, timeout=PUBLISH_TIMEOUT)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as exc:  # aio-pika/aiormq/FastStream each have their own "not connected"
        raise ConnectionError(f"broker unavailable for {routing_key}: {type(exc).__name__}") from exc
    if not isinstance(confirmation, Basic.Ack):
        raise ConnectionError(f"broker refused {routing_key} message {message_id}")


async def dead_letter(broker: RabbitBroker, message: RabbitMessage, reason: str) -> None:
    """Park an unprocessable message on the dead-letter exchange with the reason why."""
    raw = message.raw_message
    await broker.publish(
        message.body,
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=raw.routing_key or "",
        persist=True,
        message_id=message.message_id,
        headers={**(raw.headers or {}), ERROR_HEADER: reason[:1000]},
        content_type=message.content_type,
    )
    log.warning("dead-lettered %s: %s", raw.routing_key, reason[:200])


async def _message_itself(message: RabbitMessage) -> RabbitMessage:
    return message


def subscribe(
    service: str,
    broker: RabbitBroker,
    queue: RabbitQueue,
    payload_type: Any,
    handle: Callable[[T, RabbitMessage], Awaitable[None]],
) -> None:
    """Consume `queue`, decoding bodies as `payload_type` before `handle` sees them.

    Undecodable bodies are dead-lettered with the decoder's reason and acked, as are those
    whose handler raises `DeadLetter`; any other handler error nacks for redelivery after a
    backoff, until the queue's delivery limit parks it.
    """
    decoder = msgspec.json.Decoder(payload_type)
    metric_queue = queue.name if not queue.exclusive else "live"
    timer = HANDLE_SECONDS.labels(service, metric_queue)

    async def consume(message: RabbitMessage) -> None:
        try:
            payload = decoder.decode(message.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            CONSUMED.labels(service, metric_queue, "dead_letter").inc()
            await dead_letter(broker, message, f"undecodable {queue.name} message: {exc}")
            return
        token = message_id_var.set(message.correlation_id or message.message_id)
        started = time.perf_counter()
        try:
            await handle(payload, message)
            CONSUMED.labels(service, metric_queue, "ok").inc()
        except DeadLetter as exc:
            CONSUMED.labels(service, metric_queue, "dead_letter").inc()
            await dead_letter(broker, message, exc.reason)
        except Exception as exc:
            CONSUMED.labels(service, metric_queue, "error").inc()
            attempt = int((message.headers or {}).get("x-delivery-count", 0)) + 1
            log.exception("handling %s failed (attempt %d)", queue.name, attempt)
            # An immediate requeue would spend the delivery limit in milliseconds.
            await asyncio.sleep(min(0.2 * 2**attempt, MAX_REDELIVERY_BACKOFF))
            raise NackMessage(requeue=True) from exc
        finally:
            timer.observe(time.perf_counter() - started)
            message_id_var.reset(token)

    broker.subscriber(queue, EXCHANGE, decoder=_message_itself, ack_policy=AckPolicy.NACK_ON_ERROR)(consume)
