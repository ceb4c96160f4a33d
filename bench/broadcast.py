"""Broadcast fan-out: 10,000 and 100,000 recipients, unthrottled; recipients/s and the notifier's peak memory.

For each size, on a throwaway RabbitMQ vhost and PostgreSQL database that this script creates
and removes: N contacts are seeded with COPY, a third each on SMS, email and WeChat (all
reachable; WeChat customers wrote an hour ago, so the customer-service text goes; a tenth
of them joined to customer profiles), then `relaydesk run notifier` starts as a child process
with every channel unthrottled (`RELAYDESK_BROADCAST_RATES` all 0), surveys off and a default
time zone where it is midday (no SMS is held by quiet hours). One `CreateBroadcast` command
to everyone is published on `notify.command`, as the agent API does.

Times are the database's: from `started_at` (the broadcast leaves `scheduled`) to planning
done (first seen out of `planning`, polled) and to `finished_at` (`done`: nobody queued).
Recipients/s planned and enqueued (published with a confirm and marked sent) are printed
beside the raw broker ceiling, measured on the same vhost just before each size's run
(bench/broker_ceiling.py: one hop, 1 KB persistent confirmed messages). Memory is the
notifier's resident set: `VmRSS` after start-up, before the broadcast, and `VmHWM` (its
high-water mark) once it is done.
Target (issue 6): the 100,000 run's peak within 1.2x the 10,000 run's.

Exit status 1 when a run does not end with every recipient sent and on its outbound queue;
a missed target is reported, not failed.

Run:  .venv/bin/python bench/broadcast.py [--sizes 10000,100000]
"""

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared` importable
    sys.path.insert(0, str(ROOT))

import aio_pika  # noqa: E402
import asyncpg  # noqa: E402

from bench.broker_ceiling import measure_ceiling  # noqa: E402
from bench.harness import (  # noqa: E402
    READY_TIMEOUT,
    Resources,
    ServiceProcess,
    add_server_arguments,
    free_port,
    git_revision,
    log,
    proc_cpu,
    require_local,
)
from contracts.broadcasts import (  # noqa: E402
    Audience,
    Content,
    CreateBroadcast,
    EmailContent,
    SmsContent,
    WeChatContent,
)
from contracts.topology import EMAIL_OUTBOUND, NOTIFY_COMMAND_KEY, SMS_OUTBOUND, WECHAT_OUTBOUND  # noqa: E402
from services.agent_api.commands.accounts import add_agent  # noqa: E402
from shared.broker import make_broker, publish  # noqa: E402
from shared.config import Settings  # noqa: E402

TARGET_GROWTH = 1.2
CONTENT = Content(
    wechat=WeChatContent(
        text="钱包新功能上线 / New wallet feature", template_id="TPL-NOTICE", template_data={"first": "您好"}
    ),
    email=EmailContent(
        subject="手续费调整 / Fee change", text="Fees change on 1 December.", html="<p>Fees change on 1 December.</p>"
    ),
    sms=SmsContent(text="【钱包】12月1日起手续费调整，详情见App。回T退订"),
)
OUTBOUND = (SMS_OUTBOUND, EMAIL_OUTBOUND, WECHAT_OUTBOUND)
PROGRESS = "SELECT state, planned, started_at, finished_at, clock_timestamp() AS now FROM broadcasts WHERE id = $1"


def midday_zone() -> str:
    """A fixed-offset zone where it is about noon now, so quiet hours hold no SMS back."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        fields = dict(line.split(":", 1) for line in status if line.startswith(("VmRSS", "VmHWM")))
    return {name: int(value.split()[0]) for name, value in fields.items()}


async def seed(database_url: str, size: int) -> str:
    """`size` contacts over the three push channels, a tenth joined to profiles; a supervisor's id."""
    now = datetime.now(UTC)
    recent, old = now - timedelta(hours=1), now - timedelta(days=10)
    contacts = [
        (
            *[("sms", f"+8613{n:09d}"), ("email", f"c{n}@example.com"), ("wechat", f"openid-{n}")][n % 3],
            True,
            recent if n % 3 == 2 else old,
            "main",
        )
        for n in range(size)
    ]
    people = [uuid.uuid4() for _ in range(size // 10)]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.copy_records_to_table(
            "contacts", columns=["channel", "address", "reachable", "last_inbound_at", "account"], records=contacts
        )
        await conn.copy_records_to_table("customers", columns=["id"], records=[(p,) for p in people])
        await conn.copy_records_to_table(
            "customer_identities",
            columns=["channel", "address", "customer_id"],
            records=[(*contacts[n * 10][:2], p) for n, p in enumerate(people)],
        )
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would have on a live database
        agent_id, _ = await add_agent(
            conn, "bench-supervisor", capacity=1, skills=[], languages=["zh", "en"], role="supervisor"
        )
    finally:
        await conn.close()
    return agent_id


async def create_broadcast(settings: Settings, agent_id: str) -> str:
    """Publish the supervisor's command to broadcast to everyone now; the broadcast's id."""
    broadcast_id, now = str(uuid.uuid4()), datetime.now(UTC)
    command = CreateBroadcast(
        command_id=str(uuid.uuid4()),
        agent_id=agent_id,
        issued_at=now,
        broadcast_id=broadcast_id,
        name="bench",
        audience=Audience(kind="everyone"),
        content=CONTENT,
        send_at=now,
    )
    broker = make_broker(settings)
    await broker.connect()
    try:
        await publish(broker, command, NOTIFY_COMMAND_KEY, message_id=command.command_id)
    finally:
        await broker.stop()
    return broadcast_id


async def follow(database_url: str, broadcast_id: str, timeout: float, poll: float) -> dict:
    """Poll the broadcast until done; its start, when planning was first seen over, and its finish."""
    conn = await asyncpg.connect(database_url)
    try:
        planned_at, deadline = None, time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await conn.fetchrow(PROGRESS, uuid.UUID(broadcast_id))
            if found and found["state"] not in ("scheduled", "planning") and planned_at is None:
                planned_at = found["now"]
            if found and found["state"] == "done":
                counts = dict(
                    await conn.fetch(
                        "SELECT state, count(*) FROM broadcast_recipients WHERE broadcast_id = $1 GROUP BY 1",
                        uuid.UUID(broadcast_id),
                    )
                )
                first_sent = await conn.fetchval(
                    "SELECT min(updated_at) FROM broadcast_recipients WHERE broadcast_id = $1 AND state = 'sent'",
                    uuid.UUID(broadcast_id),
                )
                return {
                    "started": found["started_at"],
                    "planned_at": planned_at,
                    "finished": found["finished_at"],
                    "first_sent": first_sent,
                    "planned": found["planned"],
                    "states": counts,
                }
            await asyncio.sleep(poll)
        raise TimeoutError(f"broadcast not done after {timeout:g}s (last seen {dict(found or {})})")
    finally:
        await conn.close()


async def queued_on_outbound(amqp_url: str) -> int:
    """Messages waiting on the three outbound queues (nobody consumes them here)."""
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel()
        return sum(
            [(await channel.declare_queue(q.name, passive=True)).declaration_result.message_count for q in OUTBOUND]
        )


async def fan_out(size: int, args, resources: Resources) -> dict:
    """One size, end to end, on its own vhost and database; its figures."""
    amqp_url, database_url = resources.create_vhost(), await resources.create_database()
    figures = await measure_ceiling(amqp_url, count=args.ceiling_count, rate=200, rate_seconds=1)
    one_hop = figures["one_hop_msgs_per_s"]
    seeded = time.monotonic()
    agent_id = await seed(database_url, size)
    log(
        f"{size:>7} recipients: broker ceiling (one hop, 1 KB persistent confirmed) {one_hop:.0f} msg/s; "
        f"seeded in {time.monotonic() - seeded:.1f}s"
    )
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        host="127.0.0.1",
        notifier_port=free_port(),
        broadcast_rates={"sms": 0.0, "email": 0.0, "wechat": 0.0},
        survey_delay="off",
        default_timezone=midday_zone(),
        scheduler_interval=args.scheduler_interval,
    )
    process = ServiceProcess(settings, ["notifier"]).spawn()
    resources.processes.append(process)
    await process.wait_ready(READY_TIMEOUT)
    await asyncio.sleep(args.settle)  # let start-up allocations finish before the baseline
    before, cpu_before = memory_kb(process.pid), proc_cpu(process.pid)
    broadcast_id = await create_broadcast(settings, agent_id)
    result = await follow(database_url, broadcast_id, args.run_timeout, args.poll)
    after = memory_kb(process.pid)
    result.update(
        size=size,
        pid=process.pid,
        rss_before_kb=before["VmRSS"],
        hwm_before_kb=before["VmHWM"],
        hwm_kb=after["VmHWM"],
        cpu_s=proc_cpu(process.pid) - cpu_before,
        ceiling=one_hop,
        on_queues=await queued_on_outbound(amqp_url),
    )
    return result


def report(r: dict) -> bool:
    """Print one run's figures; True when every recipient was sent and is on its queue."""
    size, sent = r["size"], r["states"].get("sent", 0)
    plan_s = (r["planned_at"] - r["started"]).total_seconds()
    total_s = (r["finished"] - r["started"]).total_seconds()
    r["planned_per_s"], r["sent_per_s"] = r["planned"] / plan_s, sent / total_s
    ratio = r["sent_per_s"] / r["ceiling"]
    log(
        f"{size:>7} recipients: planned {r['planned']} in {plan_s:6.2f}s = {r['planned_per_s']:7.0f}/s   "
        f"start->done {total_s:6.2f}s = {r['sent_per_s']:7.0f} sent/s ({ratio:.2f} of ceiling)"
    )
    log(
        f"{'':>7}  first marked sent at +{(r['first_sent'] - r['started']).total_seconds():.2f}s; "
        f"states {dict(sorted(r['states'].items()))}, {r['on_queues']} on the outbound queues"
    )
    log(
        f"{'':>7}  notifier pid {r['pid']}: RSS after start-up {r['rss_before_kb'] / 1024:6.1f} MiB "
        f"(high-water {r['hwm_before_kb'] / 1024:.1f}), peak (VmHWM) {r['hwm_kb'] / 1024:6.1f} MiB, "
        f"growth {(r['hwm_kb'] - r['rss_before_kb']) / 1024:+6.1f} MiB; "
        f"cpu {r['cpu_s']:.1f}s = {r['cpu_s'] * 1000 / size * 1000:.0f} ms per 1000 recipients"
    )
    return sent == size == r["planned"] == r["on_queues"]


def one_size(size: int, args) -> dict:
    """`fan_out` in its own loop; its vhost, database and process removed after."""
    resources = Resources(args.amqp_url, args.database_url)
    try:
        return asyncio.run(asyncio.wait_for(fan_out(size, args, resources), args.run_timeout + 120))
    finally:
        resources.cleanup()  # between runs too: the outbound queues hold every message sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--sizes", default="10000,100000", help="audience sizes, comma-separated")
    parser.add_argument(
        "--scheduler-interval",
        type=float,
        default=Settings().scheduler_interval,
        help="the notifier's scheduler and planner polling interval, seconds",
    )
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after ready before the RSS baseline")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between progress polls")
    parser.add_argument("--ceiling-count", type=int, default=5000, help="messages of the ceiling run")
    parser.add_argument("--run-timeout", type=float, default=600.0, help="limit on one broadcast, seconds")
    args = parser.parse_args()
    require_local(parser, args)
    sizes = [int(size) for size in args.sizes.split(",")]
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds and cleans up too
    log(
        f"relaydesk {git_revision()}: {os.cpu_count()} cores; broadcast to {', '.join(map(str, sizes))} "
        f"recipients, unthrottled, scheduler interval {args.scheduler_interval:g}s"
    )
    try:
        runs, complete = [], True
        for size in sizes:
            runs.append(one_size(size, args))
            complete = report(runs[-1]) and complete
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr, flush=True)
        return 130
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        ratio = large["hwm_kb"] / small["hwm_kb"]
        log(
            f"peak memory {large['size']} / {small['size']}: {ratio:.2f}x  ->  {large['size'] // 1000}k peak within "
            f"{TARGET_GROWTH:g}x of {small['size'] // 1000}k peak: {'met' if ratio <= TARGET_GROWTH else 'NOT met'}"
        )
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
