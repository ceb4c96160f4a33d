"""The agents' live stream: events from the router pushed to each agent's open sockets.

Every replica receives every agent event on its own exclusive queue and forwards it to
the sockets it holds. The outbox tables are the durable record: `?after=<id>` replays what
a reconnecting agent missed (replay.py), and frames carry the event id; a socket drops an
event it already sent (publishing is at-least-once). An agent's sockets drive their presence
(presence.py).
"""

import asyncio
import logging
from collections import defaultdict

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web
from faststream.rabbit import RabbitMessage

from contracts import AgentEvent
from contracts.topology import SUPERVISORS_KEY
from services.agent_api import replay
from services.agent_api.auth import AGENT, Agent
from services.agent_api.presence import PRESENCE_ROLES, PresenceReporter
from shared.addresses import shown_address
from shared.db import UNAVAILABLE
from shared.http import POOL, WS_CLOSE_TIMEOUT, ApiError, close_websockets
from shared.metrics import CONNECTIONS
from shared.pii import mask

log = logging.getLogger("relaydesk.agent_api.stream")
RECENT_IDS = 256
"""Event ids a socket remembers having sent, to drop a late duplicate publish."""
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


class AgentSocket:
    """One open stream; holds live events back while it replays missed ones.

    Live events are forwarded as they come, even out of id order (the sweeper publishes
    late); the overlap between the replay and the held live events is dropped, and so is a
    repeat of an event this socket sent recently.
    """

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.replaying = True
        self.replayed: set[int] = set()
        self.held: list[tuple[int, str]] = []
        self.recent: dict[int, None] = {}

    def _first_time(self, event_id: int) -> bool:
        if event_id in self.recent:
            return False
        if event_id > 0:  # an event without an id cannot be told apart from another
            self.recent[event_id] = None
            if len(self.recent) > RECENT_IDS:
                del self.recent[next(iter(self.recent))]
        return True

    async def send(self, event_id: int, data: str) -> None:
        if self.replaying:
            self.held.append((event_id, data))
        elif self._first_time(event_id):
            await self.ws.send_str(data)

    async def replay(self, event_id: int, data: str) -> None:
        self.replayed.add(event_id)
        await self.ws.send_str(data)

    async def finish_replay(self) -> None:
        self.replaying = False
        self.recent = dict.fromkeys(sorted(self.replayed)[-RECENT_IDS:])
        for event_id, data in sorted(self.held):
            if event_id not in self.replayed and self._first_time(event_id):
                await self.ws.send_str(data)
        self.held.clear()
        self.replayed.clear()


class StreamHub:
    """The sockets this replica holds, by agent."""

    def __init__(self, presence: PresenceReporter | None = None) -> None:
        self.sockets: dict[str, set[AgentSocket]] = defaultdict(set)
        self.supervisors: set[AgentSocket] = set()
        self.presence = presence

    async def close_all(self, _: web.Application) -> None:
        await close_websockets([s.ws for group in self.sockets.values() for s in group])

    async def on_event(self, event: AgentEvent, message: RabbitMessage) -> None:
        if message.raw_message.routing_key == SUPERVISORS_KEY:
            sockets = self.supervisors  # e.g. SLA breaches: every supervisor watching, not one agent
        else:
            sockets = self.sockets.get(event.agent_id)
        if not sockets:
            return
        event_id = int(message.message_id or 0)
        data = frame(event_id, event)
        await asyncio.gather(*(s.send(event_id, data) for s in list(sockets)), return_exceptions=True)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """`GET /v1/stream[?after=<event id>]`: the caller's events, live."""
        agent = request[AGENT]
        try:
            after = int(request.query.get("after", "-1"))
        except ValueError:
            raise ApiError(400, "invalid_after", "'after' must be an event id (an integer).") from None
        ws = web.WebSocketResponse(heartbeat=20, timeout=WS_CLOSE_TIMEOUT)
        await ws.prepare(request)
        socket = AgentSocket(ws)
        self._add(agent, socket)
        try:
            if after >= 0:
                try:
                    await self._replay(request, agent, socket, after)
                except UNAVAILABLE:
                    log.exception("replay failed")
                    await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"replay unavailable; reconnect")
                    return ws
            await socket.finish_replay()
            async for message in ws:
                if message.type == WSMsgType.TEXT and message.data == "ping":
                    await ws.send_str('{"type":"pong"}')
        finally:
            self._remove(agent, socket)
        return ws

    def _add(self, agent: Agent, socket: AgentSocket) -> None:
        self.sockets[agent.id].add(socket)
        if agent.is_supervisor:
            self.supervisors.add(socket)
        if self.presence and agent.role in PRESENCE_ROLES:
            self.presence.opened(agent.id)
        CONNECTIONS.labels("agent_api").inc()

    def _remove(self, agent: Agent, socket: AgentSocket) -> None:
        self.supervisors.discard(socket)
        self.sockets[agent.id].discard(socket)
        if not self.sockets[agent.id]:
            del self.sockets[agent.id]
        if self.presence and agent.role in PRESENCE_ROLES:
            self.presence.closed(agent.id)
        CONNECTIONS.labels("agent_api").dec()

    async def _replay(self, request: web.Request, agent: Agent, socket: AgentSocket, after: int) -> None:
        """Everything after `after`, page by page, while live events wait in the socket."""
        while True:
            rows = await replay.events_after(request.app[POOL], agent.id, after, agent.is_supervisor)
            for row in rows:
                try:
                    event = _decoder.decode(row["payload"])
                except msgspec.ValidationError:  # a newer writer's event type: dropped live too
                    log.warning("event %d not replayed: unknown to this version", row["id"])
                    continue
                await socket.replay(row["id"], frame(row["id"], event))
            if len(rows) < replay.PAGE:
                return
            after = rows[-1]["id"]
