"""Agent stream fan-out: an event published the router's way -> its frame on the agent's socket, N agents.

`relaydesk run agent_api` runs as a child process on a throwaway RabbitMQ vhost and PostgreSQL
database that this script creates and removes. N agents (200 by default) hold a `/v1/stream`
WebSocket each, in this process. Each round writes one event per agent into the router's
outbox table and publishes them with the router's own code (`shared.outbox.publish_events`:
persistent, confirmed, message id = outbox id); latency is from the publish call to the frame
arriving on the agent's socket, on one monotonic clock. A round ends when every frame has
arrived (or after --drain seconds: the rest count as lost).

The raw broker round trip is measured in the same run, in the same shape: N persistent,
confirmed messages per round through a topic exchange to an exclusive queue consumed by
aio-pika in this process; the stream's p50/p99 are reported as ratios to it.

Run:  .venv/bin/python bench/agent_stream.py [--agents 200 --rounds 20]
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import queue
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared` importable
    sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
import msgspec  # noqa: E402

from bench.broker_ceiling import STAMP  # noqa: E402
from bench.harness import (  # noqa: E402
    READY_TIMEOUT,
    Resources,
    ServiceProcess,
    add_server_arguments,
    free_port,
    log,
    percentiles,
    require_local,
    run_bounded,
)
from contracts import Channel, CustomerMessageReceived  # noqa: E402
from contracts.topology import agent_event_key  # noqa: E402
from services.agent_api.commands.accounts import add_agent  # noqa: E402
from services.router.db.uow import OUTBOX  # noqa: E402
from shared.broker import make_broker  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.outbox import Outbox, PublishedMarks, publish_events  # noqa: E402

TEXT = "my transfer to the wallet has not arrived yet, order 2024-xx, please check"


class Arrivals:
    """When each awaited id arrived; `done` is set once all of them have."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.waiting: set[str] = set()
        self.done = asyncio.Event()

    def expect(self, ids) -> None:
        self.at, self.waiting = {}, set(ids)
        self.done.clear()

    def arrived(self, key: str) -> None:
        if key in self.waiting:
            self.at[key] = time.perf_counter()
            self.waiting.discard(key)
            if not self.waiting:
                self.done.set()

    async def round(self, started: float, drain: float) -> tuple[list[float], int]:
        """Latencies in ms of this round, and how many never arrived."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), drain)
        return [(at - started) * 1000 for at in self.at.values()], len(self.waiting)


def _raw_consumer(url: str, exchange: str, agents: int, rounds: int, events) -> None:
    """Child process: the broker's consumer side, as the agent API is a process of its own. Reports
    ("ready"), then one ("round", latencies in ms) per round, or ("error", why)."""

    async def consume() -> None:
        async with await aio_pika.connect(url) as connection:
            channel = await connection.channel()
            inbox = await channel.declare_queue(exclusive=True)
            await inbox.bind(exchange, "assignment.*")
            batch: list[float] = []

            def on_message(message) -> None:
                batch.append((time.time_ns() - STAMP.unpack_from(message.body)[0]) / 1e6)
                if len(batch) == agents:
                    events.put(("round", batch[:]))
                    batch.clear()

            await inbox.consume(on_message, no_ack=True)
            events.put(("ready", None))
            await asyncio.sleep(rounds * 30)  # bounded; the parent ends this process when it is done

    try:
        asyncio.run(consume())
    except BaseException as exc:
        events.put(("error", repr(exc)))


async def raw_round_trip(amqp_url: str, agents: int, rounds: int, args) -> tuple[list[float], int]:
    """The broker alone, same shape: rounds of `agents` confirmed persistent messages, each stamped
    with the round's start, to a consumer in another process."""
    exchange_name = f"bench.raw.{uuid.uuid4().hex}"
    connection = await aio_pika.connect(amqp_url)
    events = multiprocessing.get_context("spawn").Queue()
    child = multiprocessing.get_context("spawn").Process(
        target=_raw_consumer, args=(amqp_url, exchange_name, agents, rounds, events), daemon=True
    )
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, auto_delete=True)
        child.start()
        await _next(events, "ready", args.drain * 2)
        latencies, lost = [], 0
        for _ in range(rounds):
            body = STAMP.pack(time.time_ns()).ljust(len(TEXT) * 4, b"x")  # about an event's size
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        f"assignment.{n}",
                        mandatory=False,
                    )
                    for n in range(agents)
                )
            )
            try:
                latencies += await _next(events, "round", args.drain)
            except queue.Empty:
                lost += agents
            await asyncio.sleep(args.pause)
        return latencies, lost
    finally:
        child.terminate()
        child.join(5)
        await connection.close()


