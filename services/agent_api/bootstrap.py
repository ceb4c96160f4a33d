"""Wires the agent API: authentication, REST routes, the live stream and its queue."""

import importlib

from aiohttp import web

from contracts import AgentEvent
from contracts.topology import AGENT_API_LIVE_PREFIX, AGENT_EVENT_PATTERN
from services.agent_api.auth import authenticate
from services.agent_api.routes import add_routes
from services.agent_api.stream import StreamHub
from shared.broker import live_queue, make_broker, subscribe
from shared.config import Settings
from shared.http import base_app

SERVICE = "agent_api"
EXTENSIONS = ("stats_routes", "admin_routes", "privacy_routes")
"""Route modules being built in parallel (issue 5); each exposes `register(app)`. Wired here by
name until they all exist, so none of them has to edit this file."""


def _register_extensions(app: web.Application) -> None:
    for name in EXTENSIONS:
        try:
            module = importlib.import_module(f"services.agent_api.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.agent_api.{name}":
                raise
            continue
        module.register(app)


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app.middlewares.append(authenticate)
    add_routes(app)
    _register_extensions(app)
    hub = StreamHub()
    app.router.add_get("/v1/stream", hub.handle)
    app.on_shutdown.append(hub.close_all)
    subscribe(SERVICE, broker, live_queue(AGENT_API_LIVE_PREFIX, AGENT_EVENT_PATTERN), AgentEvent, hub.on_event)
    return app
