"""A local SMTP relay for tests (aiosmtpd): captures what it is given, or answers injected codes."""

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.smtp import SMTP

from tests.support import free_port


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.answers: list[str] = []
        """Replies to give to the next DATA commands instead of accepting (e.g. "451 4.3.2 busy")."""
        self.attempts = 0
        self._arrived = asyncio.Condition()
        self.server: asyncio.Server | None = None

    async def start(self) -> "SmtpSink":
        self.server = await asyncio.get_running_loop().create_server(
            lambda: SMTP(self, enable_SMTPUTF8=True), "127.0.0.1", self.port
        )
        return self

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.answers:
            return self.answers.pop(0)
        async with self._arrived:
            self.received.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
            self._arrived.notify_all()
        return "250 2.0.0 OK"

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= count), timeout)
        return self.received
