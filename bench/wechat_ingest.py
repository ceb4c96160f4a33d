"""WeChat ingest: signed, AES-encrypted callbacks into the adapter, against a bare publish endpoint.

Both servers run as their own process on the same broker (a throwaway vhost) in the same
run. The bare endpoint only reads the body and publishes those bytes persistently with a
publisher confirm (raw aio-pika); the adapter also checks the signature, decrypts, parses
and normalizes before its confirmed publish. Each is driven at its highest sustained rate
(a closed loop of concurrent WeChat-like clients), alternating over a few rounds, and at a
fixed rate for latency. Prints both rates, the median per-round ratio (target >= 0.7) and
p99 latency (target < 100 ms), and checks that every answered callback is on the bus.

    .venv/bin/python bench/wechat_ingest.py [--seconds 8] [--concurrency 32] [--rate 200]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared`, `tests` importable
    sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from bench.webchat_e2e import (  # noqa: E402
    DEFAULT_AMQP,
    DEFAULT_DATABASE,
    Resources,
    ServiceProcess,
    free_port,
    percentiles,
)
from contracts.topology import EXCHANGE, ROUTER_INBOUND, inbound_key  # noqa: E402
from shared.config import Settings  # noqa: E402
from tests.wechat import account, callback, text_xml  # noqa: E402

ACCOUNT = account("safe")
TEXT = "你好，我昨天的转账到现在还没到账，订单号 2026112400123，麻烦帮我查一下 thanks"


def log(line: str = "") -> None:
    print(line, flush=True)


# --------------------------------------------------------------------------- the bare endpoint


async def bare_endpoint(port: int, amqp_url: str) -> None:
    """Read the body, publish it persistently with a confirm, answer `success`."""
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(EXCHANGE)

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               inbound_key("wechat"))
        return web.Response(text="success")

    app = web.Application()
    app.router.add_post("/wechat/{account}", receive)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


# --------------------------------------------------------------------------- load


def prepared(count: int, first_id: int) -> list[tuple[str, bytes]]:
    """(query string, body) of `count` distinct encrypted text callbacks, built before timing."""
    now = int(time.time())
    requests = []
    for n in range(count):
        query, body = callback(ACCOUNT, text_xml(f"o-bench-{n % 500}", TEXT, first_id + n, now))
        requests.append((urlencode(query), body))
    return requests


async def closed_loop(url: str, requests: list, concurrency: int, seconds: float) -> dict:
    """As many requests as `concurrency` clients sustain for `seconds`; rate and latencies."""
    latencies, failures, position = [], 0, 0
    deadline = time.monotonic() + seconds

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal failures, position
        while time.monotonic() < deadline and position < len(requests):
            query, body = requests[position]
            position += 1
            started = time.perf_counter()
            async with http.post(f"{url}?{query}", data=body) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    return {"sent": len(latencies), "failed": failures, "rate": len(latencies) / elapsed, **percentiles(latencies)}


async def fixed_rate(url: str, requests: list, rate: float) -> dict:
    """`len(requests)` requests at `rate`/s, each timed from its scheduled start."""
    latencies, failures = [], 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:

        async def one(query: str, body: bytes, due: float) -> None:
            nonlocal failures
            async with http.post(f"{url}?{query}", data=body) as response:
                await response.read()
                failures += response.status != 200
            latencies.append((time.perf_counter() - due) * 1000)

        start, tasks = time.perf_counter(), []
        for n, (query, body) in enumerate(requests):
            due = start + n / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(query, body, due)))
        await asyncio.gather(*tasks)
    return {"sent": len(latencies), "failed": failures, "rate": rate, **percentiles(latencies)}


async def queued(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).declare_queue(ROUTER_INBOUND.name, passive=True)
        return queue.declaration_result.message_count


async def measure_rounds(urls: dict[str, str], args) -> dict:
    """Max-rate runs of each endpoint in turn, `args.rounds` times (this 2-core machine is noisy:
    alternating spreads the noise over both), then a fixed-rate latency run of each."""
    first_id, results = 10**12, {label: {"max": [], "answered": 0} for label in urls}
    for label, url in urls.items():  # warm both up: connections, pools, caches
        warm = await closed_loop(url, prepared(300, first_id), args.concurrency, 2)
        results[label]["answered"] += warm["sent"] - warm["failed"]
        first_id += 1000
    for round_number in range(args.rounds):
        for label, url in urls.items():
            run = await closed_loop(url, prepared(args.max_requests, first_id), args.concurrency, args.seconds)
            first_id += args.max_requests
            results[label]["max"].append(run)
            results[label]["answered"] += run["sent"] - run["failed"]
            log(f"round {round_number + 1} {label:<16} {run['rate']:7.0f} req/s (p50 {run['p50_ms']} ms, "
                f"p99 {run['p99_ms']} ms, failed {run['failed']})")
    for label, url in urls.items():
        steady = await fixed_rate(url, prepared(int(args.rate * args.seconds), first_id), args.rate)
        first_id += 10**6
        results[label]["steady"] = steady
        results[label]["answered"] += steady["sent"] - steady["failed"]
        log(f"at {args.rate:.0f}/s {label:<16} p50 {steady['p50_ms']} ms, p99 {steady['p99_ms']} ms, "
            f"max {steady['max_ms']} ms, failed {steady['failed']}")
    return results


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


async def run(args, resources: Resources) -> int:
    amqp_url = resources.create_vhost()
    database_url = await resources.create_database()
    settings = Settings(amqp_url=amqp_url, database_url=database_url, host="127.0.0.1", log_level="WARNING",
                        wechat_port=free_port(), webchat_port=free_port(), agent_api_port=free_port(),
                        router_port=free_port(), wechat_accounts=(ACCOUNT,))
    adapter = ServiceProcess(settings, ["wechat_adapter"])
    resources.processes.append(adapter)
    async with aiohttp.ClientSession() as http:
        await adapter.wait_ready(http)  # it declares the exchange and queues the bare endpoint uses too
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, __file__, "--serve-bare", str(bare_port), amqp_url], cwd=ROOT)
    try:
        await until_up(f"http://127.0.0.1:{bare_port}/healthz", bare)
        log(f"{os.cpu_count()} cores; {args.rounds} rounds of {args.concurrency} concurrent clients for "
            f"{args.seconds:.0f}s per endpoint, then {args.rate:.0f} req/s for {args.seconds:.0f}s; safe-mode (AES) "
            f"text callbacks of {len(TEXT)} chars")
        before = await queued(amqp_url)
        results = await measure_rounds({
            "bare publish": f"http://127.0.0.1:{bare_port}/wechat/wallet",
            "wechat adapter": f"http://127.0.0.1:{settings.wechat_port}/wechat/wallet",
        }, args)
        on_bus = await queued(amqp_url) - before
    finally:
        bare.terminate()
        bare.wait(10)
    bare_runs, ours_runs = results["bare publish"]["max"], results["wechat adapter"]["max"]
    ratios = [o["rate"] / b["rate"] for b, o in zip(bare_runs, ours_runs, strict=True)]
    ratio = statistics.median(ratios)
    best_bare, best_ours = max(r["rate"] for r in bare_runs), max(r["rate"] for r in ours_runs)
    log(f"max rate: bare {best_bare:.0f} req/s, adapter {best_ours:.0f} req/s (best of {args.rounds})")
    log(f"ratio adapter/bare per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} "
        f"(target >= 0.7: {'met' if ratio >= 0.7 else 'MISSED'})")
    p99 = results["wechat adapter"]["steady"]["p99_ms"]
    log(f"adapter p99 at {args.rate:.0f}/s: {p99} ms (target < 100 ms: {'met' if p99 < 100 else 'MISSED'})")
    answered = results["wechat adapter"]["answered"] + results["bare publish"]["answered"]
    log(f"answered 200 (both endpoints, all runs): {answered}, new on the bus: {on_bus} "
        f"({'none lost' if on_bus == answered else 'MISMATCH'})")
    return 0 if on_bus == answered else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amqp-url", default=os.environ.get("RELAYDESK_BENCH_AMQP_URL", DEFAULT_AMQP))
    parser.add_argument("--database-url", default=os.environ.get("RELAYDESK_BENCH_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating max-rate rounds per endpoint")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients in the max-rate run")
    parser.add_argument("--rate", type=float, default=200.0, help="fixed rate of the latency run, req/s")
    parser.add_argument("--max-requests", type=int, default=30_000, help="bound on the max-rate run")
    parser.add_argument("--serve-bare", nargs=2, metavar=("PORT", "AMQP_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvloop

        uvloop.run(bare_endpoint(int(args.serve_bare[0]), args.serve_bare[1]))
        return 0
    resources = Resources(args.amqp_url, args.database_url)
    try:
        return asyncio.run(run(args, resources))
    finally:
        resources.cleanup()


if __name__ == "__main__":
    sys.exit(main())
