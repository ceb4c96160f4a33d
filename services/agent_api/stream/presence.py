"""Presence follows the socket: this replica tells the router which agents hold streams on it.

Reports are absolute (every agent with a stream here, and since when) and numbered, so the
router applies the newest and ignores a late one. One goes out as soon as an agent's first
stream here opens or their last one closes, and one every `interval` as the replica's
heartbeat: a replica that dies (SIGKILL, a cut network) falls silent and the router's sweeper
expires its streams. Only agents count: supervisors and admins watch the stream without
taking the queue, and set their status themselves when they want conversations.
"""

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime

from aiohttp import web
from faststream.rabbit import RabbitBroker

from contracts import ReportStreams
from contracts.topology import AGENT_COMMAND_KEY
from shared.broker import publish

log = logging.getLogger("relaydesk.agent_api.presence")
PRESENCE_ROLES = frozenset({"agent"})
MISSED_BEATS = 3
"""Heartbeats a replica may miss (a slow broker, a long pause) before it counts as gone."""


class StreamCounts:
    """Open streams per agent on this replica, and since when each agent has had one (pure)."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[int, datetime]] = {}

    def opened(self, agent_id: str, at: datetime) -> bool:
        """Count a stream; True when it is the agent's first here."""
        count, since = self.open.get(agent_id, (0, at))
        self.open[agent_id] = (count + 1, since)
        return count == 0

    def closed(self, agent_id: str) -> bool:
        """Count a stream gone; True when it was the agent's last here."""
        count, since = self.open.pop(agent_id)
        if count > 1:
            self.open[agent_id] = (count - 1, since)
        return count == 1

    def streams(self) -> dict[str, datetime]:
        return {agent_id: since for agent_id, (_, since) in self.open.items()}


class PresenceReporter:
    """Sends this replica's `ReportStreams` to the router: on every change, and as a heartbeat."""

    def __init__(self, broker: RabbitBroker, interval: float) -> None:
        self.broker, self.interval = broker, interval
        self.replica_id = uuid.uuid4().hex
        self.counts = StreamCounts()
        self.seq = 0
        self.changed = asyncio.Event()

    def opened(self, agent_id: str) -> None:
        if self.counts.opened(agent_id, datetime.now(UTC)):
            self.changed.set()

    def closed(self, agent_id: str) -> None:
        if self.counts.closed(agent_id):
            self.changed.set()

    def report(self, streams: dict[str, datetime]) -> ReportStreams:
        self.seq += 1
        return ReportStreams(
            command_id=str(uuid.uuid4()),
            replica_id=self.replica_id,
            seq=self.seq,
            issued_at=datetime.now(UTC),
            streams=streams,
            expires_in_s=self.interval * MISSED_BEATS,
        )

    async def send(self, streams: dict[str, datetime]) -> bool:
        report = self.report(streams)
        try:
            await publish(self.broker, report, AGENT_COMMAND_KEY, message_id=report.command_id)
        except ConnectionError as exc:  # the next beat carries the whole state again
            log.warning("stream report %d not sent: %s", report.seq, exc)
            return False
        return True

    async def run(self) -> None:
        """Report forever: at once after a change, else every interval."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), self.interval)
            self.changed.clear()
            try:
                await self.send(self.counts.streams())
            except Exception:  # silence would read as this replica's death: keep beating
                log.exception("stream report failed")

    async def context(self, _: web.Application):
        """aiohttp cleanup context: report while the app runs; at shutdown, report no streams at
        all (its sockets are closed by then), so the agents' grace starts now, not at expiry."""
        task = asyncio.create_task(self.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.send({})
