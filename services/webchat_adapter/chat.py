"""The web-chat edge: visitor sessions over HTTP, messages and replies over WebSocket.

A visitor message is acked only after the broker confirmed it. Replies reach visitors
live through this replica's exclusive queue; the router's messages table is the record,
so `resume` after a reconnect (to any replica) replays whatever was missed. An open socket
delivers replies in seq order and fills a gap from the table itself: after this replica's
broker connection comes back (it says `{"type":"resync"}` first) and when a live reply
skips a seq (visitor_socket.py).
"""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web
from faststream.rabbit import RabbitMessage

from contracts import Channel, OutboundMessage
from contracts.topology import inbound_key
from services.webchat_adapter import replies
from services.webchat_adapter import session as sessions
from services.webchat_adapter.deps import WebchatDeps
from services.webchat_adapter.frames import FrameError, Ping, Resume, SendMessage, decode_frame, reply_frame, to_inbound
from services.webchat_adapter.limits import session_refused
from services.webchat_adapter.visitor_socket import VisitorSocket
from shared.broker import publish
from shared.db import UNAVAILABLE
from shared.http import WS_CLOSE_TIMEOUT, ApiError, close_websockets, json_response
from shared.live import LiveHub
from shared.metrics import CONNECTIONS

log = logging.getLogger("relaydesk.webchat")
CLOSE_UNAUTHORIZED = 4401
_encoder = msgspec.json.Encoder()


class SessionRequest(msgspec.Struct, forbid_unknown_fields=False):
    name: Annotated[str, msgspec.Meta(max_length=80)] = ""
    locale: Annotated[str, msgspec.Meta(max_length=35)] = ""


async def create_session(request: web.Request) -> web.Response:
    """`POST /webchat/session`: a new visitor session and its signed token."""
    raw = await request.read()
    try:
        body = msgspec.json.decode(raw, type=SessionRequest) if raw.strip() else SessionRequest()
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    deps = WebchatDeps.of(request)
    if refused := session_refused(request, deps.limits):
        return refused
    settings = deps.settings
    session = sessions.new_session(body.name.strip(), body.locale, settings.webchat_session_ttl)
    return json_response(
        {
            "session_id": session.session_id,
            "token": sessions.sign(session, settings.webchat_secret),
            "expires_at": datetime.fromtimestamp(session.expires_at, UTC).isoformat(),
        },
        201,
    )


