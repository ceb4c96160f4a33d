"""The agent console's speed targets of issue 15, in Debian's Chromium driven by Playwright.

1. With 10,000 conversations in the store the inbox is interactive within 1 s of login and
   scrolls smoothly (virtualised list).
2. A customer message appears in the open conversation within 300 ms (p95) of the customer
   sending it on web chat.

A throwaway database (and RabbitMQ vhost) is seeded with bench/agent_api.py's dataset, all of it
worked by two agents: the console's agent's "All" view holds about half of the 10,000
conversations (those it worked on) and "Mine" its open ones; its password is set with
`relaydesk agents passwd`. `relaydesk run router` and `relaydesk run agent_api webchat_adapter`
run as child processes (bench/webchat_e2e.py's harness; web-chat flood limits raised so they
never refuse benchmark traffic).

- login: --logins runs (after one unmeasured warm-up), each in a fresh browser context; times are
  taken in the page (bench/console_probe.js) from the login form's submit event;
- scroll: the "All" view scrolled --scroll-rows rows, --rows-per-frame rows a frame, with every
  frame's interval, the rows in the DOM and frames painted with a gap in the list recorded;
- live message: a web-chat visitor (a WebSocket in this process) sends --messages messages at
  --rate/s into the conversation the agent has open; a MutationObserver in the page stamps each
  text's arrival on the page's wall clock (performance.timeOrigin + now), compared with this
  process's wall clock just before the send (same machine, same clock). The raw two-hop broker
  round trip (bench/broker_ceiling.py) is measured first in the same run for comparison.

Traffic goes to 127.0.0.1 only; everything this run starts, it stops (by PID) and removes.
Missed targets are reported, never failed: exit status 1 only when a message was lost.

Run:  .venv/bin/python bench/console.py [--conversations 10000 --logins 10 --messages 200 ...]
"""

