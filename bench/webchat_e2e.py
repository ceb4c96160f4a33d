"""Web chat end to end: visitor message -> agent stream latency, and the highest sustainable rate.

The system runs as real `relaydesk run` child processes on a throwaway RabbitMQ vhost and
PostgreSQL database that this script creates and removes. N agents are online with an open
`/v1/stream` WebSocket; V visitors hold open web-chat WebSockets. Latency is the time from
the visitor sending its frame to the agent's stream delivering the event that carries the
message's unique token (both ends live in this process, on one monotonic clock).

Phases, per topology ("split": `run router` + `run agent_api webchat_adapter`, the headline;
"single": all three services in one process):

1. first messages: every visitor's first message opens a conversation (`assignment` event);
2. fixed rate: --rate msg/s for --seconds, open loop, spread round-robin over the visitors,
   on conversations that are already assigned (`message` events, the common path);
3. step-up: higher rates for --step-seconds each until p99 exceeds --p99-bound-ms or a
   message is not delivered within the drain window; then a few bisection steps.

The two-hop raw ceiling (bench/broker_ceiling.py, publish->consume->publish->consume on
quorum queues) is measured first in the same run, on a throwaway vhost of the same broker,
before the system starts; the highest rate that held is reported as a ratio to it.

The web-chat per-session flood limit is raised for the run so it never refuses benchmark
traffic. CPU is accounted per process (generator, services, RabbitMQ, our PostgreSQL
backends); a phase during which other processes on the machine used much CPU is flagged
DISTURBED and measured once more after waiting for quiet. Exit status 1 if any message was
lost; missed performance targets are reported, not failed.

Run:  .venv/bin/python bench/webchat_e2e.py [--rate 200 --seconds 10 --visitors 200 ...]
"""

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared` importable
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
import msgspec  # noqa: E402

from bench.harness import (  # noqa: E402
    READY_TIMEOUT,
    UNTHROTTLED,
    CpuMeter,
    Resources,
    ServiceProcess,
    add_server_arguments,
    ceiling,
    cpu_line,
    free_port,
    git_revision,
    handle_histograms,
    handle_summary,
    log,
    percentiles,
    require_local,
    run_bounded,
    service_url,
    wait_quiet,
)
from services.agent_api.commands.accounts import add_agent  # noqa: E402
from shared.config import Settings  # noqa: E402

TOPOLOGIES = {
    "split": [["router"], ["agent_api", "webchat_adapter"]],
    "single": [["router", "agent_api", "webchat_adapter"]],
}
PAD = "my transfer to the wallet has not arrived yet, order 2024-xx, please check"
_decode = msgspec.json.Decoder().decode


@dataclass
class Visitor:
    session_id: str
    ws: aiohttp.ClientWebSocketResponse
    reader: asyncio.Task | None = None


@dataclass
class Agent:
    agent_id: str
    token: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    reader: asyncio.Task | None = None


@dataclass
class Load:
    """Visitors and agents in this process; every message is a numbered token `q<n>`."""

    http: aiohttp.ClientSession
    settings: Settings
    visitors: list[Visitor] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    sent_at: dict[int, float] = field(default_factory=dict)
    acked_at: dict[int, float] = field(default_factory=dict)
    got_at: dict[int, float] = field(default_factory=dict)
    got_kind: dict[int, str] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    duplicates: int = 0
    next_token: int = 0
    last_tokens: range = range(0)

    # -- setup

    async def add_agents(self, count: int, capacity: int) -> None:
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            for n in range(count):
                agent_id, token = await add_agent(
                    conn, f"bench-agent-{n}", capacity=capacity, skills=[], languages=["zh", "en"], role="agent"
                )
                self.agents.append(Agent(agent_id, token))
        finally:
            await conn.close()
        for agent in self.agents:
            headers = {"Authorization": f"Bearer {agent.token}"}
            agent.ws = await self.http.ws_connect(
                service_url(self.settings, "agent_api", "/v1/stream"), headers=headers, max_msg_size=0
            )
            agent.reader = asyncio.create_task(self._read_agent(agent))
            async with self.http.put(
                service_url(self.settings, "agent_api", "/v1/me/status"), json={"status": "online"}, headers=headers
            ) as response:
                assert response.status == 202, await response.text()
        deadline = time.monotonic() + 15
        for agent in self.agents:
            while True:
                async with self.http.get(
                    service_url(self.settings, "agent_api", "/v1/me"),
                    headers={"Authorization": f"Bearer {agent.token}"},
                ) as response:
                    if (await response.json())["status"] == "online":
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("agents did not come online")
                await asyncio.sleep(0.05)

    async def add_visitors(self, count: int) -> None:
        async def one(n: int) -> Visitor:
            async with self.http.post(
                service_url(self.settings, "webchat_adapter", "/webchat/session"), json={"name": f"visitor {n}"}
            ) as response:
                assert response.status == 201, await response.text()
                body = await response.json()
            ws = await self.http.ws_connect(
                service_url(self.settings, "webchat_adapter", f"/webchat/ws?token={body['token']}")
            )
            ready = await ws.receive_json(timeout=10)
            assert ready["type"] == "ready", ready
            visitor = Visitor(body["session_id"], ws)
            visitor.reader = asyncio.create_task(self._read_visitor(visitor))
            return visitor

        for first in range(0, count, 50):
            self.visitors += await asyncio.gather(*(one(n) for n in range(first, min(count, first + 50))))

    async def close(self) -> None:
        for person in [*self.visitors, *self.agents]:
            if person.ws is not None:
                await person.ws.close()
            if person.reader is not None:
                person.reader.cancel()

    # -- receivers

    async def _read_agent(self, agent: Agent) -> None:
        async for message in agent.ws:
            now = time.perf_counter()
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            event = _decode(message.data)
            kind = event.get("type")
            text = event.get("text") if kind == "message" else event.get("preview") if kind == "assignment" else None
            if not text or text[0] != "q":
                continue
            token = int(text[1 : text.index(" ")])
            if token in self.got_at:
                self.duplicates += 1
            else:
                self.got_at[token], self.got_kind[token] = now, kind
        self.errors["agent_stream_closed"] += 1

    async def _read_visitor(self, visitor: Visitor) -> None:
        async for message in visitor.ws:
            now = time.perf_counter()
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = _decode(message.data)
            if frame["type"] == "ack":
                self.acked_at[int(frame["client_id"][1:])] = now
            elif frame["type"] == "error":
                self.errors[frame.get("code", "error")] += 1
        self.errors["visitor_socket_closed"] += 1

    # -- senders

    async def _send(self, visitor: Visitor, token: int) -> None:
        data = f'{{"type":"message","client_id":"c{token}","text":"q{token} {PAD}"}}'
        self.sent_at[token] = time.perf_counter()
        try:
            await visitor.ws.send_str(data)
        except (ConnectionError, RuntimeError) as exc:
            self.errors[f"send_failed:{type(exc).__name__}"] += 1

    async def run_open_loop(self, rate: float, count: int, visitors: list[Visitor]) -> dict:
        """Send `count` messages at `rate`/s on a fixed schedule, round-robin over `visitors`."""
        tokens = range(self.next_token, self.next_token + count)
        self.next_token += count
        start = time.perf_counter()
        sent, max_lag = 0, 0.0
        while sent < count:
            now = time.perf_counter()
            due = min(count, int((now - start) * rate) + 1)
            if due > sent:  # behind schedule: catch up at once (open loop, no waiting on acks)
                max_lag = max(max_lag, now - (start + sent / rate))
            while sent < due:
                await self._send(visitors[sent % len(visitors)], tokens[sent])
                sent += 1
            delay = start + sent / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        elapsed = time.perf_counter() - start
        return {
            "tokens": tokens,
            "achieved_rate": count / elapsed if elapsed else float("inf"),
            "max_schedule_lag_ms": round(1000 * max_lag, 1),
        }

    async def drain(self, tokens: range, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        # A deadline-bounded poll over what several socket readers record; arrival times are stamped
        # by the readers themselves, so the 20 ms period does not enter the results.
        while time.perf_counter() < deadline and not all(t in self.got_at for t in tokens):  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    def result(self, tokens: range, target_rate: float, achieved_rate: float, lag_ms: float) -> dict:
        got = [t for t in tokens if t in self.got_at]
        latencies = [1000 * (self.got_at[t] - self.sent_at[t]) for t in got]
        acks = [1000 * (self.acked_at[t] - self.sent_at[t]) for t in tokens if t in self.acked_at]
        first, last = self.sent_at[tokens[0]], max((self.got_at[t] for t in got), default=0.0)
        return {
            "rate": target_rate,
            "sent": len(tokens),
            "delivered": len(got),
            "lost": len(tokens) - len(got),
            "achieved_rate": round(achieved_rate, 1),
            "delivered_per_s": round(len(got) / (last - first), 1) if last > first else 0.0,
            **percentiles(latencies),
            "ack": {k: v for k, v in percentiles(acks).items() if k in ("p50_ms", "p99_ms")},
            "kinds": dict(Counter(self.got_kind[t] for t in got)),
            "max_schedule_lag_ms": lag_ms,
            "p99_ms_per_s": self.timeline(tokens, first),
        }

    def timeline(self, tokens: range, first: float) -> list[float | None]:
        """p99 latency of the messages sent in each second of the run (None: nothing delivered)."""
        seconds: dict[int, list[float]] = {}
        for t in tokens:
            if t in self.got_at:
                seconds.setdefault(int(self.sent_at[t] - first), []).append(1000 * (self.got_at[t] - self.sent_at[t]))
        return [
            round(percentiles(seconds[n])["p99_ms"], 1) if n in seconds else None
            for n in range(max(seconds, default=-1) + 1)
        ]

    async def phase(
        self,
        rate: float,
        seconds: float,
        drain_s: float,
        visitors: list[Visitor] | None = None,
        count: int | None = None,
    ) -> dict:
        errors_before = Counter(self.errors)
        count = count if count is not None else max(2, round(rate * seconds))
        run = await self.run_open_loop(rate, count, visitors or self.visitors)
        self.last_tokens = run["tokens"]
        await self.drain(run["tokens"], drain_s)
        out = self.result(run["tokens"], rate, run["achieved_rate"], run["max_schedule_lag_ms"])
        out["errors"] = dict(self.errors - errors_before)
        return out


def phase_line(label: str, r: dict) -> str:
    return (
        f"{label:<22}{r['achieved_rate']:6.0f} msg/s  p50 {r['p50_ms'] or 0:7.1f} ms  p90 {r['p90_ms'] or 0:7.1f} ms"
        f"  p99 {r['p99_ms'] or 0:7.1f} ms  max {r['max_ms'] or 0:7.1f} ms  lost {r['lost']}"
        f"{'  errors ' + json.dumps(r['errors']) if r['errors'] else ''}"
    )


# --------------------------------------------------------------------------- one topology


def held(r: dict, bound_ms: float) -> tuple[bool, str]:
    if r["errors"]:
        return False, f"errors {r['errors']}"
    if r["lost"]:
        return False, f"{r['lost']} not delivered in the drain window"
    if r["p99_ms"] is None or r["p99_ms"] > bound_ms:
        return False, f"p99 {r['p99_ms']} ms > {bound_ms:.0f} ms"
    return True, "held"


class Topology:
    """One running system (its processes), its agents and visitors, and measurements on it."""

    def __init__(self, name: str, args, resources: Resources) -> None:
        self.name, self.args, self.resources = name, args, resources

    async def run(self) -> dict:
        args = self.args
        amqp_url = self.resources.create_vhost()
        database_url = await self.resources.create_database()
        self.settings = settings = Settings(
            amqp_url=amqp_url,
            database_url=database_url,
            host="127.0.0.1",
            agent_api_port=free_port(),
            file_link_secret="bench-file-links-" + uuid.uuid4().hex,  # agent_api refuses to start without one
            webchat_port=free_port(),
            router_port=free_port(),
            webchat_secret="bench-secret-" + uuid.uuid4().hex,
            metrics_token="bench-metrics-" + uuid.uuid4().hex,
            **UNTHROTTLED,
        )
        self.processes = [ServiceProcess(settings, services).spawn() for services in TOPOLOGIES[self.name]]
        self.resources.processes += self.processes
        self.meter = CpuMeter(self.processes, urlsplit(database_url).path.lstrip("/"))
        report: dict = {
            "topology": self.name,
            "processes": {p.label: p.pid for p in self.processes},
            "visitors": args.visitors,
            "agents": args.agents,
        }
        log(
            f"\n== {self.name}: "
            + ", ".join(f"`relaydesk run {' '.join(p.services)}` (pid {p.pid})" for p in self.processes)
        )
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as self.http:
            for process in self.processes:
                await process.wait_ready(READY_TIMEOUT)
            self.load = load = Load(self.http, settings)
            try:
                await self.measure(report)
            except Exception:
                for process in self.processes:
                    print(
                        f"--- last log lines of `relaydesk run {' '.join(process.services)}`:\n"
                        f"{process.output()[-2000:]}",
                        file=sys.stderr,
                        flush=True,
                    )
                raise
            finally:
                await load.close()
        for process in self.processes:
            process.stop()
        self.resources.processes = [p for p in self.resources.processes if p not in self.processes]
        return report

    async def measure(self, report: dict) -> None:
        args, load = self.args, self.load
        capacity = max(5, 2 * -(-args.visitors // args.agents))
        await load.add_agents(args.agents, capacity)
        await load.add_visitors(args.visitors)
        log(f"{args.agents} agents online (capacity {capacity}), {args.visitors} visitors connected")

        # 1. First messages: every visitor opens a conversation; its agent gets an assignment.
        self.meter.start()
        ticker = asyncio.create_task(self.meter.tick())
        try:
            first = await load.phase(args.rate, 0, args.drain_seconds, count=args.visitors)
        finally:
            ticker.cancel()
        first["cpu"] = self.meter.stop()
        first["disturbed"] = CpuMeter.disturbed(first["cpu"])
        report["first_message"] = first
        log(
            phase_line(f"first msg @{args.rate:g}/s", first)
            + f"  (assignment path; drained at {first['delivered_per_s']:.0f}/s)"
        )
        log(cpu_line(first["cpu"]))
        if first["lost"] or first["kinds"].get("assignment", 0) != args.visitors:
            raise RuntimeError(f"warm-up failed: not every visitor got an assignment: {first}")

        # Short steady warm-up on the message path (pools, caches), not reported.
        await load.phase(args.rate, 2, args.drain_seconds)

        # 2. Fixed rate on assigned conversations: the common path.
        report["fixed"] = fixed = await self.measured_phase(f"webchat e2e @{args.rate:g}/s", args.rate, args.seconds)
        log(
            "  p99 ms per second of the run: "
            + " ".join(f"{v:.0f}" if v is not None else "-" for v in fixed["p99_ms_per_s"])
        )
        log("  other processes, % of one core per second: " + " ".join(map(str, fixed["other_cpu_per_s"])))
        log(
            f"  ack (visitor -> webchat, publish confirmed) p50 {fixed['ack']['p50_ms']} ms "
            f"p99 {fixed['ack']['p99_ms']} ms; generator max schedule lag {fixed['max_schedule_lag_ms']} ms"
        )
        for consumer, figures in fixed["handlers"].items():
            log(
                f"  handler {consumer:<24} {figures['handled']:6d} msgs  mean {figures['mean_ms']:6.2f} ms"
                f"  p99 <= {figures['p99_le_ms']} ms"
            )
        per_msg = fixed["cpu_ms_per_msg"]
        log(
            "  cpu per message (ms): "
            + "  ".join(f"{k} {v:.2f}" for k, v in per_msg.items())
            + f"  -> all {os.cpu_count()} cores busy at ~{fixed['cpu_bound_rate']:.0f} msg/s"
        )

        # 3. Step up until it breaks, then bisect.
        report["steps"] = await self.step_up(fixed)
        good = [s for s in report["steps"] if s["held"]]
        report["max_sustainable_rate"] = max((s["rate"] for s in good), default=0)
        report["max_delivered_per_s"] = max((s["delivered_per_s"] for s in report["steps"]), default=0)
        report["duplicates_seen"] = load.duplicates

    async def measured_phase(self, label: str, rate: float, seconds: float) -> dict:
        """A phase with CPU and handler figures; measured again once if other processes disturbed it."""
        args, load = self.args, self.load
        for attempt in (1, 2):
            if attempt == 1:
                await wait_quiet(self.meter, args.quiet_wait, quiet_only=True)
            before = await handle_histograms(self.http, self.settings, self.processes)
            self.meter.start()
            ticker = asyncio.create_task(self.meter.tick())
            try:
                r = await load.phase(rate, seconds, args.drain_seconds)
            finally:
                ticker.cancel()
            r["cpu"] = cpu = self.meter.stop()
            r["other_cpu_per_s"] = self.meter.other_per_s
            r["handlers"] = handle_summary(before, await handle_histograms(self.http, self.settings, self.processes))
            ours = {
                k: v
                for k, v in cpu.items()
                if k not in ("other", "other_peak_1s", "machine_pct_of_all_cores", "seconds")
            }
            r["cpu_ms_per_msg"] = {k: round(v / 100 * cpu["seconds"] * 1000 / r["sent"], 2) for k, v in ours.items()}
            r["cpu_ms_per_msg"]["total"] = round(sum(r["cpu_ms_per_msg"].values()), 2)
            r["cpu_bound_rate"] = round((os.cpu_count() or 1) * 1000 / r["cpu_ms_per_msg"]["total"])
            r["disturbed"] = CpuMeter.disturbed(cpu)
            r["attempt"] = attempt
            log(phase_line(label, r))
            log(cpu_line(cpu))
            if not r["disturbed"] or attempt == 2 or not args.retry_disturbed:
                return r
            log("  disturbed by other processes on the machine: measuring again once it is quiet")
            await load.drain(load.last_tokens, args.recover_seconds)
            await wait_quiet(self.meter, args.quiet_wait)
        raise AssertionError("unreachable")

    async def step_up(self, fixed: dict) -> list[dict]:
        args, load = self.args, self.load
        keys = (
            "rate",
            "achieved_rate",
            "delivered_per_s",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "max_ms",
            "lost",
            "errors",
            "cpu",
            "cpu_ms_per_msg",
            "disturbed",
        )
        ok, why = held(fixed, args.p99_bound_ms)
        steps = [{**{k: fixed[k] for k in keys}, "held": ok, "why": f"(fixed-rate run) {why}"}]
        lo, hi = (args.rate, None) if ok else (0, args.rate)
        for _ in range(args.max_steps):
            if hi is None:
                rate = lo + args.step
            elif hi - lo <= max(args.resolution, 0.1 * lo):
                break
            else:
                rate = round((lo + hi) / 2 / 10) * 10
            r = await self.measured_phase(f"step {rate:g}/s", rate, args.step_seconds)
            ok, why = held(r, args.p99_bound_ms)
            if r["achieved_rate"] < 0.95 * rate:
                ok, why = False, f"generator only reached {r['achieved_rate']:.0f} msg/s (load generator limit)"
            steps.append({**{k: r[k] for k in keys}, "held": ok, "why": why})
            log(f"  -> {why}")
            if ok:
                lo = rate
                continue
            hi = rate
            # Let the backlog drain before another step, or stop searching.
            await load.drain(load.last_tokens, args.recover_seconds)
            if not all(t in load.got_at for t in load.last_tokens):
                log(f"  backlog not drained within {args.recover_seconds:g}s: stopping the search")
                break
            if "generator" in why:
                break
        return steps


# --------------------------------------------------------------------------- main


async def run(args, resources: Resources) -> dict:
    figures: dict = {
        "commit": git_revision(),
        "rate": args.rate,
        "seconds": args.seconds,
        "visitors": args.visitors,
        "agents": args.agents,
        "p99_bound_ms": args.p99_bound_ms,
        "cpus": os.cpu_count(),
    }
    log(
        f"relaydesk {figures['commit']}: {os.cpu_count()} cores, rate {args.rate:g}/s for {args.seconds:g}s, "
        f"{args.visitors} visitors, {args.agents} agents"
    )
    async with asyncio.timeout(args.timeout):
        figures["machine_before_start"] = await wait_quiet(CpuMeter([], "\0"), args.quiet_wait)
        if not args.skip_ceiling:
            figures["ceiling"] = await ceiling(args, resources)
        names = ["split", "single"] if args.topology == "both" else [args.topology]
        figures["topologies"] = {}
        for name in names:
            figures["topologies"][name] = await Topology(name, args, resources).run()
    summarize(figures, args)
    return figures


def summarize(figures: dict, args) -> None:
    ceiling = figures.get("ceiling")
    log("\n== summary (headline: split = `run router` + `run agent_api webchat_adapter`)")
    if ceiling:
        log(
            f"ceiling two-hop      {ceiling['two_hop_msgs_per_s']:6.0f} msg/s  "
            f"p99 @{args.rate:g}/s {ceiling['two_hop_rate_p99_ms']:.1f} ms"
            + ("  DISTURBED by other processes" if ceiling["disturbed"] else "")
        )
    for name, t in figures["topologies"].items():
        fixed, first, tag = t["fixed"], t["first_message"], f"[{name}]"
        log(
            f"webchat e2e @{args.rate:g}/s {fixed['achieved_rate']:6.0f} msg/s  p50 {fixed['p50_ms']:.1f} ms  "
            f"p99 {fixed['p99_ms']:.1f} ms  lost {fixed['lost']}  {tag}"
            + ("  DISTURBED by other processes" if fixed["disturbed"] else "")
        )
        line = f"webchat e2e max     {t['max_sustainable_rate']:6.0f} msg/s"
        if ceiling:
            t["max_ratio_to_two_hop"] = round(t["max_sustainable_rate"] / ceiling["two_hop_msgs_per_s"], 3)
            t["p99_ratio_to_two_hop_at_rate"] = round(fixed["p99_ms"] / ceiling["two_hop_rate_p99_ms"], 2)
            line += f"  ({t['max_ratio_to_two_hop']:.2f} of ceiling)"
        disturbed = [f"{s['rate']:g}/s" for s in t["steps"] if s["disturbed"]]
        log(line + f"  {tag}" + (f"  DISTURBED steps: {' '.join(disturbed)}" if disturbed else ""))
        if ceiling:
            log(f"  p99 @{args.rate:g}/s is {t['p99_ratio_to_two_hop_at_rate']:.1f}x the two-hop p99")
        log(
            f"  first message (assignment path) @{args.rate:g}/s: p50 {first['p50_ms']:.1f} ms  "
            f"p99 {first['p99_ms']:.1f} ms  lost {first['lost']}  (drained at {first['delivered_per_s']:.0f}/s)"
            + ("  DISTURBED by other processes" if first["disturbed"] else "")
        )
        log(
            f"  highest delivery rate seen: {t['max_delivered_per_s']:.0f} msg/s; cpu per message "
            f"{fixed['cpu_ms_per_msg']['total']:.2f} ms (all processes) -> every core busy at "
            f"~{fixed['cpu_bound_rate']:.0f} msg/s"
        )
        gen = fixed["cpu"]["generator"]
        log(
            f"  load generator: {gen}% of one core at {args.rate:g}/s"
            + (" (WARNING: near a full core, it may distort results)" if gen > 70 else " (not the bottleneck)")
        )
        t["meets_target"] = {
            "ratio_ge_0_5": t.get("max_ratio_to_two_hop", 0) >= 0.5 if ceiling else None,
            "p99_lt_50ms_at_200": (fixed["p99_ms"] < 50 and fixed["lost"] == 0) if args.rate == 200 else None,
        }
    log(
        "targets (>= 0.5 of ceiling, p99 < 50 ms at 200/s): "
        + json.dumps({n: t["meets_target"] for n, t in figures["topologies"].items()})
    )
    name, t = next(iter(figures["topologies"].items()))
    figures["headline"] = {
        "topology": name,
        "two_hop_msgs_per_s": ceiling["two_hop_msgs_per_s"] if ceiling else None,
        "two_hop_rate_p99_ms": ceiling["two_hop_rate_p99_ms"] if ceiling else None,
        "rate": args.rate,
        **{k: t["fixed"][k] for k in ("achieved_rate", "p50_ms", "p90_ms", "p99_ms", "max_ms", "lost", "disturbed")},
        "max_sustainable_rate": t["max_sustainable_rate"],
        "max_ratio_to_two_hop": t.get("max_ratio_to_two_hop"),
        "p99_ratio_to_two_hop_at_rate": t.get("p99_ratio_to_two_hop_at_rate"),
        "cpu_ms_per_msg": t["fixed"]["cpu_ms_per_msg"],
        "generator_cpu_pct": t["fixed"]["cpu"]["generator"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--rate", type=float, default=200, help="fixed rate, msg/s (default 200)")
    parser.add_argument("--seconds", type=float, default=10, help="duration of the fixed-rate run")
    parser.add_argument("--visitors", type=int, default=200, help="open web-chat sockets")
    parser.add_argument("--agents", type=int, default=10, help="online agents with an open stream")
    parser.add_argument("--max-steps", type=int, default=6, help="step-up runs after the fixed-rate run")
    parser.add_argument("--step", type=float, default=200, help="rate increment of the step-up, msg/s")
    parser.add_argument("--step-seconds", type=float, default=4, help="duration of each step")
    parser.add_argument("--resolution", type=float, default=50, help="stop bisecting below this gap, msg/s")
    parser.add_argument("--p99-bound-ms", type=float, default=250, help="a step holds while p99 is under this")
    parser.add_argument("--drain-seconds", type=float, default=5, help="wait for deliveries after each run")
    parser.add_argument("--recover-seconds", type=float, default=20, help="wait for a backlog after a failed step")
    parser.add_argument("--topology", choices=["split", "single", "both"], default="both")
    parser.add_argument("--skip-ceiling", action="store_true", help="do not measure the raw two-hop ceiling")
    parser.add_argument("--ceiling-count", type=int, default=3000, help="messages per ceiling max-throughput run")
    parser.add_argument("--ceiling-rate-seconds", type=int, default=5, help="duration of the ceiling fixed-rate runs")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20,
        help="wait up to this long for other processes to calm down before measuring",
    )
    parser.add_argument(
        "--no-retry-disturbed",
        dest="retry_disturbed",
        action="store_false",
        help="do not measure a phase again when other processes disturbed it",
    )
    parser.add_argument("--timeout", type=float, default=420, help="hard limit on the whole run, seconds")
    args = parser.parse_args()
    require_local(parser, args)

    resources = Resources(args.amqp_url, args.database_url)
    figures = run_bounded(run(args, resources), resources)
    print(json.dumps(figures, default=str), flush=True)
    lost = sum(t["fixed"]["lost"] + t["first_message"]["lost"] for t in figures["topologies"].values())
    return 1 if lost else 0  # a lost message is a failure; missed performance targets are not


if __name__ == "__main__":
    sys.exit(main())
