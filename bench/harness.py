"""What every benchmark shares: throwaway resources (vhost, database, service processes) removed
after any ending, the local-servers rule and a time limit, CPU accounting per process, handler
histograms from /metrics, latency percentiles, and the raw broker ceiling.

A benchmark file measures; this module is what they import (the processes are started by the
one launcher, shared/launch.py)."""

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared` importable
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402

from bench.broker_ceiling import measure_ceiling  # noqa: E402
from shared import db  # noqa: E402
from shared.config import Settings  # noqa: E402

# The launcher is the benches' service process too: re-exported so a bench imports one module.
from shared.launch import ServiceProcess, service_url  # noqa: E402

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/postgres"
READY_TIMEOUT = 40.0
"""Seconds a service process may take to answer /readyz (a loaded machine migrates slowly)."""
BUSY_OTHER = 15  # % of one core used by other processes above which a measurement is "disturbed"…
BUSY_OTHER_PEAK = 50  # …or this much in any one second of it

UNTHROTTLED = {
    "webchat_rate": 1_000_000.0,
    "webchat_burst": 1_000_000,
    "webchat_address_rate": 1_000_000.0,
    "webchat_address_burst": 1_000_000,
    "webchat_session_rate": 1_000_000.0,
    "webchat_session_burst": 1_000_000,
    "agent_api_rate": 1_000_000.0,
    "agent_api_burst": 1_000_000,
}
"""Settings that raise the flood limits (per session, per address, new sessions, per token) so they
never refuse benchmark traffic, all from one address; the buckets are still checked every time."""


def log(line: str = "") -> None:
    print(line, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + path))


# --------------------------------------------------------------------------- resources


class Resources:
    """Everything this run created, removed in reverse by `cleanup` (also after errors)."""

    def __init__(self, amqp_url: str, admin_db_url: str) -> None:
        self.amqp_url, self.admin_db_url = amqp_url, admin_db_url
        self.rabbitmqctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
        self.vhosts: list[str] = []
        self.databases: list[str] = []
        self.processes: list[ServiceProcess] = []

    def ctl(self, *args: str) -> None:
        subprocess.run([self.rabbitmqctl, *args], check=True, capture_output=True, timeout=60)

    def create_vhost(self) -> str:
        name = f"relaydesk-bench-{uuid.uuid4().hex[:10]}"
        self.vhosts.append(name)  # before creating: a half-made vhost is still deleted
        self.ctl("add_vhost", name)
        self.ctl("set_permissions", "-p", name, urlsplit(self.amqp_url).username or "guest", ".*", ".*", ".*")
        return with_path(self.amqp_url, quote(name, safe=""))

    async def create_database(self) -> str:
        name = f"relaydesk_bench_{uuid.uuid4().hex[:10]}"
        self.databases.append(name)
        conn = await asyncpg.connect(self.admin_db_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        url = with_path(self.admin_db_url, name)
        await db.migrate(url)
        return url

    async def _drop_databases(self) -> list[str]:
        problems = []
        conn = await asyncpg.connect(self.admin_db_url)
        try:
            for name in self.databases:
                try:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except Exception as exc:  # keep going: drop the others
                    problems.append(f"drop database {name}: {exc!r}")
        finally:
            await conn.close()
        return problems

    def cleanup(self) -> None:
        """Stop our processes (by PID), delete our vhosts, drop our databases."""
        problems = []
        for process in reversed(self.processes):
            try:
                process.stop()
            except Exception as exc:
                problems.append(f"stop pid {process.pid}: {exc!r}")
        for name in self.vhosts:
            try:
                self.ctl("delete_vhost", name)
            except subprocess.CalledProcessError as exc:
                if b"not_found" not in (exc.stderr or b"") + (exc.stdout or b""):
                    problems.append(f"delete vhost {name}: {exc.stderr!r}")
            except Exception as exc:
                problems.append(f"delete vhost {name}: {exc!r}")
        if self.databases:
            try:
                problems += asyncio.run(self._drop_databases())
            except Exception as exc:
                problems.append(f"drop databases {self.databases}: {exc!r}")
        for problem in problems:
            print(f"cleanup: {problem}", file=sys.stderr, flush=True)
        self.processes, self.vhosts, self.databases = [], [], []


# --------------------------------------------------------------------------- CPU accounting

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 if it is gone); for this process, including
    its reaped children (the ceiling's consumer processes, `rabbitmqctl`)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rpartition(b")")[2].split()
        ticks = int(fields[11]) + int(fields[12])
        if pid == os.getpid():
            ticks += int(fields[13]) + int(fields[14])
        return ticks / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _scan(database: str, services: set[int]) -> dict[str, list[int]]:
    """PIDs by role: this process and its children (the generator, the ceiling's consumers), the
    RabbitMQ server, and the PostgreSQL processes that work for us (not for other clients)."""
    found: dict[str, list[int]] = {"generator": [], "rabbitmq": [], "postgres": []}
    parents: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as file:
                head, _, rest = file.read().rpartition(b")")
            comm, ppid = head.partition(b"(")[2].decode(errors="replace"), int(rest.split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(pid)] = ppid
        if comm == "beam.smp" and " rabbit boot" in _cmdline(pid):  # not `rabbitmqctl` runs
            found["rabbitmq"].append(int(pid))
        elif comm == "postgres":
            title = _cmdline(pid)
            # Backends of other databases (other people's tests) are not ours; WAL writer etc. are.
            if database in title or not re.search(r"\d\)|\[local\]", title):
                found["postgres"].append(int(pid))
    me = os.getpid()
    for pid in parents:
        ancestor, hops = pid, 0
        while ancestor not in (me, 0, 1) and ancestor not in services and hops < 20:
            ancestor, hops = parents.get(ancestor, 0), hops + 1
        if ancestor == me and pid not in services:
            found["generator"].append(pid)
    return found


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    with open("/proc/stat") as file:
        values = [int(v) for v in file.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """CPU used by each part of the system between `start` and `stop`, as % of one core.

    `other` is everything else on the machine (other people's processes, the kernel): when it
    is large the figures are disturbed by a busy machine.
    """

    def __init__(self, processes: list[ServiceProcess], database: str) -> None:
        self.processes, self.database = processes, database

    def _sample(self) -> dict:
        found = _scan(self.database, {p.pid for p in self.processes})
        groups = {
            "generator": found["generator"],
            **{p.label: [p.pid] for p in self.processes},
            "rabbitmq": found["rabbitmq"],
            "postgres": found["postgres"],
        }
        return {
            "wall": time.perf_counter(),
            "machine": _machine_busy(),
            "groups": {name: {pid: proc_cpu(pid) for pid in pids} for name, pids in groups.items()},
        }

    def start(self) -> None:
        self.first = self.previous = self._sample()
        self.other_per_s: list[int] = []

    async def tick(self) -> None:
        """Run as a task between `start` and `stop`: record `other` for every second."""
        while True:
            await asyncio.sleep(1)
            sample = self._sample()
            self.other_per_s.append(self._shares(self.previous, sample)["other"])
            self.previous = sample

    @staticmethod
    def _shares(first: dict, last: dict) -> dict:
        wall = last["wall"] - first["wall"]
        shares = {}
        for name, pids in last["groups"].items():
            before = first["groups"].get(name, {})
            # A process that appeared during the interval spent all its CPU in it.
            used = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
            shares[name] = round(100 * used / wall)
        busy, total = (b - a for a, b in zip(first["machine"], last["machine"], strict=False))
        machine = 100 * busy / max(total, 1) * (os.cpu_count() or 1)  # % of one core
        shares["other"] = max(0, round(machine - sum(shares.values())))
        shares["machine_pct_of_all_cores"] = round(machine / (os.cpu_count() or 1))
        shares["seconds"] = round(wall, 3)
        return shares

    def stop(self) -> dict:
        shares = self._shares(self.first, self._sample())
        shares["other_peak_1s"] = max(self.other_per_s, default=shares["other"])
        return shares

    @staticmethod
    def disturbed(shares: dict) -> bool:
        return shares["other"] > BUSY_OTHER or shares["other_peak_1s"] > BUSY_OTHER_PEAK


def cpu_line(shares: dict) -> str:
    hidden = ("machine_pct_of_all_cores", "seconds", "other_peak_1s")
    parts = [f"{k} {v}%" for k, v in shares.items() if k not in hidden]
    parts[-1] += f" (peak {shares.get('other_peak_1s', shares['other'])}% in 1 s)"
    warning = "  (DISTURBED: other processes were busy)" if CpuMeter.disturbed(shares) else ""
    return (
        f"  cpu (% of one core): {'  '.join(parts)}   machine {shares['machine_pct_of_all_cores']}% "
        f"of {os.cpu_count()} cores{warning}"
    )


# --------------------------------------------------------------------------- service metrics

_BUCKET = re.compile(r"^relaydesk_message_handle_seconds_(bucket|sum|count)\{([^}]*)\} (\S+)$")


async def handle_histograms(http: aiohttp.ClientSession, settings: Settings, processes) -> dict:
    """{(service, queue): {"buckets": {le: n}, "sum": s, "count": n}} from every process's /metrics."""
    found: dict = {}
    for process in processes:
        metrics_url = service_url(settings, process.services[0], "/metrics")
        async with http.get(metrics_url, headers={"Authorization": f"Bearer {settings.metrics_token}"}) as response:
            text = await response.text()
        for line in text.splitlines():
            if match := _BUCKET.match(line):
                kind, labels, value = match.groups()
                tags = dict(re.findall(r'(\w+)="([^"]*)"', labels))
                entry = found.setdefault((tags["service"], tags["queue"]), {"buckets": {}, "sum": 0.0, "count": 0.0})
                if kind == "bucket":
                    entry["buckets"][tags["le"]] = float(value)
                else:
                    entry[kind] = float(value)
    return found


def handle_summary(before: dict, after: dict) -> dict:
    """Per consumer: messages handled, mean and bucketed p99 of handler time in the interval."""
    summary = {}
    for key, entry in after.items():
        old = before.get(key, {"buckets": {}, "sum": 0.0, "count": 0.0})
        count = entry["count"] - old["count"]
        if count <= 0:
            continue
        p99 = "inf"
        for le in sorted(entry["buckets"], key=lambda b: float(b)):
            if entry["buckets"][le] - old["buckets"].get(le, 0.0) >= 0.99 * count:
                p99 = le
                break
        name = f"{key[0]}:{key[1]}"
        summary[name] = {
            "handled": int(count),
            "mean_ms": round(1000 * (entry["sum"] - old["sum"]) / count, 2),
            "p99_le_ms": p99 if p99 == "inf" else round(1000 * float(p99), 1),
        }
    return summary


# --------------------------------------------------------------------------- latency


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    if len(values) == 1:
        values = values * 2
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 2),
        "p90_ms": round(cuts[89], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(values), 2),
    }


# --------------------------------------------------------------------------- quiet machine, commit, ceiling


async def wait_quiet(meter: CpuMeter, max_wait: float, busy: int = BUSY_OTHER, quiet_only: bool = False) -> dict:
    """Wait (up to `max_wait` s) until other processes use under `busy`% of a core; return the last sample."""
    deadline = time.monotonic() + max_wait
    waited = False
    while True:
        meter.start()
        await asyncio.sleep(1)
        sample = meter.stop()
        if sample["other"] <= busy or time.monotonic() > deadline:
            break
        if not waited:
            log(
                f"  machine busy (other processes use {sample['other']}% of one core); "
                f"waiting up to {max_wait:g}s for it to calm down"
            )
            waited = True
    if waited or not quiet_only:
        log(
            f"  other processes on the machine: {sample['other']}% of one core"
            + ("  (BUSY MACHINE: expect disturbed figures)" if sample["other"] > busy else "")
        )
    return sample


def git_revision() -> str:
    """The commit measured, `+dirty` when the working tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


async def ceiling(args, resources: Resources) -> dict:
    """bench/broker_ceiling.py's figures, on a throwaway vhost; again once if the machine was busy."""
    vhost_url = resources.create_vhost()
    meter = CpuMeter([], "\0")
    for attempt in (1, 2):
        meter.start()
        ticker = asyncio.create_task(meter.tick())
        try:
            figures = await measure_ceiling(
                vhost_url, count=args.ceiling_count, rate=args.rate, rate_seconds=args.ceiling_rate_seconds
            )
        finally:
            ticker.cancel()
        figures["cpu"] = cpu = meter.stop()
        figures["disturbed"] = CpuMeter.disturbed(cpu)
        for prefix, label in (("one_hop", "one-hop"), ("two_hop", "two-hop")):
            log(
                f"ceiling {label}   {figures[prefix + '_msgs_per_s']:8.0f} msg/s  "
                f"p99 @{args.rate:g}/s {figures[prefix + '_rate_p99_ms']:.1f} ms"
            )
        log(cpu_line(cpu).replace("generator", "ceiling clients"))
        if not figures["disturbed"] or attempt == 2 or not args.retry_disturbed:
            return figures
        log("  disturbed by other processes on the machine: measuring again once it is quiet")
        await wait_quiet(meter, args.quiet_wait)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- command line and limits


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """`--amqp-url` and `--database-url`: `RELAYDESK_BENCH_*` or the servers on this machine."""
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("RELAYDESK_BENCH_AMQP_URL", DEFAULT_AMQP),
        help="broker; a throwaway vhost is created on it",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("RELAYDESK_BENCH_DATABASE_URL", DEFAULT_DATABASE),
        help="maintenance database; a throwaway database is created next to it",
    )


def require_local(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Benchmarks send traffic only to this machine."""
    for url in (args.amqp_url, args.database_url):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            parser.error(f"only local servers: {url}")


def run_bounded(work, resources: Resources, timeout: float | None = None):
    """The result of a benchmark's `work`, stopped after `timeout` seconds; Ctrl-C and SIGTERM unwind,
    and either way the vhost and database it made are removed (an interrupt exits 130)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds and cleans up too
    try:
        return asyncio.run(asyncio.wait_for(work, timeout))
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr, flush=True)
        sys.exit(130)
    finally:
        resources.cleanup()
