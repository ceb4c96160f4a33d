"""One visitor socket: replies in seq order, each once, gaps filled from the messages table.

A customer's replies are numbered 1, 2, 3… (`contacts.out_seq`, taken under the contact's
row lock), so they commit in seq order and a live reply whose seq skips one reveals a gap:
a reply lost with the live queue, or one whose publish it overtook. Either way the missing
ones are already in the messages table.
"""

from collections.abc import AsyncIterator, Callable

from shared.live import LiveSocket, Send

FILL_PASSES = 3
"""Replays per catch-up while held replies still leave a gap (one committed after the first
replay read, whose publish the held reply overtook); a gap that outlives them (a reply erased
since) is skipped."""

Source = Callable[[int], AsyncIterator[tuple[int, str]]]
"""The session's replies with seqs above the given one, in seq order, as (seq, frame)."""


class VisitorSocket(LiveSocket):
    """A visitor's socket; `last` is the highest seq delivered in order (None: not known yet)."""

    def __init__(self, send: Send, online: Callable[[], bool], source: Source, last: int | None = None) -> None:
        super().__init__(send, online)
        self.source, self.last = source, last
        self.held: dict[int, str] = {}

    async def live(self, seq: int, data: str) -> bool:
        """A reply from the live queue, delivered if it is the next one; True when it revealed a
        gap the caller must start a catch-up for (the socket holds until then)."""
        if self.holding:
            self.held[seq] = data
            return False
        if self.last is not None and seq <= self.last:
            return False  # a repeated publish, or replayed already
        if self.last is None or seq == self.last + 1:
            await self._deliver(seq, data)
            return False
        self.held[seq] = data
        self.holding = True
        return True

    async def _deliver(self, seq: int, data: str) -> None:
        await self.send(data)
        self.last = seq if self.last is None else max(self.last, seq)

    def _gap(self) -> bool:
        return bool(self.held) and self.last is not None and min(self.held) > self.last + 1

    async def _replay(self, after: int | None) -> None:
        # `resume` asks from its own `after` (and may ask again for what it had); a catch-up
        # starts after what was delivered.
        start = after if after is not None else self.last or 0
        for _ in range(FILL_PASSES):
            async for seq, data in self.source(start):
                await self._deliver(seq, data)
            if not self._gap():
                return
            start = self.last or 0

    async def _flush(self) -> None:
        while self.held:
            seq = min(self.held)
            data = self.held.pop(seq)
            if self.last is None or seq > self.last:
                await self._deliver(seq, data)
