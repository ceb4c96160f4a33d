"""Wires the web-chat adapter: the widget, visitor sessions, the socket and its reply queue."""

from pathlib import Path

from aiohttp import web

from contracts import Channel, OutboundMessage
from contracts.topology import WEBCHAT_LIVE_PREFIX, outbound_key
from services.webchat_adapter.chat import VisitorHub, create_session
from services.webchat_adapter.deps import WebchatDeps
from services.webchat_adapter.limits import VisitorLimits
from services.webchat_adapter.settings import WebchatSettings, settings_slice
from shared.broker import live_queue, make_broker, on_connection_events, subscribe
from shared.http import base_app

SERVICE = "webchat_adapter"
STATIC = Path(__file__).parent / "static"
WIDGET_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self';"
    " img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
"""The demo page runs only our widget.js, which adds its own <style> and talks to this origin."""
__all__ = ["build", "settings_slice"]


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


def build(settings: WebchatSettings) -> web.Application:
    deps = WebchatDeps(service=SERVICE, settings=settings, broker=make_broker(settings), limits=VisitorLimits(settings))
    app = base_app(deps, database=True, page_policy=WIDGET_POLICY, frame_ancestors=settings.webchat_frame_ancestors)
    app.middlewares.append(allow_embedding)
    hub = VisitorHub()
    app.router.add_get("/", index)
    app.router.add_static("/static", STATIC)
    app.router.add_post("/webchat/session", create_session)
    app.router.add_get("/webchat/ws", hub.handle)
    app.on_shutdown.append(hub.close_all)
    replies = live_queue(WEBCHAT_LIVE_PREFIX, outbound_key(Channel.WEBCHAT))
    subscribe(SERVICE, deps.broker, replies, OutboundMessage, hub.on_reply)
    # The reply queue forgets what was published while the connection was down: open sockets catch up.
    on_connection_events(deps.broker, lost=hub.connection_lost, restored=hub.connection_restored)
    return app
