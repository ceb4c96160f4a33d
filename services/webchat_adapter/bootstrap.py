"""Wires the web-chat adapter: the widget, visitor sessions, the socket and its reply queue."""

from pathlib import Path

from aiohttp import web

from contracts import Channel, OutboundMessage
from contracts.topology import WEBCHAT_LIVE_PREFIX, outbound_key
from services.webchat_adapter.chat import VisitorHub, create_session
from services.webchat_adapter.limits import LIMITS, VisitorLimits
from shared.broker import live_queue, make_broker, on_connection_events, subscribe
from shared.config import Settings
from shared.http import FRAME_ANCESTORS, PAGE_POLICY, base_app

SERVICE = "webchat_adapter"
STATIC = Path(__file__).parent / "static"
WIDGET_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self';"
    " img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
"""The demo page runs only our widget.js, which adds its own <style> and talks to this origin."""


@web.middleware
async def allow_embedding(request: web.Request, handler) -> web.StreamResponse:
    """The widget runs on the customer's own site: let any origin open a session (no cookies)."""
    if request.method == "OPTIONS" and request.path == "/webchat/session":
        response = web.Response(status=204)
    else:
        response = await handler(request)
    if request.path.startswith("/webchat/") or request.path.startswith("/static/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


async def index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def build(settings: Settings) -> web.Application:
    broker = make_broker(settings)
    app = base_app(SERVICE, settings, broker, database=True)
    app.middlewares.append(allow_embedding)
    app[PAGE_POLICY], app[FRAME_ANCESTORS] = WIDGET_POLICY, settings.webchat_frame_ancestors
    app[LIMITS] = VisitorLimits(settings)
    hub = VisitorHub()
    app.router.add_get("/", index)
    app.router.add_static("/static", STATIC)
    app.router.add_post("/webchat/session", create_session)
    app.router.add_get("/webchat/ws", hub.handle)
    app.on_shutdown.append(hub.close_all)
    replies = live_queue(WEBCHAT_LIVE_PREFIX, outbound_key(Channel.WEBCHAT))
    subscribe(SERVICE, broker, replies, OutboundMessage, hub.on_reply)
    # The reply queue forgets what was published while the connection was down: open sockets catch up.
    on_connection_events(broker, lost=hub.connection_lost, restored=hub.connection_restored)
    return app