async def _next(events, kind: str, timeout: float):
    """The consumer child's next report, waited for off the event loop; queue.Empty on timeout."""
    found, payload = await asyncio.to_thread(events.get, True, timeout)
    if found != kind:
        raise RuntimeError(f"raw consumer: {found} {payload}")
    return payload


async def open_streams(http: aiohttp.ClientSession, url: str, tokens: list[str], arrivals: Arrivals) -> list:
    """One stream per agent, each answering a ping (so the hub holds it) before the run starts."""

    async def read(ws) -> None:
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                frame = msgspec.json.decode(message.data)
                arrivals.arrived(str(frame.get("id")))

    async def one(token: str):
        ws = await http.ws_connect(f"{url}/v1/stream", headers={"Authorization": f"Bearer {token}"})
        await ws.send_str("ping")
        assert (await ws.receive_json(timeout=10))["type"] == "pong"
        return ws, asyncio.create_task(read(ws))

    return [await one(token) for token in tokens]  # one by one: a burst of handshakes is not the point


async def fan_out(settings: Settings, agent_ids: list[str], arrivals: Arrivals, args) -> tuple[list[float], int]:
    """Rounds of one event per agent, written to the router's outbox and published its way."""
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    broker = make_broker(settings)
    await broker.connect()
    try:
        marks, latencies, lost = PublishedMarks(pool, OUTBOX), [], 0
        for _ in range(args.rounds):
            outbox = Outbox(OUTBOX)
            for agent_id in agent_ids:
                event = CustomerMessageReceived(
                    str(uuid.uuid4()),
                    agent_id,
                    datetime.now(UTC),
                    message_id=str(uuid.uuid4()),
                    channel=Channel.WEBCHAT,
                    text=TEXT,
                )
                outbox.add(agent_event_key(agent_id), event, agent_id)
            async with pool.acquire() as conn, conn.transaction():
                events = await outbox.write(conn)
            arrivals.expect(str(e.id) for e in events)
            started = time.perf_counter()
            await publish_events(broker, marks, events)
            got, missing = await arrivals.round(started, args.drain)
            latencies += got
            lost += missing
            await asyncio.sleep(args.pause)
        return latencies, lost
    finally:
        await broker.stop()
        await pool.close()


async def run(args, resources: Resources) -> int:
    amqp_url, database_url = resources.create_vhost(), await resources.create_database()
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        host="127.0.0.1",
        agent_api_port=free_port(),
        file_link_secret="bench-file-links-" + uuid.uuid4().hex,  # agent_api refuses to start without one
        agent_api_rate=1_000_000.0,
        agent_api_burst=1_000_000,
    )
    conn = await asyncpg.connect(database_url)
    try:
        accounts = [
            await add_agent(conn, f"bench-{n}", capacity=5, skills=[], languages=["zh", "en"], role="agent")
            for n in range(args.agents)
        ]
    finally:
        await conn.close()
    process = ServiceProcess(settings, ["agent_api"]).spawn()
    resources.processes.append(process)
    arrivals = Arrivals()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        await process.wait_ready(READY_TIMEOUT)
        log(f"agent_api pid {process.pid}; {args.agents} agents, {args.rounds} rounds of one event each")
        raw, raw_lost = await raw_round_trip(amqp_url, args.agents, args.rounds, args)
        streams = await open_streams(
            http, f"http://127.0.0.1:{settings.agent_api_port}", [t for _, t in accounts], arrivals
        )
        stream, lost = await fan_out(settings, [a for a, _ in accounts], arrivals, args)
        for ws, reader in streams:
            await ws.close()
            reader.cancel()
    report("raw broker round trip", raw, raw_lost)
    report("stream fan-out", stream, lost)
    r, s = percentiles(raw), percentiles(stream)
    if r["p50_ms"] and s["p50_ms"]:
        log(f"ratio stream/raw        p50 {s['p50_ms'] / r['p50_ms']:5.1f}x  p99 {s['p99_ms'] / r['p99_ms']:5.1f}x")
    return 1 if lost or raw_lost else 0


def report(label: str, latencies: list[float], lost: int) -> None:
    p = percentiles(latencies)
    log(
        f"{label:<24}{len(latencies):6d} frames  p50 {p['p50_ms'] or 0:7.2f} ms  p90 {p['p90_ms'] or 0:7.2f} ms"
        f"  p99 {p['p99_ms'] or 0:7.2f} ms  max {p['max_ms'] or 0:7.2f} ms  lost {lost}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--agents", type=int, default=200, help="connected agents (default 200)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of one event per agent")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between rounds")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds a round waits for its frames")
    parser.add_argument("--timeout", type=float, default=300.0, help="hard limit on the whole run, seconds")
    args = parser.parse_args()
    require_local(parser, args)
    resources = Resources(args.amqp_url, args.database_url)
    return run_bounded(run(args, resources), resources, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