import argparse
import asyncio
import contextlib
import math
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench`, `services`, `shared`, `tests` importable
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from bench.agent_api import seed  # noqa: E402
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
    log,
    require_local,
    run_bounded,
    service_url,
    wait_quiet,
)
from bench.webchat_e2e import TOPOLOGIES, Load  # noqa: E402
from shared.config import Settings, to_environ  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = "bench console password 15"
PROBE = ROOT / "bench" / "console_probe.js"
LOGIN_TARGET_MS = 1000.0
MESSAGE_TARGET_MS = 300.0
LONG_FRAME_MS = 50.0
MAX_DROPPED_PCT = 5.0
MAX_DOM_ROWS = 60
INTERACTIVE = (
    "interactive = from the login form's submit event until the first inbox row is in the DOM, a click on it "
    "(dispatched in the page as soon as the main thread takes a task) has run, and that conversation's "
    "history is in the DOM"
)


def quantiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max by nearest rank (what a count of 10 or 200 can honestly say)."""
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {"p50": rank(0.5), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1]} if ordered else {}


def spread(label: str, values: list[float], keys: tuple[str, ...] = ("p50", "p95", "max")) -> str:
    q = quantiles(values)
    return f"{label:<34}" + "  ".join(f"{k} {q[k]:7.1f} ms" for k in keys) if q else f"{label:<34}no data"


# --------------------------------------------------------------------------- the system


async def prepare(args, resources: Resources) -> tuple[Settings, str, str]:
    """Seed the store, give its one agent room for a new chat and a password; returns (settings, name, token)."""
    amqp_url, database_url = resources.create_vhost(), await resources.create_database()
    seeded = await seed(database_url, args.conversations, 2, args.seed)  # two: the dataset has transfers
    agent_id, token = next(iter(seeded.agents.items()))
    conn = await asyncpg.connect(database_url)
    try:
        # The live-message chat must be assigned to the console's agent: room for it, nobody else online.
        name = await conn.fetchval("UPDATE agents SET capacity = 50 WHERE id = $1 RETURNING name", uuid.UUID(agent_id))
        await conn.execute("UPDATE agent_state SET status = 'offline' WHERE agent_id <> $1", uuid.UUID(agent_id))
        mine = await conn.fetchval(
            "SELECT count(*) FROM conversations WHERE agent_id = $1 AND status = 'assigned'", uuid.UUID(agent_id)
        )
        worked = await conn.fetchval(
            "SELECT count(*) FROM conversation_agents WHERE agent_id = $1", uuid.UUID(agent_id)
        )
    finally:
        await conn.close()
    log(f"  the console's agent {name}: {mine} open conversations (Mine), {worked:,} worked on (All)")
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        host="127.0.0.1",
        log_level="WARNING",
        agent_api_port=free_port(),
        webchat_port=free_port(),
        router_port=free_port(),
        webchat_secret="bench-secret-" + uuid.uuid4().hex,
        file_link_secret="bench-file-links-" + uuid.uuid4().hex,
        **UNTHROTTLED,
    )
    child = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "relaydesk.cli", "agents", "passwd", name],
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **to_environ(settings)},
        cwd=ROOT,
    )
    _, stderr = await asyncio.wait_for(child.communicate((PASSWORD + "\n").encode()), 60)
    if child.returncode:
        raise RuntimeError(f"relaydesk agents passwd: {stderr.decode(errors='replace')}")
    return settings, name, token


# --------------------------------------------------------------------------- the browser


class Console:
    """Fresh contexts of one headless Chromium on the console, each with the probe."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.browser, self.base, self.name = browser, base, name
        self.errors: list[str] = []

    async def open(self):
        context = await self.browser.new_context(locale="en-US", viewport={"width": 1366, "height": 850})
        await context.add_init_script(path=str(PROBE))
        page = await context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        await page.goto(f"{self.base}/console/")
        await page.get_by_label("Name", exact=True).fill(self.name)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.wait_for_load_state("networkidle")  # the form as a person finds it: nothing still loading
        return context, page

    async def login(self) -> dict:
        """One login to interactive; the page's marks (ms since submit) and its long tasks meanwhile."""
        context, page = await self.open()
        try:
            await page.get_by_label("Password", exact=True).press("Enter")
            await page.wait_for_function("() => window.__bench.marks.openedPainted !== undefined")
            bench = await page.evaluate("() => window.__bench")
        finally:
            await context.close()
        marks = bench["marks"]
        if not marks["openedHash"].endswith(bench["clicked"]):
            raise RuntimeError(f"the opened conversation is not the clicked row: {marks} {bench['clicked']}")
        t0 = marks["submit"]
        long_tasks = [d for start, d in bench["longTasks"] if t0 <= start <= marks["openedPainted"]]
        return {k: marks[k] - t0 for k in ("rows", "rowsPainted", "click", "opened", "openedPainted")} | {
            "long_tasks": long_tasks
        }

    async def signed_in(self):
        context, page = await self.open()
        await page.get_by_label("Password", exact=True).press("Enter")
        await page.locator(".rows .row").first.wait_for()
        return context, page


async def measure_logins(console: Console, runs: int) -> list[dict]:
    await console.login()  # warm-up: the server's and the browser's first time for everything
    results = []
    for n in range(runs):
        results.append(await console.login())
        r = results[-1]
        log(
            f"  login {n + 1:2d}: rows {r['rows']:6.1f}  painted {r['rowsPainted']:6.1f}  click {r['click']:6.1f}  "
            f"history {r['opened']:6.1f}  painted {r['openedPainted']:6.1f} ms  "
            f"long tasks {len(r['long_tasks'])} ({sum(r['long_tasks']):.0f} ms)"
        )
    return results


async def measure_scroll(console: Console, args) -> dict:
    context, page = await console.signed_in()
    try:
        await page.get_by_role("button", name="All", exact=True).click()
        await page.locator(".rows .row").first.wait_for()
        await page.wait_for_load_state("networkidle")
        profiler = await start_profile(context, page) if args.profile else None
        figures = await page.evaluate(
            "([rows, perFrame, maxMs]) => window.__bench.scroll(rows, perFrame, maxMs)",
            [args.scroll_rows, args.rows_per_frame, args.scroll_seconds * 1000],
        )
        return figures | {"hot": await stop_profile(profiler) if profiler else []}
    finally:
        await context.close()


async def measure_messages(console: Console, settings: Settings, token: str, args) -> dict:
    """A visitor's chat assigned to the agent and open in the console; then the paced messages."""
    context, page = await console.signed_in()
    async with aiohttp.ClientSession() as http:
        load = Load(http, settings)
        try:
            await page.get_by_role("radio", name="Online", exact=True).click()
            me = service_url(settings, "agent_api", "/v1/me")
            deadline = time.monotonic() + 15
            while True:  # the router has the agent online before the visitor writes
                async with http.get(me, headers={"Authorization": f"Bearer {token}"}) as response:
                    if (await response.json())["status"] == "online":
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the console's agent did not come online")
                await asyncio.sleep(0.05)
            await load.add_visitors(1)
            visitor, nonce = load.visitors[0], "b" + uuid.uuid4().hex[:8]
            await visitor.ws.send_json({"type": "message", "client_id": "c0", "text": f"{nonce} hello, my wallet"})
            row = page.locator(".rows .row").filter(has_text=f"{nonce} hello")
            await row.click()
            await page.locator(".timeline .side-customer .text").filter(has_text=f"{nonce} hello").wait_for()
            await page.evaluate("(nonce) => window.__bench.watchMessages(nonce)", nonce)
            profiler = await start_profile(context, page) if args.profile else None
            sent = await send_paced(visitor, nonce, args.messages, args.rate)
            with contextlib.suppress(PlaywrightTimeout):  # what did not come in time is counted lost
                await page.wait_for_function(
                    f"() => Object.keys(window.__bench.messages).length >= {len(sent)}", timeout=args.drain * 1000
                )
            await page.wait_for_timeout(100)  # the last frame's paint stamp
            hot = await stop_profile(profiler) if profiler else []
            got = await page.evaluate("() => window.__bench.messages")
            skew = await page.evaluate("() => Date.now() - (performance.timeOrigin + performance.now())")
            long_tasks = await page.evaluate(
                "() => window.__bench.longTasks.filter(([at]) => at >= window.__bench.marks.watch).map(([, d]) => d)"
            )
            errors = dict(load.errors)  # before closing the visitor's socket counts as an error
        finally:
            await load.close()
            await context.close()
    dom = [got[str(n)]["dom"] - at for n, at in sent.items() if str(n) in got]
    quarters = [
        [got[str(n)]["dom"] - sent[n] for n in part if str(n) in got]
        for part in (list(sent)[i * len(sent) // 4 : (i + 1) * len(sent) // 4] for i in range(4))
    ]
    painted = [got[str(n)]["painted"] - at for n, at in sent.items() if str(n) in got and got[str(n)]["painted"]]
    return {
        "dom": dom,
        "painted": painted,
        "lost": len(sent) - len(dom),
        "errors": errors,
        "quarters": quarters,
        "hot": hot,
        "skew_ms": skew,
        "long_tasks": long_tasks,
    }


async def start_profile(context, page):
    """Chromium's sampling profiler on the page (DevTools protocol), 1 ms interval."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("Profiler.enable")
    await cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
    await cdp.send("Profiler.start")
    return cdp


async def stop_profile(cdp) -> list[tuple[float, str]]:
    """The page's functions by self time (ms), most first."""
    profile = (await cdp.send("Profiler.stop"))["profile"]
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    self_ms: dict[str, float] = {}
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node_id]
        where = f"{frame['functionName'] or '(anonymous)'} {frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber'] + 1}"
        self_ms[where] = self_ms.get(where, 0.0) + delta / 1000
    return sorted(((ms, where) for where, ms in self_ms.items()), reverse=True)[:12]


async def send_paced(visitor, nonce: str, count: int, rate: float) -> dict[int, float]:
    """`count` messages at `rate`/s on a fixed schedule; each one's wall-clock send time in ms."""
    sent, start = {}, time.perf_counter()
    for n in range(1, count + 1):
        delay = start + (n - 1) / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = f'{{"type":"message","client_id":"c{n}","text":"{nonce}-{n} my transfer has not arrived yet"}}'
        sent[n] = time.time_ns() / 1e6
        await visitor.ws.send_str(frame)
    return sent


# --------------------------------------------------------------------------- the run


def scroll_figures(s: dict) -> dict:
    """Frame intervals as the verdict reads them; vsync is taken as the median interval."""
    frames = s["frames"]
    vsync = sorted(frames)[len(frames) // 2] if frames else 16.7
    missed = sum(max(0, round(f / vsync) - 1) for f in frames)
    return {
        "vsync": vsync,
        "dropped_pct": 100 * missed / max(1, missed + len(frames)),
        "long_frames": sum(f > LONG_FRAME_MS for f in frames),
        **quantiles(frames),
    }


def smooth(s: dict) -> bool:
    f = scroll_figures(s)
    return (
        not f["long_frames"] and f["dropped_pct"] < MAX_DROPPED_PCT and s["maxDom"] <= MAX_DOM_ROWS and not s["blank"]
    )


def scroll_report(s: dict) -> list[str]:
    f = scroll_figures(s)
    return [
        f"  scrolled {s['rowsScrolled']:,} rows ({s['rowsPerFrame']} a frame) in {s['seconds']:.1f} s; "
        f"{s['loadedRows']:,} rows loaded by then (pages of 100 fetched while scrolling)",
        f"  frames {len(s['frames'])}: interval p50 {f['p50']:.1f} ms, p95 {f['p95']:.1f} ms, max {f['max']:.1f} ms; "
        f"long frames (> {LONG_FRAME_MS:g} ms) {f['long_frames']}; dropped frames {f['dropped_pct']:.1f}% "
        f"(vsync taken as the median interval, {f['vsync']:.1f} ms)",
        f"  rows in the DOM at most {s['maxDom']} (row height {s['rowH']} px); frames painted with a gap in the list "
        f"{s['blank']}; long tasks {len(s['longTasks'])} ({sum(s['longTasks']):.0f} ms)",
        f"  frames the scroll stood at the loaded end waiting for the next page: {s['stalled']}",
        *(f"  profile: {ms:8.1f} ms self  {where}" for ms, where in s["hot"]),
    ]


async def run(args, resources: Resources) -> int:
    log(
        f"relaydesk {git_revision()}: {os.cpu_count()} cores; console speed with {args.conversations:,} conversations; "
        f"{CHROMIUM} headless"
    )
    await wait_quiet(CpuMeter([], "\0"), args.quiet_wait)
    raw = await ceiling(
        argparse.Namespace(
            ceiling_count=args.ceiling_count,
            rate=args.ceiling_rate,
            ceiling_rate_seconds=5,
            retry_disturbed=False,
            quiet_wait=args.quiet_wait,
        ),
        resources,
    )
    settings, name, token = await prepare(args, resources)
    processes = [ServiceProcess(settings, services).spawn() for services in TOPOLOGIES["split"]]
    resources.processes += processes
    for process in processes:
        await process.wait_ready(READY_TIMEOUT)
    meter = CpuMeter(processes, urlsplit(settings.database_url).path.lstrip("/"))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        console = Console(browser, service_url(settings, "agent_api", ""), name)
        try:
            log(f"\n== login to interactive, {args.logins} runs after one warm-up\n  ({INTERACTIVE})")
            logins = await metered(meter, measure_logins(console, args.logins))
            log(f"\n== scroll the All view {args.scroll_rows:,} rows")
            scroll = await metered(meter, measure_scroll(console, args))
            scroll["rowsPerFrame"] = args.rows_per_frame
            for line in scroll_report(scroll):
                log(line)
            log(f"\n== live customer message: {args.messages} web-chat messages at {args.rate:g}/s into the open chat")
            messages = await metered(meter, measure_messages(console, settings, token, args))
        finally:
            await browser.close()
    return summarize(logins, scroll, messages, raw, console.errors, args)


async def metered(meter: CpuMeter, work):
    """Run `work` and print the CPU each part used meanwhile (other processes' share included)."""
    meter.start()
    ticker = asyncio.create_task(meter.tick())
    try:
        result = await work
    finally:
        ticker.cancel()
    log(cpu_line(meter.stop()).replace("generator", "bench+chromium"))
    return result


def summarize(logins: list[dict], scroll: dict, messages: dict, raw: dict, errors: list[str], args) -> int:
    log("\n== summary")
    interactive = [r["opened"] for r in logins]
    log(spread("login -> first rows in the DOM", [r["rows"] for r in logins]))
    log(spread("login -> interactive", interactive))
    log(spread("login -> interactive, painted", [r["openedPainted"] for r in logins]))
    met = quantiles(interactive)["p95"] < LOGIN_TARGET_MS
    log(
        f"target 1a: inbox interactive within {LOGIN_TARGET_MS:g} ms of login (p95 of {len(logins)}): "
        f"{'met' if met else 'missed'}"
    )
    log(
        f"target 1b: scrolls smoothly (no frame > {LONG_FRAME_MS:g} ms, < {MAX_DROPPED_PCT:g}% frames dropped, "
        f"<= {MAX_DOM_ROWS} rows in the DOM, no gap painted): {'met' if smooth(scroll) else 'missed'}"
    )
    keys = ("p50", "p95", "p99", "max")
    log(spread("customer send -> text in the DOM", messages["dom"], keys) + f"  lost {messages['lost']}")
    log(spread("customer send -> text painted", messages["painted"], keys))
    two_hop = (raw["two_hop_rate_p50_ms"], raw["two_hop_rate_p99_ms"])
    q = quantiles(messages["dom"])
    log(
        f"raw broker two-hop round trip @{args.ceiling_rate}/s: p50 {two_hop[0]:.1f} ms  p99 {two_hop[1]:.1f} ms; "
        + (f"console p50 {q['p50'] / two_hop[0]:.1f}x, p99 {q['p99'] / two_hop[1]:.1f}x of it" if q else "")
    )
    if messages["errors"]:
        log(f"  web-chat errors: {messages['errors']}")
    log(
        f"  page clock check: Date.now() - (timeOrigin + now) = {messages['skew_ms']:.1f} ms "
        "(both clocks of this machine)"
    )
    log(
        "  by quarter of the run (the history grows): "
        + "  ".join(
            f"p50 {quantiles(part)['p50']:.0f} / p95 {quantiles(part)['p95']:.0f} ms"
            for part in messages["quarters"]
            if part
        )
    )
    lt = messages["long_tasks"]
    if lt:
        log(f"  long tasks while messages arrived: {len(lt)}, {sum(lt):.0f} ms in all, longest {max(lt):.0f} ms")
    for ms, where in messages["hot"]:
        log(f"  profile: {ms:8.1f} ms self  {where}")
    met = bool(q) and q["p95"] < MESSAGE_TARGET_MS and not messages["lost"]
    log(f"target 2: p95 < {MESSAGE_TARGET_MS:g} ms, none lost: {'met' if met else 'missed'}")
    for error in errors:
        log(f"page error: {error}")
    return 1 if messages["lost"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_server_arguments(parser)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=15, help="random seed of the dataset")
    parser.add_argument("--logins", type=int, default=10, help="measured logins (after one warm-up)")
    parser.add_argument("--scroll-rows", type=int, default=2000, help="rows to scroll the All view through")
    parser.add_argument("--rows-per-frame", type=int, default=4, help="scroll speed: rows a frame")
    parser.add_argument("--scroll-seconds", type=float, default=60, help="bound on the scroll")
    parser.add_argument("--messages", type=int, default=200, help="customer messages into the open chat")
    parser.add_argument("--rate", type=float, default=5, help="customer messages a second")
    parser.add_argument("--drain", type=float, default=10, help="seconds to wait for the last messages")
    parser.add_argument("--ceiling-count", type=int, default=500, help="messages per raw ceiling max run")
    parser.add_argument("--ceiling-rate", type=int, default=20, help="msg/s of the raw ceiling's latency runs")
    parser.add_argument("--profile", action="store_true", help="profile the page while messages arrive; top functions")
    parser.add_argument("--quiet-wait", type=float, default=15, help="wait up to this long for a quiet machine")
    parser.add_argument("--timeout", type=float, default=600, help="hard limit on the whole run, seconds")
    args = parser.parse_args()
    require_local(parser, args)
    if not Path(CHROMIUM).exists():
        parser.error(f"no Chromium at {CHROMIUM}: install Debian's chromium package")
    if args.rate <= 0 or not 1 <= args.messages <= 10_000 or not 1 <= args.logins <= 100:
        parser.error("--rate > 0, --messages 1..10000, --logins 1..100")
    resources = Resources(args.amqp_url, args.database_url)
    return run_bounded(run(args, resources), resources, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
