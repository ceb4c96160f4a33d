"""SMTP DATA spooled in pieces: what the handler gets, and every refusal, as aiosmtpd's own DATA gives them."""

import asyncio
import contextlib
import random

import pytest
from aiosmtpd.smtp import SMTP

from services.email_adapter.receive import MAX_LINE, SPOOL_MEMORY, SpoolingSMTP
from tests.support import free_port

pytestmark = pytest.mark.integration

LIMIT = 3 * SPOOL_MEMORY


class Recorder:
    """An SMTP handler that keeps what DATA delivered: aiosmtpd's bytes, or our spool read back."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        spool = getattr(envelope, "spool", None)
        if spool is None:
            self.received.append(envelope.original_content)
        else:
            self.received.append((spool.seek(0), spool.read())[1])
        return "250 OK"


@contextlib.asynccontextmanager
async def side_by_side():
    """aiosmtpd's SMTP and ours, each with its own recorder: [(port, recorder), (port, recorder)]."""
    loop = asyncio.get_running_loop()
    made = []
    try:
        for kind in (SMTP, SpoolingSMTP):
            recorder, port = Recorder(), free_port()
            server = await loop.create_server(lambda k=kind, r=recorder: k(r, data_size_limit=LIMIT), "127.0.0.1", port)
            made.append((server, port, recorder))
        yield [(port, recorder) for _, port, recorder in made]
    finally:
        for server, _, _ in made:
            server.close()
            await server.wait_closed()


@pytest.fixture
async def doors():
    async with side_by_side() as pair:
        yield pair


async def _reply(reader: asyncio.StreamReader) -> bytes:
    while (line := await reader.readline())[3:4] == b"-":
        pass
    return line.rstrip()


async def deliver(port: int, data: bytes, transactions: int = 1) -> list[bytes]:
    """The final replies to DATA carrying `data` (stuffed, ending in CRLF.CRLF), over one connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    replies = []
    try:
        await _reply(reader)
        writer.write(b"EHLO client.example\r\n")
        await _reply(reader)
        for _ in range(transactions):
            for command in (b"MAIL FROM:<a@example.com>", b"RCPT TO:<support@wallet.example>", b"DATA"):
                writer.write(command + b"\r\n")
                await _reply(reader)
            writer.write(data)
            replies.append(await _reply(reader))
        writer.write(b"QUIT\r\n")
        await _reply(reader)
    finally:
        writer.close()
    return replies


def stuffed(lines: list[bytes]) -> bytes:
    """`lines` as a client sends them after DATA: a leading dot doubled, then the lone dot."""
    return b"".join((b"." if line.startswith(b".") else b"") + line + b"\r\n" for line in lines) + b".\r\n"


def random_lines(rng: random.Random, size: int) -> list[bytes]:
    lines, total = [], 0
    while total < size:
        kind = rng.randrange(8)
        if kind == 0:
            line = b"." * rng.randint(1, 3) + rng.randbytes(rng.randint(0, 60)).replace(b"\r", b"").replace(b"\n", b"")
        elif kind == 1:
            line = b"Thanks." if rng.random() < 0.5 else b""
        elif kind == 2:
            line = b"a" * rng.randint(MAX_LINE - 6, MAX_LINE - 2) if rng.random() < 0.02 else b"x" * rng.randint(1, 70)
        elif kind == 3:
            line = "提现没有到账。".encode() * rng.randint(1, 8)
        else:
            line = bytes(rng.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/") for _ in range(76))
        lines.append(line)
        total += len(line) + 2
    return lines


async def test_dots_are_unstuffed_and_the_mail_arrives_byte_for_byte(doors):
    lines = [b"Subject: dots", b"", b".starts with a dot", b"..two dots", b".", b"ends with a dot.", b"", b"x."]
    for port, recorder in doors:
        assert await deliver(port, stuffed(lines)) == [b"250 OK"]
        assert recorder.received == [b"\r\n".join(lines) + b"\r\n"]


async def test_an_empty_mail_and_a_one_line_mail(doors):
    for port, recorder in doors:
        assert await deliver(port, b".\r\n") == [b"250 OK"]
        assert await deliver(port, b"Subject: only\r\n.\r\n") == [b"250 OK"]
        assert recorder.received == [b"", b"Subject: only\r\n"]


@pytest.mark.parametrize("length", range(MAX_LINE - 4, MAX_LINE + 3))
async def test_the_line_length_limit_is_aiosmtpds(doors, length: int):
    data = stuffed([b"Subject: long", b"", b"y" * length, b"after"])
    (_, stock), (_, ours) = doors
    replies = [await deliver(port, data, transactions=2) for port, _ in doors]
    assert replies[0] == replies[1] and stock.received == ours.received


async def test_mail_over_the_limit_is_refused_after_its_data_and_the_session_goes_on(doors):
    big = stuffed([b"Subject: big", b""] + [b"z" * 76] * (LIMIT // 78 + 10))
    for port, recorder in doors:
        assert await deliver(port, big) == [b"552 Error: Too much mail data"]
        assert await deliver(port, stuffed([b"Subject: small", b"", b"ok"])) == [b"250 OK"]
        assert recorder.received == [b"Subject: small\r\n\r\nok\r\n"]


async def test_random_mail_arrives_as_aiosmtpd_delivers_it_held_or_spooled():
    rng = random.Random(20261124)
    for size in (2_000, 300_000, SPOOL_MEMORY + 200_000, LIMIT - 100_000, LIMIT + 50_000):
        data = stuffed(random_lines(rng, size))
        async with side_by_side() as ((stock_port, stock), (our_port, ours)):
            assert await deliver(stock_port, data) == await deliver(our_port, data)
            assert stock.received == ours.received
