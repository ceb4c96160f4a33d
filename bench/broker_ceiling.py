"""Raw aio-pika ceiling on this machine: the baseline every Relaydesk benchmark is a ratio to."""

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import statistics
import struct
import time
import uuid

import aio_pika

BODY_BYTES = 1024
MAX_IN_FLIGHT = 256
QUORUM = {"x-queue-type": "quorum"}
STAMP = struct.Struct("!Q")


def _body() -> bytes:
    """Return a 1 KB body that starts with the current wall-clock time in ns."""
    return STAMP.pack(time.time_ns()).ljust(BODY_BYTES, b"\0")


def _message(body: bytes) -> aio_pika.Message:
    """Wrap a body as a persistent message."""
    return aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)


async def _consume(url, source, target, count, prefetch, timeout, events):
    """Consume `count` messages from `source`; relay them to `target`, or return latencies if none."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=prefetch)
        queue_ = await channel.declare_queue(source, passive=True)
        latencies_ms, done, seen = [], asyncio.get_running_loop().create_future(), 0

        async def on_message(message):
            nonlocal seen
            if target:
                await channel.default_exchange.publish(_message(message.body), routing_key=target)
            else:
                latencies_ms.append((time.time_ns() - STAMP.unpack_from(message.body)[0]) / 1e6)
            await message.ack()
            # Relays count too (not just the sink) so every process stops on its own.
            seen += 1
            if seen == count and not done.done():
                done.set_result(time.time_ns())

        await queue_.consume(on_message)
        events.put(("ready", None))
        last_ns = await asyncio.wait_for(done, timeout)
        return None if target else (latencies_ms, last_ns)


def _child(url, source, target, count, prefetch, timeout, events):
    """Process entry point: run one consumer and report ("ready"|"done"|"error", payload) on `events`."""
    try:
        events.put(("done", asyncio.run(_consume(url, source, target, count, prefetch, timeout, events))))
    except BaseException as exc:  # report anything, so the parent fails fast instead of timing out
        events.put(("error", f"{source}: {exc!r}"))


async def _collect(events, n, processes):
    """Gather `n` event payloads from the children without blocking the event loop; raise on an error."""
    payloads = []
    while len(payloads) < n:
        try:
            kind, payload = events.get_nowait()
            if kind == "error":
                raise RuntimeError(f"consumer failed: {payload}")
            payloads.append(payload)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in processes):
                raise RuntimeError("a consumer process died") from None
            await asyncio.sleep(0.01)
    return payloads


async def _publish(channel, routing_key, count, rate):
    """Publish `count` confirmed messages, paced at `rate` msg/s or as fast as confirms allow."""
    slots, loop, tasks = asyncio.Semaphore(MAX_IN_FLIGHT), asyncio.get_running_loop(), []
    start = loop.time()

    async def send_one():
        try:
            await channel.default_exchange.publish(_message(_body()), routing_key=routing_key)
        finally:
            slots.release()

    for i in range(count):
        if rate:
            await asyncio.sleep(start + i / rate - loop.time())
        await slots.acquire()
        tasks.append(asyncio.create_task(send_one()))
    await asyncio.gather(*tasks)


async def _run_path(url, hops, count, rate, prefetch, timeout):
    """Push `count` messages through a chain of `hops` quorum queues; return (msg/s, p50 ms, p99 ms)."""
    names = [f"relaydesk.ceiling.{uuid.uuid4()}" for _ in range(hops)]
    ctx = multiprocessing.get_context("spawn")  # forking a process with a live event loop is unsafe
    events, processes = ctx.Queue(), []
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        for name in names:
            await channel.declare_queue(name, durable=True, arguments=QUORUM)
        for source, target in zip(names, [*names[1:], None], strict=False):
            args = (url, source, target, count, prefetch, timeout, events)
            processes.append(ctx.Process(target=_child, args=args, daemon=True))
            processes[-1].start()
        await _collect(events, hops, processes)
        first_ns = time.time_ns()
        await _publish(channel, names[0], count, rate)
        latencies_ms, last_ns = next(filter(None, await _collect(events, hops, processes)))
    finally:
        for process in processes:
            process.join(timeout=1)
            if process.is_alive():
                process.terminate()
        async with connection:
            cleanup = await connection.channel()
            for name in names:
                await cleanup.queue_delete(name)
    cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
    return count / ((last_ns - first_ns) / 1e9), cuts[49], cuts[98]


async def measure_ceiling(url, count=5000, rate=200, rate_seconds=5, prefetch=100, timeout=120.0) -> dict:
    """Measure one-hop and two-hop max throughput and fixed-rate latency; return a flat dict."""
    figures = {
        "count": count,
        "rate": rate,
        "rate_seconds": rate_seconds,
        "prefetch": prefetch,
        "body_bytes": BODY_BYTES,
    }
    async with asyncio.timeout(timeout):
        for hops, prefix in ((1, "one_hop"), (2, "two_hop")):
            for run_rate, run_count, suffix in ((None, count, ""), (rate, rate * rate_seconds, "_rate")):
                msgs_per_s, p50, p99 = await _run_path(url, hops, run_count, run_rate, prefetch, timeout)
                figures[f"{prefix}{suffix}_msgs_per_s"] = round(msgs_per_s, 1)
                figures[f"{prefix}{suffix}_p50_ms"] = round(p50, 2)
                figures[f"{prefix}{suffix}_p99_ms"] = round(p99, 2)
    return figures


def _report(figures):
    """Print one human-readable line per scenario and mode."""
    for prefix, label in (("one_hop", "one-hop"), ("two_hop", "two-hop")):
        for suffix, mode in (("", "max"), ("_rate", f"@{figures['rate']}/s")):
            key = f"{prefix}{suffix}"
            print(
                f"{label:8} {mode:8} {figures[key + '_msgs_per_s']:8.0f} msg/s"
                f"   p50 {figures[key + '_p50_ms']:6.2f} ms  p99 {figures[key + '_p99_ms']:6.2f} ms"
            )


def main():
    """Parse arguments, run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__)
    default_url = os.environ.get("RELAYDESK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--url", default=default_url, help="AMQP URL of the broker")
    parser.add_argument("--count", type=int, default=5000, help="messages per max-throughput run")
    parser.add_argument("--rate", type=int, default=200, help="msg/s for the fixed-rate latency runs")
    parser.add_argument("--rate-seconds", type=int, default=5, help="duration of each fixed-rate run")
    parser.add_argument("--prefetch", type=int, default=100, help="consumer prefetch count")
    parser.add_argument("--timeout", type=float, default=120.0, help="overall time limit in seconds")
    parser.add_argument("--json", action="store_true", help="also print all figures as one JSON line")
    args = parser.parse_args()
    figures = asyncio.run(
        measure_ceiling(args.url, args.count, args.rate, args.rate_seconds, args.prefetch, args.timeout)
    )
    _report(figures)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
