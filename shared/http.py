"""The aiohttp base every service shares: lifecycle, health, readiness, metrics, JSON errors."""

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Coroutine, Iterable

import asyncpg
import msgspec
from aiohttp import WSCloseCode, web, web_response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import db
from shared.broker import declare_topology
from shared.deps import DEPS, Deps
from shared.metrics import HTTP_REQUESTS

log = logging.getLogger("relaydesk.http")

SERVER = "relaydesk"
# aiohttp names itself and its version in `Server` and has no setting for it; responses it makes
# before any app sees the request (a malformed request line) use this default too.
web_response.SERVER_SOFTWARE = SERVER

DEFAULT_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'"
)
"""Pages with inline style and a form posting to themselves, nothing else: the notifier's survey and unsubscribe."""

READINESS_TIMEOUT = 2.0
WS_CLOSE_TIMEOUT = 2.0
"""How long a closing WebSocket waits for the peer's close frame."""
_encoder = msgspec.json.Encoder()
OUTAGES = (OSError, asyncio.TimeoutError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError)
"""The database or broker gone or going away (ConnectionError is an OSError): retry, not a bug."""


class ApiError(Exception):
    """An error the client caused or must know about, with its HTTP status and code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=_encoder.encode(body), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status)


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """Every failure leaves as `{"error": {"code", "message"}}`; unexpected ones as 500."""
    service = request.app[DEPS].service
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "-"
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        response = error_response(exc.status, code, exc.text or exc.reason)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except asyncpg.DataError as exc:  # a value PostgreSQL cannot take: a NUL in text, a number out of range
        response = error_response(422, "invalid_request", f"A value in the request cannot be used: {exc}")
    except OUTAGES:
        log.warning("dependency unavailable on %s %s", request.method, route, exc_info=True)
        response = error_response(503, "unavailable", "A service this needs is unavailable; retry shortly.")
        response.headers["Retry-After"] = "1"
    except Exception:
        log.exception("unhandled error on %s %s", request.method, route)
        response = error_response(500, "internal_error", "Internal error; it has been logged.")
    HTTP_REQUESTS.labels(service, route, str(response.status)).inc()
    return response


@web.middleware
async def clean_urls(request: web.Request, handler) -> web.StreamResponse:
    """A NUL in the path or a query parameter is refused before any handler passes it to SQL
    (PostgreSQL text cannot hold it); bodies are checked where they are decoded."""
    if "\x00" in request.path:
        raise ApiError(422, "invalid_text", "The path contains a NUL character (\\u0000).")
    for name, value in request.query.items():
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\u0000")
            raise ApiError(422, "invalid_text", f"Query parameter '{shown}' contains a NUL character (\\u0000).")
    return await handler(request)


def page_headers(page_policy: str, frame_ancestors: str):
    """Just before any response leaves: `nosniff` always; on an HTML page a CSP (the handler's, else
    `page_policy`), framing allowed only to `frame_ancestors` (space-separated origins; empty: none),
    and X-Frame-Options for old browsers."""
    ancestors = " ".join(frame_ancestors.split()) or "'none'"

    async def on_prepare(_: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.content_type != "text/html":
            return
        policy = response.headers.get("Content-Security-Policy") or page_policy
        if "frame-ancestors" not in policy:
            policy = f"{policy}; frame-ancestors {ancestors}"
        response.headers["Content-Security-Policy"] = policy
        if ancestors == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")

    return on_prepare


async def close_websockets(sockets: Iterable[web.WebSocketResponse]) -> None:
    """On shutdown: ask every client to reconnect elsewhere, all at once, without waiting long."""
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down") for ws in sockets),
        return_exceptions=True,
    )


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "service": request.app[DEPS].service})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the broker connection is up and the database answers."""
    deps = request.app[DEPS]
    checks = {"broker": await deps.broker.ping(READINESS_TIMEOUT)}
    if hasattr(deps, "pool"):
        try:
            async with asyncio.timeout(READINESS_TIMEOUT):
                checks["database"] = await deps.pool.fetchval("SELECT true")
        except db.UNAVAILABLE:
            checks["database"] = False
    ready = all(checks.values())
    return json_response({"ready": ready, "checks": checks}, 200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics, for `Authorization: Bearer <RELAYDESK_METRICS_TOKEN>`; open in development."""
    settings = request.app[DEPS].settings
    if settings.metrics_token or settings.env != "development":
        given = request.headers.get("Authorization", "").encode()
        # No token configured in production: nothing matches, so metrics stay closed.
        if not settings.metrics_token or not hmac.compare_digest(given, f"Bearer {settings.metrics_token}".encode()):
            raise ApiError(401, "unauthenticated", "Send 'Authorization: Bearer <RELAYDESK_METRICS_TOKEN>'.")
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def base_app(
    deps: Deps,
    *,
    database: bool,
    max_body: int = 1024**2,
    page_policy: str = DEFAULT_PAGE_POLICY,
    frame_ancestors: str = "",
) -> web.Application:
    """An app serving `deps` to its routes, that connects the broker (and the pool) on start and
    serves health endpoints. `page_policy` is the CSP of its HTML pages when a handler sets none."""
    app = web.Application(middlewares=[json_errors, clean_urls], client_max_size=max_body)
    app[DEPS] = deps
    settings, broker = deps.settings, deps.broker
    app.on_response_prepare.append(page_headers(page_policy, frame_ancestors))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def lifecycle(app: web.Application):
        if database:
            deps.pool = await db.create_pool(settings.database_url, settings.db_pool_size, deps.service)
        await broker.connect()
        await declare_topology(broker, settings)
        yield
        await broker.stop()
        if database:
            await deps.pool.close()

    async def start_consumers(_: web.Application) -> None:
        # on_startup runs after every cleanup_ctx has set up, so no message reaches a
        # handler before what it needs (a service's own context) exists.
        await broker.start()

    app.cleanup_ctx.append(lifecycle)
    app.on_startup.append(start_consumers)
    return app


@contextlib.asynccontextmanager
async def running(*loops: Coroutine) -> AsyncIterator[None]:
    """Run a service's background loops (sweepers, schedulers) as tasks while the block runs;
    cancel them, and wait for each to stop, when it ends."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
