"""Wires the agent API: authentication and rate limits, REST routes, the live stream and its queue."""

from aiohttp import web

from contracts import AgentEvent
from contracts.topology import AGENT_API_LIVE_PREFIX, AGENT_EVENT_PATTERN
from services.agent_api.commands.tokens import TokenLimits
from services.agent_api.deps import AgentDeps
from services.agent_api.http import (
    admin_routes,
    agent_edit_routes,
    apidoc,
    attachment_routes,
    broadcast_routes,
    callback_reveal,
    callback_routes,
    canned_routes,
    consent_routes,
    console_routes,
    customer_routes,
    file_routes,
    privacy_routes,
    session_routes,
    stats_routes,
    workspace_routes,
)
from services.agent_api.http.auth import authenticate
from services.agent_api.http.conversation_routes import add_routes
from services.agent_api.settings import AgentApiSettings, settings_slice
from services.agent_api.stream.auth import StreamAuth
from services.agent_api.stream.fanout import StreamHub
from services.agent_api.stream.presence import PresenceReporter
from shared.broker import live_queue, make_broker, on_connection_events, subscribe
from shared.http import base_app

SERVICE = "agent_api"
__all__ = ["build", "settings_slice"]


def build(settings: AgentApiSettings) -> web.Application:
    broker = make_broker(settings)
    limits = TokenLimits(settings.agent_api_rate, settings.agent_api_burst)
    deps = AgentDeps(service=SERVICE, settings=settings, broker=broker, rate_limits=limits)
    # 8 MiB: a broadcast may name up to 100,000 customer ids; other bodies are bounded by their Structs,
    # and file uploads are streamed with their own limit.
    app = base_app(deps, database=True, max_body=8 * 1024**2)
    app.middlewares.append(authenticate)
    add_routes(app)
    session_routes.register(app)
    admin_routes.register(app)
    agent_edit_routes.register(app)
    privacy_routes.register(app)
    stats_routes.register(app)
    workspace_routes.register(app)
    canned_routes.register(app)
    customer_routes.register(app)
    consent_routes.register(app)
    file_routes.register(app)
    attachment_routes.register(app)
    callback_routes.register(app)
    callback_reveal.register(app)
    broadcast_routes.register(app)
    apidoc.register(app)
    console_routes.register(app)
    presence = PresenceReporter(broker, settings.agent_api_presence_interval)
    app.cleanup_ctx.append(presence.context)  # after the broker's: it reports until the broker stops
    stream_auth = StreamAuth(settings.agent_api_auth_interval, settings.console_idle_timeout)
    app.on_response_prepare.append(stream_auth.on_prepare)
    app.cleanup_ctx.append(stream_auth.context)  # after the base lifecycle: the pool exists
    hub = StreamHub(presence)
    app.router.add_get("/v1/stream", hub.handle)
    app.on_shutdown.append(hub.close_all)
    subscribe(SERVICE, broker, live_queue(AGENT_API_LIVE_PREFIX, AGENT_EVENT_PATTERN), AgentEvent, hub.on_event)
    # The live queue forgets what was published while the connection was down: open streams catch up.
    on_connection_events(broker, lost=hub.connection_lost, restored=hub.connection_restored)
    return app
