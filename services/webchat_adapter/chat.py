"""The web-chat edge: visitor sessions over HTTP, messages and replies over WebSocket.

A visitor message is acked only after the broker confirmed it. Replies reach visitors
live through this replica's exclusive queue; the router's messages table is the record,
so `resume` after a reconnect (to any replica) replays whatever was missed.
"""

import asyncio
import logging
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from aiohttp import WSMsgType, web
from faststream.rabbit import RabbitMessage

from contracts import Attachment, Channel, OutboundMessage
from contracts.topology import inbound_key
from services.webchat_adapter import session as sessions
from services.webchat_adapter.frames import FrameError, Ping, Resume, SendMessage, decode_frame, reply_frame, to_inbound
from services.webchat_adapter.limits import LIMITS, session_refused
from shared.broker import publish
from shared.config import Settings
from shared.db import UNAVAILABLE
from shared.http import BROKER, POOL, SETTINGS, WS_CLOSE_TIMEOUT, ApiError, close_websockets, json_response
from shared.metrics import CONNECTIONS

_attachments = msgspec.json.Decoder(tuple[Attachment, ...])
log = logging.getLogger("relaydesk.webchat")
CLOSE_UNAUTHORIZED = 4401
REPLAY_LIMIT = 500
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
    if refused := session_refused(request):
        return refused
    settings: Settings = request.app[SETTINGS]
    session = sessions.new_session(body.name.strip(), body.locale, settings.webchat_session_ttl)
    return json_response(
        {
            "session_id": session.session_id,
            "token": sessions.sign(session, settings.webchat_secret),
            "expires_at": datetime.fromtimestamp(session.expires_at, UTC).isoformat(),
        },
        201,
    )


class VisitorHub:
    """Visitor sockets this replica holds, by session."""

    def __init__(self) -> None:
        self.sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    async def close_all(self, _: web.Application) -> None:
        await close_websockets([ws for group in self.sockets.values() for ws in group])

    async def on_reply(self, message: OutboundMessage, _: RabbitMessage) -> None:
        sockets = self.sockets.get(message.customer_address)
        if sockets:
            data = _encoder.encode(reply_frame(message)).decode()
            await asyncio.gather(*(ws.send_str(data) for ws in list(sockets)), return_exceptions=True)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """`GET /webchat/ws?token=…`: the visitor's conversation, live."""
        settings: Settings = request.app[SETTINGS]
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
        self.sockets[sid].add(ws)
        CONNECTIONS.labels("webchat_adapter").inc()
        try:
            await ws.send_str(_encoder.encode({"type": "ready", "session_id": sid}).decode())
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    await self._on_frame(request, ws, session, frame.data)
                elif frame.type == WSMsgType.BINARY:
                    await self._send(ws, FrameError("invalid_frame", "Frames must be JSON text.").frame())
        finally:
            self.sockets[sid].discard(ws)
            if not self.sockets[sid]:
                del self.sockets[sid]
            CONNECTIONS.labels("webchat_adapter").dec()
        return ws

    async def _on_frame(self, request: web.Request, ws, session: sessions.VisitorSession, data: str) -> None:
        settings: Settings = request.app[SETTINGS]
        try:
            frame = decode_frame(data, settings.webchat_max_text)
            if isinstance(frame, SendMessage | Resume):  # per session and per address; a reconnect keeps both
                limits = request.app[LIMITS]
                if not limits.frame_allowed(session.session_id, limits.client(request), time.monotonic()):
                    client_id = frame.client_id if isinstance(frame, SendMessage) else None
                    raise FrameError("rate_limited", "Too many messages; wait a moment.", client_id)
            match frame:
                case SendMessage():
                    await self._accept(request, ws, session, frame)
                case Resume(after_seq=after):
                    await self._replay(request, ws, session.session_id, after)
                case Ping():
                    await self._send(ws, {"type": "pong"})
        except FrameError as exc:
            await self._send(ws, exc.frame())

    async def _accept(self, request: web.Request, ws, session, frame: SendMessage) -> None:
        message = to_inbound(frame, session, datetime.now(UTC))
        try:
            await publish(request.app[BROKER], message, inbound_key(Channel.WEBCHAT), message_id=message.message_id)
        except Exception:
            log.exception("publish failed; the visitor will resend")
            raise FrameError("unavailable", "Not delivered yet; it will be retried.", frame.client_id) from None
        await self._send(ws, {"type": "ack", "client_id": frame.client_id, "id": message.message_id})

    async def _replay(self, request: web.Request, ws, session_id: str, after: int) -> None:
        try:
            rows = await request.app[POOL].fetch(
                "SELECT id::text AS id, conversation_id::text AS conversation_id, text, seq, created_at,"
                " attachments::text AS attachments"
                " FROM messages WHERE channel = 'webchat' AND customer_address = $1 AND direction = 'out'"
                " AND seq > $2 ORDER BY seq LIMIT $3",
                session_id,
                after,
                REPLAY_LIMIT,
            )
        except UNAVAILABLE:
            log.exception("replay failed")
            raise FrameError("unavailable", "Earlier replies are unavailable right now; resume again.") from None
        for row in rows:
            reply = OutboundMessage(
                message_id=row["id"],
                conversation_id=row["conversation_id"],
                channel=Channel.WEBCHAT,
                customer_address=session_id,
                text=row["text"],
                seq=row["seq"],
                created_at=row["created_at"],
                attachments=_attachments.decode(row["attachments"]),
            )
            await self._send(ws, reply_frame(reply))

    @staticmethod
    async def _send(ws: web.WebSocketResponse, frame: dict) -> None:
        if not ws.closed:
            await ws.send_str(_encoder.encode(frame).decode())
