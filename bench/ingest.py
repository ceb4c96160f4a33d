"""The ingest benchmark harness: an adapter's webhook against a bare confirmed-publish endpoint.

Both servers run as their own process on the same broker (a throwaway vhost) in the same
run. The bare endpoint only reads the body and publishes those bytes persistently with a
publisher confirm (raw aio-pika); the adapter also authenticates, parses and normalizes
before its own confirmed publish. Each is driven at its highest sustained rate (a closed
loop of concurrent clients), alternating over a few rounds (one 2-core machine runs the
client, both servers and RabbitMQ, and is noisy), then at a fixed rate for latency. It
prints both rates, the median per-round ratio (target >= 0.7), p99 latency, and checks
that every answered request is on the bus. `wechat_ingest.py` and `sms_ingest.py` say
what to send.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared`, `tests` importable
    sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bench.harness import (  # noqa: E402
    READY_TIMEOUT,
    Resources,
    ServiceProcess,
    add_server_arguments,
    free_port,
    percentiles,
    require_local,
)
from contracts.topology import EXCHANGE, ROUTER_INBOUND  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.launch import SERVICES  # noqa: E402

Request = tuple[str, bytes, dict[str, str]]
"""(path and query, body, headers) of one webhook call."""


@dataclass
class Ingest:
    service: str
    path: str
    routing_key: str
    describe: str
    settings: Callable[[], dict]
    """Settings the adapter runs with (ports are added)."""
    requests: Callable[[str, int, int], list[Request]]
    """(adapter base URL, count, first id) -> distinct signed requests, built before timing."""


def log(line: str = "") -> None:
    print(line, flush=True)


async def bare_endpoint(port: int, amqp_url: str, path: str, routing_key: str) -> None:
    """Read the body, publish it persistently with a confirm, answer 200."""
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE)

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key)
        return web.Response(text="success")

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def closed_loop(base: str, requests: list[Request], concurrency: int, seconds: float) -> dict:
    """As many requests as `concurrency` clients sustain for `seconds`; rate and latencies."""
    latencies, failures, position = [], 0, 0
    deadline = time.monotonic() + seconds

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal failures, position
        while time.monotonic() < deadline and position < len(requests):
            path, body, headers = requests[position]
            position += 1
            started = time.perf_counter()
            async with http.post(base + path, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {"sent": len(latencies), "failed": failures, "rate": len(latencies) / elapsed, **percentiles(latencies)}


async def fixed_rate(base: str, requests: list[Request], rate: float) -> dict:
    """`len(requests)` requests at `rate`/s, each timed from its scheduled start."""
    latencies, failures = [], 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:

        async def one(path: str, body: bytes, headers: dict, due: float) -> None:
            nonlocal failures
            async with http.post(base + path, data=body, headers=headers) as response:
                await response.read()
                failures += response.status != 200
            latencies.append((time.perf_counter() - due) * 1000)

        start, tasks = time.perf_counter(), []
        for n, (path, body, headers) in enumerate(requests):
            due = start + n / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(path, body, headers, due)))
        await asyncio.gather(*tasks)
    return {"sent": len(latencies), "failed": failures, "rate": rate, **percentiles(latencies)}


async def queued(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(ROUTER_INBOUND.name, passive=True)
        return queue.declaration_result.message_count


async def until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise RuntimeError(f"the bare endpoint did not come up at {url}")


async def measure_rounds(ingest: Ingest, bases: dict[str, str], adapter_base: str, args) -> dict:
    """Max-rate runs of each endpoint in turn, `args.rounds` times, then a fixed-rate run of each."""
    first_id, results = 10**12, {label: {"max": [], "answered": 0} for label in bases}

    def batch(count: int) -> list[Request]:
        nonlocal first_id
        built = ingest.requests(adapter_base, count, first_id)
        first_id += count
        return built

    for label, base in bases.items():  # warm both up: connections, pools, caches
        warm = await closed_loop(base, batch(300), args.concurrency, 2)
        results[label]["answered"] += warm["sent"] - warm["failed"]
    for round_number in range(args.rounds):
        for label, base in bases.items():
            run = await closed_loop(base, batch(args.max_requests), args.concurrency, args.seconds)
            results[label]["max"].append(run)
            results[label]["answered"] += run["sent"] - run["failed"]
            log(
                f"round {round_number + 1} {label:<16} {run['rate']:7.0f} req/s (p50 {run['p50_ms']} ms, "
                f"p99 {run['p99_ms']} ms, failed {run['failed']})"
            )
    for label, base in bases.items():
        steady = await fixed_rate(base, batch(int(args.rate * args.seconds)), args.rate)
        results[label]["steady"] = steady
        results[label]["answered"] += steady["sent"] - steady["failed"]
        log(
            f"at {args.rate:.0f}/s {label:<16} p50 {steady['p50_ms']} ms, p99 {steady['p99_ms']} ms, "
            f"max {steady['max_ms']} ms, failed {steady['failed']}"
        )
    return results


async def run(ingest: Ingest, args, resources: Resources) -> int:
    amqp_url = resources.create_vhost()
    database_url = await resources.create_database()
    ports = {setting: free_port() for setting in SERVICES.values()}
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        host="127.0.0.1",
        log_level="WARNING",
        **ports,
        **ingest.settings(),
    )
    adapter = ServiceProcess(settings, [ingest.service]).spawn()
    resources.processes.append(adapter)
    await adapter.wait_ready(READY_TIMEOUT)  # it declares the exchange and queues the bare endpoint uses too
    bare_port = free_port()
    # Started once and stopped by PID in `finally`; Popen only forks and execs, and until_up polls it.
    bare = subprocess.Popen(  # noqa: ASYNC220  a long-lived child with a synchronous lifecycle
        [sys.executable, __file__, "--serve-bare", str(bare_port), amqp_url, ingest.path, ingest.routing_key], cwd=ROOT
    )
    adapter_base = f"http://127.0.0.1:{getattr(settings, SERVICES[ingest.service])}"
    try:
        await until_up(f"http://127.0.0.1:{bare_port}/healthz", bare)
        log(
            f"{os.cpu_count()} cores; {args.rounds} rounds of {args.concurrency} concurrent clients for "
            f"{args.seconds:.0f}s per endpoint, then {args.rate:.0f} req/s for {args.seconds:.0f}s; {ingest.describe}"
        )
        before = await queued(amqp_url)
        results = await measure_rounds(
            ingest, {"bare publish": f"http://127.0.0.1:{bare_port}", "adapter": adapter_base}, adapter_base, args
        )
        on_bus = await queued(amqp_url) - before
    finally:
        bare.terminate()
        bare.wait(10)
    return report(results, on_bus, args)


def report(results: dict, on_bus: int, args) -> int:
    bare_runs, ours_runs = results["bare publish"]["max"], results["adapter"]["max"]
    ratios = [o["rate"] / b["rate"] for b, o in zip(bare_runs, ours_runs, strict=True)]
    ratio = statistics.median(ratios)
    best_bare, best_ours = max(r["rate"] for r in bare_runs), max(r["rate"] for r in ours_runs)
    log(f"max rate: bare {best_bare:.0f} req/s, adapter {best_ours:.0f} req/s (best of {args.rounds})")
    log(
        f"ratio adapter/bare per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} "
        f"(target >= 0.7: {'met' if ratio >= 0.7 else 'MISSED'})"
    )
    p99 = results["adapter"]["steady"]["p99_ms"]
    log(f"adapter p99 at {args.rate:.0f}/s: {p99} ms (target < 100 ms: {'met' if p99 < 100 else 'MISSED'})")
    answered = results["adapter"]["answered"] + results["bare publish"]["answered"]
    log(
        f"answered 200 (both endpoints, all runs): {answered}, new on the bus: {on_bus} "
        f"({'none lost' if on_bus == answered else 'MISMATCH'})"
    )
    return 0 if on_bus == answered else 1


def main(ingest: Ingest, doc: str) -> int:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating max-rate rounds per endpoint")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients in the max-rate run")
    parser.add_argument("--rate", type=float, default=200.0, help="fixed rate of the latency run, req/s")
    parser.add_argument("--max-requests", type=int, default=30_000, help="bound on each max-rate run")
    args = parser.parse_args()
    require_local(parser, args)
    resources = Resources(args.amqp_url, args.database_url)
    try:
        return asyncio.run(run(ingest, args, resources))
    finally:
        resources.cleanup()


if __name__ == "__main__" and sys.argv[1:2] == ["--serve-bare"]:
    import uvloop

    port, amqp_url, path, routing_key = sys.argv[2:6]
    uvloop.run(bare_endpoint(int(port), amqp_url, path, routing_key))
