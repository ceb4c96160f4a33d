"""The one way Relaydesk services start: in this process until SIGINT or SIGTERM (`serve`, what
`relaydesk run` does), or as a child process that is ready when every service's `/readyz` answers
(`ServiceProcess`, what the tests and the benches start)."""

import asyncio
import contextlib
import ctypes
import importlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from shared import db, migrator
from shared.config import Settings, to_environ
from shared.secrets_check import check_secrets

log = logging.getLogger("relaydesk.launch")

ROOT = Path(__file__).resolve().parent.parent
SHUTDOWN_TIMEOUT = 6.0
"""Bound on one service's clean-up: aio-pika can wait forever on a channel it restored after
an outage. What is still unacked then is redelivered, so cutting the wait loses nothing."""
READY_TIMEOUT = 30.0
SERVICES: dict[str, str] = {
    "agent_api": "agent_api_port",
    "webchat_adapter": "webchat_port",
    "router": "router_port",
    "wechat_adapter": "wechat_port",
    "sms_adapter": "sms_port",
    "email_adapter": "email_port",
    "notifier": "notifier_port",
}
"""Each service's package under `services/` and the setting naming its port."""


def build_app(name: str, settings: Settings) -> web.Application:
    """The service's app from its own bootstrap, given only its own slice of the settings."""
    bootstrap = importlib.import_module(f"services.{name}.bootstrap")
    return bootstrap.build(bootstrap.settings_slice(settings))


async def serve(names: list[str], settings: Settings) -> None:
    """Migrate, start every named service's app on its port, and stop them all on a signal."""
    check_secrets(settings, names)
    # Each service's own schema, and those of the owners whose views it reads.
    await db.migrate(settings.database_url, migrator.with_owners(names))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runners = []
    try:
        for name in names:
            runner = web.AppRunner(
                build_app(name, settings), access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT / 2
            )
            await runner.setup()
            runners.append(runner)
            port = getattr(settings, SERVICES[name])
            await web.TCPSite(runner, settings.host, port).start()
            print(f"{name:<16} listening on http://{settings.host}:{port}", flush=True)
        await stop.wait()
    finally:
        for runner in reversed(runners):
            try:
                async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                    await runner.cleanup()
            except TimeoutError:
                log.warning("clean-up took over %ss; leaving the rest to the broker's redelivery", SHUTDOWN_TIMEOUT)


def service_url(settings: Settings, service: str, path: str = "") -> str:
    """Where a service started with these settings answers on this machine."""
    return f"http://127.0.0.1:{getattr(settings, SERVICES[service])}{path}"


class NotReady(RuntimeError):
    """The child process exited, or a service did not answer `/readyz` in time; carries its log's end."""


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the parent dies without stopping it."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServiceProcess:
    """`relaydesk run SERVICE…` as a child process with these settings; stopped by its own PID only.

    Its stderr (the services' log) goes to a file, not a pipe: a full pipe would block the
    child's logging. The file lives as long as this object, so `output()` works after `stop()`."""

    def __init__(self, settings: Settings, services: list[str], /, **overrides: object) -> None:
        self.settings, self.services, self.overrides = settings, services, overrides
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="relaydesk-", suffix=".log")  # noqa: SIM115

    @property
    def pid(self) -> int:
        assert self.process, "not spawned"
        return self.process.pid

    def spawn(self) -> "ServiceProcess":
        """Start the child; `overrides` are settings by field name, given to it as `RELAYDESK_*`."""
        # Popen only forks and execs; stop() and kill() are synchronous so that fixtures' teardown
        # and a bench's clean-up can call them outside any event loop.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relaydesk.cli", "run", *self.services],
            cwd=ROOT,
            env={**os.environ, **to_environ(self.settings, **self.overrides)},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            preexec_fn=_die_with_parent,
        )
        return self

    async def start(self, timeout: float = READY_TIMEOUT) -> "ServiceProcess":
        """Spawn the child and wait until it is ready."""
        self.spawn()
        await self.wait_ready(timeout)
        return self

    @property
    def label(self) -> str:
        return "+".join(s.replace("_adapter", "") for s in self.services)

    def url(self, service: str, path: str = "") -> str:
        """The address of one of this process's services (its port may be overridden)."""
        setting = SERVICES[service]
        return f"http://127.0.0.1:{self.overrides.get(setting, getattr(self.settings, setting))}{path}"

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Return when every service answers `/readyz` with 200; raise NotReady if the process
        exits first or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            for service in self.services:
                while not await self._ready(http, self.url(service, "/readyz")):
                    if time.monotonic() > deadline:
                        raise NotReady(f"{service} not ready after {timeout}s:\n{self.output()[-3000:]}")
                    await asyncio.sleep(0.05)

    async def _ready(self, http: aiohttp.ClientSession, url: str) -> bool:
        assert self.process, "not spawned"
        if self.process.poll() is not None:
            raise NotReady(
                f"`relaydesk run {' '.join(self.services)}` exited {self.process.returncode}:\n{self.output()[-3000:]}"
            )
        try:
            async with http.get(url) as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    def output(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as file:
            return file.read()

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight work is simply lost."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within 15 s; the log is kept for `output()`."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