class VisitorHub(LiveHub):
    """Visitor sockets this replica holds, by session."""

    def __init__(self) -> None:
        super().__init__()
        self.sockets: dict[str, set[VisitorSocket]] = defaultdict(set)
        self.websockets: dict[VisitorSocket, web.WebSocketResponse] = {}

    def live_sockets(self) -> list[VisitorSocket]:
        return list(self.websockets)

    async def close_all(self, _: web.Application) -> None:
        await self.cancel_tasks()
        await close_websockets(list(self.websockets.values()))

    async def on_reply(self, message: OutboundMessage, _: RabbitMessage) -> None:
        sockets = list(self.sockets.get(message.customer_address, ()))
        if sockets:
            data = _encoder.encode(reply_frame(message)).decode()
            gaps = await asyncio.gather(*(s.live(message.seq, data) for s in sockets), return_exceptions=True)
            for socket, gap in zip(sockets, gaps, strict=True):
                if gap is True:
                    self.spawn(self._catch_up(socket))

    async def resync(self, socket: VisitorSocket) -> None:
        await self._catch_up(socket, announce=True)

    async def _catch_up(self, socket: VisitorSocket, announce: bool = False) -> None:
        ws = self.websockets.get(socket)
        if ws is None:
            return  # closed meanwhile
        try:
            await socket.catch_up(announce=announce)
        except UNAVAILABLE:
            log.warning("visitor catch-up unavailable; asking the widget to reconnect and resume", exc_info=True)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"replies may be missing; reconnect")

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """`GET /webchat/ws?token=…`: the visitor's conversation, live."""
        deps = WebchatDeps.of(request)
        settings = deps.settings
        ws = web.WebSocketResponse(heartbeat=25, max_msg_size=64 * 1024, timeout=WS_CLOSE_TIMEOUT)
        await ws.prepare(request)
        try:
            session = sessions.verify(
                request.query.get("token", ""), settings.webchat_secret, max_ttl=settings.webchat_session_ttl
            )
        except sessions.InvalidToken as exc:
            # Browsers cannot read a refused handshake's status: close with a code they can.
            await ws.close(code=CLOSE_UNAUTHORIZED, message=f"invalid session: {exc}".encode())
            return ws
        sid = session.session_id
        pool = deps.pool

        def source(after: int) -> AsyncIterator[tuple[int, str]]:
            return replies.replies_after(pool, sid, after)

        socket = VisitorSocket(ws.send_str, self.online, source)
        self.sockets[sid].add(socket)
        self.websockets[socket] = ws
        CONNECTIONS.labels("webchat_adapter").inc()
        try:
            await ws.send_str(_encoder.encode({"type": "ready", "session_id": sid}).decode())
            await self._start(pool, sid, socket)
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await self._on_frame(request, socket, session, frame.data)
                elif frame.type == WSMsgType.BINARY:
                    await self._send(ws, FrameError("invalid_frame", "Frames must be JSON text.").frame())
        finally:
            self.websockets.pop(socket, None)
            self.sockets[sid].discard(socket)
            if not self.sockets[sid]:
                del self.sockets[sid]
            CONNECTIONS.labels("webchat_adapter").dec()
        return ws

    @staticmethod
    async def _start(pool, sid: str, socket: VisitorSocket) -> None:
        """Live from the session's latest reply on: where a catch-up after an outage starts."""
        try:
            socket.last = await replies.latest_seq(pool, sid)
        except UNAVAILABLE:  # then the first reply sets it; a catch-up before that replays them all
            log.warning("latest reply of a session unavailable", exc_info=True)
        await socket.catch_up(replay=False)

    async def _on_frame(self, request: web.Request, socket: VisitorSocket, session, data: str) -> None:
        deps = WebchatDeps.of(request)
        ws = self.websockets[socket]
        try:
            frame = decode_frame(data, deps.settings.webchat_max_text)
            if isinstance(frame, SendMessage | Resume):  # per session and per address; a reconnect keeps both
                limits = deps.limits
                if not limits.frame_allowed(session.session_id, limits.client(request), time.monotonic()):
                    client_id = frame.client_id if isinstance(frame, SendMessage) else None
                    raise FrameError("rate_limited", "Too many messages; wait a moment.", client_id)
            match frame:
                case SendMessage():
                    await self._accept(request, ws, session, frame)
                case Resume(after_seq=after):
                    try:
                        await socket.catch_up(after)
                    except UNAVAILABLE:
                        log.exception("replay failed")
                        raise FrameError(
                            "unavailable", "Earlier replies are unavailable right now; resume again."
                        ) from None
                case Ping():
                    await self._send(ws, {"type": "pong"})
        except FrameError as exc:
            await self._send(ws, exc.frame())

    async def _accept(self, request: web.Request, ws, session, frame: SendMessage) -> None:
        message = to_inbound(frame, session, datetime.now(UTC))
        try:
            await publish(
                WebchatDeps.of(request).broker, message, inbound_key(Channel.WEBCHAT), message_id=message.message_id
            )
        except Exception:
            log.exception("publish failed; the visitor will resend")
            raise FrameError("unavailable", "Not delivered yet; it will be retried.", frame.client_id) from None
        await self._send(ws, {"type": "ack", "client_id": frame.client_id, "id": message.message_id})

    @staticmethod
    async def _send(ws: web.WebSocketResponse, frame: dict) -> None:
        if not ws.closed:
            await ws.send_str(_encoder.encode(frame).decode())
