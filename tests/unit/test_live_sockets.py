"""The live sockets' catch-up rules: what each delivers, in what order, after outages, gaps and races."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from services.agent_api.stream.socket import RECENT_IDS, AgentSocket
from services.webchat_adapter.visitor_socket import VisitorSocket
from shared.live import RESYNC

pytestmark = pytest.mark.unit


class Record:
    """The database as a socket sees it (committed rows by id or seq), and what the client received."""

    def __init__(self) -> None:
        self.rows: dict[int, str] = {}
        self.sent: list[str] = []
        self.connected = True

    def commit(self, *keys: int) -> None:
        for key in keys:
            self.rows[key] = f"#{key}"

    async def send(self, data: str) -> None:
        self.sent.append(data)

    def online(self) -> bool:
        return self.connected

    async def after(self, key: int) -> AsyncIterator[tuple[int, str]]:
        for found in sorted(k for k in self.rows if k > key):
            yield found, self.rows[found]

    def received(self) -> list[int | str]:
        return ["resync" if s == RESYNC else int(s[1:]) for s in self.sent]


def agent(record: Record, floor: int | None = 0) -> AgentSocket:
    return AgentSocket(record.send, record.online, record.after, floor)


def visitor(record: Record, last: int | None = 0) -> VisitorSocket:
    return VisitorSocket(record.send, record.online, record.after, last)


async def test_an_agent_socket_replays_an_outage_then_the_held_events_once():
    record = Record()
    socket = agent(record)
    await socket.catch_up(replay=False)
    record.commit(1)
    await socket.live(1, "#1")
    socket.lost()
    record.commit(2, 3)  # published while the queue was gone
    record.connected = True
    record.commit(4)
    await socket.live(4, "#4")  # back on the restored queue before the catch-up ran: held
    await socket.catch_up(announce=True)
    record.commit(5)
    await socket.live(5, "#5")
    await socket.live(4, "#4")  # a late duplicate publish
    assert record.received() == [1, "resync", 2, 3, 4, 5]


async def test_an_event_overtaken_before_the_outage_is_still_replayed():
    """Two routers publish 7 and 8 after committing in that order; 8 arrives, 7 is lost with the queue."""
    record = Record()
    socket = agent(record, floor=6)
    await socket.catch_up(replay=False)
    record.commit(7, 8)
    await socket.live(8, "#8")
    socket.lost()
    await socket.catch_up(announce=True)
    assert record.received() == [8, "resync", 7]


async def test_the_floor_rises_as_old_ids_are_forgotten_so_a_catch_up_stays_short():
    record = Record()
    socket = agent(record)
    await socket.catch_up(replay=False)
    for event_id in range(1, RECENT_IDS + 11):
        record.commit(event_id)
        await socket.live(event_id, f"#{event_id}")
    assert socket.floor == 10


async def test_a_catch_up_that_sees_a_new_outage_stays_holding_for_the_next_one():
    record = Record()
    socket = agent(record)
    record.commit(1)

    async def lose_midway(after: int) -> AsyncIterator[tuple[int, str]]:
        async for row in record.after(after):
            socket.lost()
            record.connected = False
            yield row

    socket.source = lose_midway
    await socket.catch_up(announce=True)
    assert socket.holding
    await socket.live(3, "#3")  # arrived before the second loss: held, not sent past the gap
    record.commit(2, 3)
    socket.source = record.after
    record.connected = True
    await socket.catch_up(announce=True)
    assert not socket.holding
    assert record.received() == ["resync", 1, "resync", 2, 3]


async def test_a_socket_opened_during_an_outage_waits_for_the_restore():
    record = Record()
    record.connected = False
    socket = agent(record, floor=0)
    await socket.catch_up(replay=False)
    assert socket.holding
    record.commit(1)
    record.connected = True
    await socket.catch_up(announce=True)
    assert record.received() == ["resync", 1]


async def test_a_visitor_socket_fills_a_gap_and_drops_the_late_publish():
    record = Record()
    socket = visitor(record)
    await socket.catch_up(replay=False)
    record.commit(1, 2, 3)
    await socket.live(1, "#1")
    assert await socket.live(3, "#3")  # 2 was overtaken: a gap, the caller starts a catch-up
    await socket.catch_up()
    assert not await socket.live(2, "#2")
    assert record.received() == [1, 2, 3]


async def test_a_reply_committed_after_the_first_replay_read_is_found_by_another_pass():
    record = Record()
    socket = visitor(record)
    await socket.catch_up(replay=False)
    record.commit(1)
    reads = 0

    async def late_commit(after: int) -> AsyncIterator[tuple[int, str]]:
        nonlocal reads
        reads += 1
        async for row in record.after(after):
            yield row
        if reads == 1:  # 2 and 3 commit after this read; 3 overtakes 2 on the queue
            record.commit(2, 3)
            await socket.live(3, "#3")

    socket.source = late_commit
    socket.lost()
    await socket.catch_up(announce=True)
    assert record.received() == ["resync", 1, 2, 3]


async def test_resume_replays_what_the_visitor_asks_for_while_live_replies_wait():
    record = Record()
    socket = visitor(record, last=2)
    record.commit(1, 2)
    await socket.catch_up(replay=False)
    started = asyncio.Event()

    async def slow(after: int) -> AsyncIterator[tuple[int, str]]:
        started.set()
        await asyncio.sleep(0)
        async for row in record.after(after):
            yield row

    socket.source = slow
    resume = asyncio.create_task(socket.catch_up(0))
    await started.wait()
    record.commit(3)
    await socket.live(3, "#3")  # during the replay: after it, not before
    await resume
    assert record.received() == [1, 2, 3]


async def test_a_failed_resume_leaves_the_socket_live():
    record = Record()
    socket = visitor(record)
    await socket.catch_up(replay=False)

    async def down(_: int) -> AsyncIterator[tuple[int, str]]:
        raise OSError("database unreachable")
        yield  # pragma: no cover

    socket.source = down
    with pytest.raises(OSError, match="unreachable"):
        await socket.catch_up(0)
    await socket.live(1, "#1")
    assert record.received() == [1]


def test_the_resync_frame_is_json_with_a_type():
    assert json.loads(RESYNC) == {"type": "resync"}
