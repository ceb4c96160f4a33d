"""Live sockets that can fall behind: they hold live pushes while catching up from the database.

A service's live queue is exclusive to its broker connection: when the connection drops, the
queue and whatever is published to it until aio-pika re-declares it are gone. So when the
connection is lost every socket holds live pushes; once it is restored (queues and consumers
back) each socket tells its client `{"type":"resync"}`, replays from the database what came
after the last thing it delivered, delivers the held pushes it did not replay, and goes live.
The subclasses say what "after" means: event ids for agents, reply seqs for visitors.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

log = logging.getLogger("relaydesk.live")
RESYNC = '{"type":"resync"}'
"""Told to a client before a catch-up after a broker reconnect: what follows was missed live."""

Send = Callable[[str], Awaitable[None]]


class LiveSocket:
    """One client's live socket: holding until a catch-up lets it go live, and after each outage.

    `online()` says whether the broker connection (and so the live queue) is up. A catch-up
    goes live only if the connection was up from its start to its end: one that began in an
    outage, or saw a new one, leaves the socket holding for the catch-up the next restore starts.
    """

    def __init__(self, send: Send, online: Callable[[], bool]) -> None:
        self.send, self.online = send, online
        self.holding = True
        self.outages = 0
        self.lock = asyncio.Lock()

    def lost(self) -> None:
        """The broker connection dropped: hold live pushes until a catch-up after the restore."""
        self.outages += 1
        self.holding = True

    async def catch_up(self, after: int | None = None, *, replay: bool = True, announce: bool = False) -> None:
        """Replay from the database (after `after`, or after what was delivered), then the held
        pushes; go live if the connection stayed up. A failed replay leaves a live socket live."""
        async with self.lock:
            was_online, outages, was_live = self.online(), self.outages, not self.holding
            self.holding = True
            try:
                if announce:
                    await self.send(RESYNC)
                if replay:
                    await self._replay(after)
            except BaseException:
                if was_live:
                    await self._go_live(outages)
                raise
            if was_online:
                await self._go_live(outages)

    async def _go_live(self, outages: int) -> None:
        await self._flush()
        # No await between the flush's last check of `held` and this: no push slips in between.
        if outages == self.outages and self.online():
            self.holding = False

    async def _replay(self, after: int | None) -> None:
        raise NotImplementedError

    async def _flush(self) -> None:
        """Deliver the held pushes not already delivered, until none is left."""
        raise NotImplementedError


class LiveHub:
    """The broker connection's state as this replica's sockets need it, and their catch-up tasks."""

    def __init__(self) -> None:
        self.connected = True
        self.tasks: set[asyncio.Task] = set()

    def live_sockets(self) -> Iterable[Any]:
        raise NotImplementedError

    async def resync(self, socket: Any) -> None:
        """Catch one socket up after a reconnect (or close it, asking the client to reconnect)."""
        raise NotImplementedError

    def online(self) -> bool:
        return self.connected

    def connection_lost(self) -> None:
        if self.connected:  # also at shutdown, when the connection closes on purpose
            log.info("broker connection closed: live sockets hold until it is back")
        self.connected = False
        for socket in self.live_sockets():
            socket.lost()

    def connection_restored(self) -> None:
        self.connected = True
        sockets = list(self.live_sockets())
        log.info("broker connection restored: %d live sockets catch up", len(sockets))
        for socket in sockets:
            self.spawn(self.resync(socket))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task this hub keeps (an unreferenced task may be collected) and cancels at close."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception():
            log.error("live catch-up failed", exc_info=task.exception())

    async def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
