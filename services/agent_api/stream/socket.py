"""One open agent stream: live events each once, and catch-ups from the outboxes after a gap."""

from collections.abc import AsyncIterator, Callable

from shared.live import LiveSocket, Send

RECENT_IDS = 256
"""Event ids a socket remembers having sent: to drop a late duplicate publish, and to replay
from below the highest id sent without sending anything twice."""

Source = Callable[[int], AsyncIterator[tuple[int, str]]]
"""The agent's events with ids above the given one, in id order, as (id, frame)."""


class CannotReplay(Exception):
    """The socket does not know where it stands (its start could not be read): the client must reconnect."""


class AgentSocket(LiveSocket):
    """An agent's open stream.

    `floor` and `recent` together say what was delivered: an event with an id at or below
    `floor` was delivered or came before the stream opened; above it, exactly the ids in
    `recent` were. Live events may arrive out of id order (the sweeper publishes late, two
    routers race to publish after committing, a supervisor's two keys interleave), so a
    catch-up replays from `floor`, not from the highest id sent, and skips what `recent` holds.
    """

    def __init__(self, send: Send, online: Callable[[], bool], source: Source, floor: int | None = None) -> None:
        super().__init__(send, online)
        self.source, self.floor = source, floor
        self.held: list[tuple[int, str]] = []
        self.recent: dict[int, None] = {}
        self.replayed: set[int] = set()

    def _first_time(self, event_id: int) -> bool:
        if event_id in self.recent:
            return False
        if event_id > 0:  # an event without an id cannot be told apart from another
            self.recent[event_id] = None
            if len(self.recent) > RECENT_IDS:
                forgotten = next(iter(self.recent))
                del self.recent[forgotten]
                if self.floor is not None:
                    self.floor = max(self.floor, forgotten)
        return True

    async def live(self, event_id: int, data: str) -> None:
        """An event from the live queue: held while catching up, else sent unless sent already."""
        if self.holding:
            self.held.append((event_id, data))
        elif self._first_time(event_id):
            await self.send(data)

    async def _replay(self, after: int | None) -> None:
        if after is not None:
            self.floor = after
        if self.floor is None:
            raise CannotReplay
        self.replayed = set()
        async for event_id, data in self.source(self.floor):
            self.replayed.add(event_id)  # all of them, not only the last RECENT_IDS: held ones may repeat any
            if self._first_time(event_id):
                await self.send(data)

    async def _flush(self) -> None:
        while self.held:
            held, self.held = sorted(self.held), []
            for event_id, data in held:
                if event_id not in self.replayed and self._first_time(event_id):
                    await self.send(data)
        self.replayed = set()
