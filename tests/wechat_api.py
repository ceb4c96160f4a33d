"""A local stand-in for WeChat's HTTP API: tokens, customer-service and template sends, media.

It keeps WeChat's rules that matter to us: tokens expire and can be revoked (40001/42001),
customer-service messages need the customer to have written within 48 hours (45015),
unknown media ids are refused (40007), and failures can be injected in order.
"""

import asyncio
import itertools
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import msgspec
from aiohttp import web

from tests.support import free_port, serve_app

WINDOW = 48 * 3600


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"errcode": code, "errmsg": message})


@dataclass
class Sent:
    path: str
    body: dict
    at: float = field(default_factory=time.monotonic)


class WeChatStandIn:
    """Start it, point `RELAYDESK_WECHAT_API_BASE` at `base_url`, then look at what arrived."""

    def __init__(self, apps: dict[str, str], token_lifetime: int = 7200):
        self.apps, self.token_lifetime = apps, token_lifetime
        self.tokens: dict[str, tuple[str, float]] = {}
        self.token_requests: Counter[str] = Counter()
        self.last_inbound: dict[str, float] = {}
        self.failures: list[int] = []
        self.attempts = 0
        self.sent: list[Sent] = []
        self.media: dict[str, bytes] = {}
        self.media_types: dict[str, str] = {}
        """Content types `media/get` answers with (image/jpeg when not given, as WeChat mostly does)."""
        self.media_requests: Counter[str] = Counter()
        self._media_holding: asyncio.Event | None = None
        self.files: dict[str, tuple[bytes, str]] = {}
        """Served at /files/{name}: stands in for the file store an agent's attachment points at."""
        self._ids = itertools.count(1)
        self._holding: asyncio.Event | None = None
        self.held = 0
        self._arrived = asyncio.Condition()
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "WeChatStandIn":
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
        app.router.add_post("/cgi-bin/message/template/send", self.template_send)
        app.router.add_post("/cgi-bin/media/upload", self.upload)
        app.router.add_get("/cgi-bin/media/get", self.media_get)
        app.router.add_get("/files/{name}", self.file)
        self.runner = await serve_app(app, self.port)
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()

    # What tests arrange.
    def customer_wrote(self, openid: str, hours_ago: float = 0.0) -> None:
        """What WeChat knows from its own side: when this customer last wrote to the account."""
        self.last_inbound[openid] = time.time() - hours_ago * 3600

    def expire_tokens(self) -> None:
        self.tokens = {token: (app, 0.0) for token, (app, _) in self.tokens.items()}

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def hold_sends(self) -> None:
        """Keep customer-service sends hanging, unprocessed, until `release` (a WeChat stall)."""
        self._holding, self.held = asyncio.Event(), 0

    def release(self) -> None:
        holding, self._holding = self._holding, None
        holding.set()

    def fail_next(self, *errcodes: int) -> None:
        self.failures.extend(errcodes)

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Sent]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.sent) >= count), timeout)
        return self.sent

    # WeChat's endpoints.
    async def token(self, request: web.Request) -> web.Response:
        app_id, secret = request.query.get("appid", ""), request.query.get("secret", "")
        if request.query.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        if app_id not in self.apps:
            return _error(40013, "invalid appid")
        if self.apps[app_id] != secret:
            return _error(40125, "invalid appsecret")
        self.token_requests[app_id] += 1
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (app_id, time.time() + self.token_lifetime)
        return web.json_response({"access_token": token, "expires_in": self.token_lifetime})

    def _token_error(self, request: web.Request) -> web.Response | None:
        held = self.tokens.get(request.query.get("access_token", ""))
        if held is None:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if held[1] < time.time():
            return _error(42001, "access_token expired")
        return None

    async def _json(self, request: web.Request) -> dict | web.Response:
        try:
            body = msgspec.json.decode(await request.read())
        except msgspec.DecodeError:
            return _error(47001, "data format error")
        return body if isinstance(body, dict) else _error(47001, "data format error")

    async def _send_request(self, request: web.Request) -> dict | web.Response:
        """The JSON body of a send, or WeChat's answer refusing it (token, format)."""
        self.attempts += 1
        if refused := self._token_error(request):
            return refused
        return await self._json(request)

    async def custom_send(self, request: web.Request) -> web.Response:
        body = await self._send_request(request)
        if isinstance(body, web.Response):
            return body
        if (holding := self._holding) is not None:
            self.held += 1
            await holding.wait()
            return _error(-1, "system error")  # never processed
        if self.failures:
            return _error(self.failures.pop(0), "injected failure")
        openid = body.get("touser", "")
        if not openid:
            return _error(40003, "invalid openid")
        if time.time() - self.last_inbound.get(openid, float("-inf")) > WINDOW:
            return _error(45015, "response out of time limit or subscription is canceled")
        if body.get("msgtype") == "image" and body["image"]["media_id"] not in self.media:
            return _error(40007, "invalid media_id")
        await self._record(request.path, body)
        return _error(0, "ok")

    async def template_send(self, request: web.Request) -> web.Response:
        body = await self._send_request(request)
        if isinstance(body, web.Response):
            return body
        if not body.get("template_id"):
            return _error(40037, "invalid template_id")
        await self._record(request.path, body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)})

    async def upload(self, request: web.Request) -> web.Response:
        if refused := self._token_error(request):
            return refused
        form = await request.post()
        media = form.get("media")
        if media is None or not hasattr(media, "file"):
            return _error(41005, "media data missing")
        media_id = f"uploaded-{next(self._ids)}"
        self.media[media_id] = media.file.read()
        return web.json_response(
            {"type": request.query.get("type"), "media_id": media_id, "created_at": int(time.time())}
        )

    def customer_sent(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Media a customer sent: WeChat holds it under `media_id` for the account to fetch."""
        self.media[media_id], self.media_types[media_id] = data, content_type

    def hold_media(self) -> None:
        """Keep `media/get` hanging until `release_media` (WeChat slower than the callback may wait)."""
        self._media_holding = asyncio.Event()

    def release_media(self) -> None:
        holding, self._media_holding = self._media_holding, None
        if holding:
            holding.set()

    async def media_get(self, request: web.Request) -> web.Response:
        if refused := self._token_error(request):
            return refused
        media_id = request.query.get("media_id", "")
        self.media_requests[media_id] += 1
        if (holding := self._media_holding) is not None:
            await holding.wait()
        if media_id not in self.media:
            return _error(40007, "invalid media_id")
        headers = {"Content-Disposition": f'attachment; filename="{media_id}"'}
        return web.Response(body=self.media[media_id], content_type=self.media_types[media_id], headers=headers)

    async def file(self, request: web.Request) -> web.Response:
        if (found := self.files.get(request.match_info["name"])) is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1])

    async def _record(self, path: str, body: dict) -> None:
        async with self._arrived:
            self.sent.append(Sent(path, body))
            self._arrived.notify_all()
