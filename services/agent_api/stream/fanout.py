"""The agents' live stream: events from the router pushed to each agent's open sockets.

Every replica receives every agent event on its own exclusive queue and forwards it to
the sockets it holds. The outbox tables are the durable record: `?after=<id>` replays what
a reconnecting agent missed (replay.py), and frames carry the event id; a socket drops an
event it already sent (publishing is at-least-once). When this replica's broker connection
drops, its queue and what was published meanwhile are gone: each open socket says
`{"type":"resync"}` once the connection is back and replays the gap (shared/live.py,
stream_socket.py). An agent's sockets drive their presence (presence.py).
"""

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import AsyncIterator

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web
from faststream.rabbit import RabbitMessage

from contracts import AgentEvent
from contracts.topology import SUPERVISORS_KEY
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT, Agent
from services.agent_api.queries import replay
from services.agent_api.stream.presence import PRESENCE_ROLES, PresenceReporter
from services.agent_api.stream.socket import AgentSocket, CannotReplay
from shared.addresses import shown_address
from shared.db import UNAVAILABLE
from shared.http import WS_CLOSE_TIMEOUT, ApiError, close_websockets
from shared.live import LiveHub
from shared.metrics import CONNECTIONS
from shared.pii import mask

log = logging.getLogger("relaydesk.agent_api.stream")
MAX_EVENT_ID = 2**63 - 1
"""Outbox ids are PostgreSQL bigints."""
_EVENT_ID = re.compile(r"[0-9]{1,19}")
_decoder = msgspec.json.Decoder(AgentEvent)
_encoder = msgspec.json.Encoder()


MASKED_FIELDS = ("text", "preview", "note")
"""Customer words (and an agent's transfer note quoting them)."""


def frame(event_id: int, event: AgentEvent) -> str:
    """The wire frame: the event's fields (customer text masked), its `type`, the outbox `id`."""
    fields = msgspec.to_builtins(event)
    for name in MASKED_FIELDS:
        if name in fields:
            fields[name] = mask(fields[name], (fields.get("customer_name", ""),))
    if "customer_address" in fields:  # masked, and a web-chat session id replaced by a stand-in
        fields["customer_address"] = shown_address(fields.get("channel", ""), fields["customer_address"])
    return _encoder.encode({"id": event_id, **fields}).decode()


def parse_after(value: str | None) -> int | None:
    """`?after=`: None when absent, else an event id within a bigint; ApiError (400) otherwise."""
    if value is None:
        return None
    if not _EVENT_ID.fullmatch(value) or int(value) > MAX_EVENT_ID:
        raise ApiError(400, "invalid_after", f"'after' must be an event id: an integer from 0 to {MAX_EVENT_ID}.")
    return int(value)


class StreamHub(LiveHub):
    """The sockets this replica holds, by agent."""

    def __init__(self, presence: PresenceReporter | None = None) -> None:
        super().__init__()
        self.sockets: dict[str, set[AgentSocket]] = defaultdict(set)
        self.supervisors: set[AgentSocket] = set()
        self.websockets: dict[AgentSocket, tuple[web.WebSocketResponse, Agent]] = {}
        self.presence = presence

    def live_sockets(self) -> list[AgentSocket]:
        return list(self.websockets)

    async def close_all(self, _: web.Application) -> None:
        await self.cancel_tasks()
        await close_websockets([ws for ws, _ in self.websockets.values()])

    async def on_event(self, event: AgentEvent, message: RabbitMessage) -> None:
        if message.raw_message.routing_key == SUPERVISORS_KEY:
            sockets = self.supervisors  # e.g. SLA breaches: every supervisor watching, not one agent
        else:
            sockets = self.sockets.get(event.agent_id)
        if not sockets:
            return
        event_id = int(message.message_id or 0)
        data = frame(event_id, event)
        await asyncio.gather(*(s.live(event_id, data) for s in list(sockets)), return_exceptions=True)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """`GET /v1/stream[?after=<event id>]`: the caller's events, live."""
        agent = request[AGENT]
        after = parse_after(request.query.get("after"))
        pool = AgentDeps.of(request).pool
        ws = web.WebSocketResponse(heartbeat=20, timeout=WS_CLOSE_TIMEOUT)
        await ws.prepare(request)

        def source(after: int) -> AsyncIterator[tuple[int, str]]:
            return _events_after(pool, agent, after)

        socket = AgentSocket(ws.send_str, self.online, source)
        self._add(agent, socket, ws)
        try:
            try:
                if after is None:
                    await self._start_live(pool, agent, socket)
                else:
                    await socket.catch_up(after)
            except UNAVAILABLE:
                log.exception("stream start unavailable")
                await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"replay unavailable; reconnect")
                return ws
            async for message in ws:
                if message.type == WSMsgType.TEXT and message.data == "ping":
                    await ws.send_str('{"type":"pong"}')
        finally:
            self._remove(agent, socket)
        return ws

    @staticmethod
    async def _start_live(pool, agent: Agent, socket: AgentSocket) -> None:
        """Live from here on; "here" is the agent's latest event, where a catch-up after an outage starts."""
        try:
            socket.floor = await replay.latest_id(pool, agent.id, agent.is_supervisor)
        except UNAVAILABLE:  # the stream still works; only a catch-up will have to ask for a reconnect
            log.warning("latest event of a stream unavailable", exc_info=True)
        await socket.catch_up(replay=False)

    async def resync(self, socket: AgentSocket) -> None:
        if socket not in self.websockets:
            return  # closed meanwhile
        ws, _ = self.websockets[socket]
        try:
            await socket.catch_up(announce=True)
        except (CannotReplay, *UNAVAILABLE):
            log.warning("stream catch-up impossible; asking the client to reconnect", exc_info=True)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"events may be missing; reconnect with ?after")

    def _add(self, agent: Agent, socket: AgentSocket, ws: web.WebSocketResponse) -> None:
        self.sockets[agent.id].add(socket)
        self.websockets[socket] = (ws, agent)
        if agent.is_supervisor:
            self.supervisors.add(socket)
        if self.presence and agent.role in PRESENCE_ROLES:
            self.presence.opened(agent.id)
        CONNECTIONS.labels("agent_api").inc()

    def _remove(self, agent: Agent, socket: AgentSocket) -> None:
        self.supervisors.discard(socket)
        self.websockets.pop(socket, None)
        self.sockets[agent.id].discard(socket)
        if not self.sockets[agent.id]:
            del self.sockets[agent.id]
        if self.presence and agent.role in PRESENCE_ROLES:
            self.presence.closed(agent.id)
        CONNECTIONS.labels("agent_api").dec()


async def _events_after(pool, agent: Agent, after: int) -> AsyncIterator[tuple[int, str]]:
    """The agent's events after `after` as frames, page by page."""
    while True:
        rows = await replay.events_after(pool, agent.id, after, agent.is_supervisor)
        for row in rows:
            try:
                event = _decoder.decode(row["payload"])
            except msgspec.ValidationError:  # a newer writer's event type: dropped live too
                log.warning("event %d not replayed: unknown to this version", row["id"])
                continue
            yield row["id"], frame(row["id"], event)
        if len(rows) < replay.PAGE:
            return
        after = rows[-1]["id"]
