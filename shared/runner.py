"""Runs one or more services in this process until SIGINT or SIGTERM."""

import asyncio
import importlib
import logging
import signal

from aiohttp import web

from shared import db, migrator
from shared.config import Settings
from shared.secrets_check import check_secrets

log = logging.getLogger("relaydesk.runner")

SHUTDOWN_TIMEOUT = 6.0
"""Bound on one service's clean-up: aio-pika can wait forever on a channel it restored after
an outage. What is still unacked then is redelivered, so cutting the wait loses nothing."""
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
    return importlib.import_module(f"services.{name}.bootstrap").build(settings)


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
