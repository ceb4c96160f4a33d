"""A small IMAP4rev1 mailbox for tests: LOGIN, SELECT, UID SEARCH/FETCH/STORE and optionally IDLE, over real TCP.

Just the commands a mailbox reader needs, answered as RFC 3501 and RFC 2177 say; messages
carry UIDs and flags, so a test can see what the adapter marked as processed. With `idle`,
CAPABILITY lists IDLE and a client in IDLE is told `* n EXISTS` as soon as a message is
delivered; `drop()` cuts every connection, as a server restart or a NAT timeout would.

It serves from its own thread and event loop, as a server apart from the test: a test blocked
on a process (System.stop waits for the adapter to exit) does not keep it from answering.
"""

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support import free_port

_COMMAND = re.compile(rb"^(\S+) (?:(UID) )?(\S+)(?: (.*))?$", re.I)


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass(eq=False)
class _Session:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reported: int = 0
    """The message count this client was last told (SELECT, EXISTS)."""
    news: asyncio.Event = field(default_factory=asyncio.Event)


class ImapMailbox:
    def __init__(self, user: str, password: str, idle: bool = False) -> None:
        self.user, self.password, self.idle = user, password, idle
        self.port = free_port()
        self.messages: list[Stored] = []
        self.fail_fetches = 0
        self.drop_on_store = 0
        """Connections cut instead of answering (and applying) the next N UID STOREs."""
        self.commands: list[str] = []
        self.idling = 0
        """Clients in IDLE right now."""
        self.sessions: set[_Session] = set()
        self.server: asyncio.Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def deliver(self, raw: bytes) -> int:
        uid = len(self.messages) + 1
        self.messages.append(Stored(uid, raw))
        self._in_server(lambda: [session.news.set() for session in self.sessions])
        return uid

    def drop(self) -> None:
        """Cut every open connection without a goodbye."""
        self._in_server(lambda: [session.writer.transport.abort() for session in self.sessions])

    async def start(self) -> "ImapMailbox":
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), name="imap-mailbox", daemon=True)
        self.thread.start()
        if not await asyncio.to_thread(ready.wait, 10):
            raise RuntimeError("the IMAP stand-in did not start")
        return self

    async def stop(self) -> None:
        self.drop()
        self._in_server(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join, 10)

    def _serve(self, ready: threading.Event) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", self.port))
        ready.set()
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def _in_server(self, action: Callable[[], object]) -> None:
        """Runs `action` on the server's loop and waits for it: what the test asked is done when this returns."""
        done = threading.Event()

        def run() -> None:
            try:
                action()
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(5)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(reader, writer)
        self.sessions.add(session)
        writer.write(b"* OK [CAPABILITY IMAP4rev1] test mailbox ready\r\n")
        try:
            while line := await reader.readline():
                match = _COMMAND.match(line.rstrip(b"\r\n"))
                if not match:
                    writer.write(b"* BAD unreadable command\r\n")
                    continue
                tag, uid, name, args = match.groups()
                name = (b"UID " if uid else b"") + name.upper()
                self.commands.append(name.decode())
                if name == b"IDLE" and self.idle:
                    await self._idle(tag, session)
                    continue
                if name == b"UID STORE" and self.drop_on_store:
                    self.drop_on_store -= 1
                    writer.transport.abort()
                    break
                if name == b"SELECT":
                    session.reported = len(self.messages)
                writer.write(self._answer(tag, name, (args or b"").decode()))
                await writer.drain()
                if name == b"LOGOUT":
                    break
        except ConnectionError:
            pass
        finally:
            self.sessions.discard(session)
            writer.close()

    async def _idle(self, tag: bytes, session: _Session) -> None:
        """RFC 2177: "+", then EXISTS whenever the mailbox grows, until the client says DONE."""
        session.writer.write(b"+ idling\r\n")
        done = asyncio.ensure_future(session.reader.readline())
        self.idling += 1
        try:
            while not done.done():
                session.news.clear()
                if len(self.messages) > session.reported:
                    session.reported = len(self.messages)
                    session.writer.write(b"* %d EXISTS\r\n" % session.reported)
                await session.writer.drain()
                news = asyncio.ensure_future(session.news.wait())
                await asyncio.wait({done, news}, return_when=asyncio.FIRST_COMPLETED)
                news.cancel()
        finally:
            self.idling -= 1
            done.cancel()
        if done.result().strip().upper() == b"DONE":
            session.writer.write(tag + b" OK IDLE terminated\r\n")
        else:
            session.writer.write(tag + b" BAD expected DONE\r\n")

    def _answer(self, tag: bytes, name: bytes, args: str) -> bytes:
        ok = tag + b" OK " + name + b" completed\r\n"
        if name == b"CAPABILITY":
            return b"* CAPABILITY IMAP4rev1" + (b" IDLE" if self.idle else b"") + b"\r\n" + ok
        if name == b"LOGIN":
            user, _, password = args.partition(" ")
            if (user.strip('"'), password.strip('"')) != (self.user, self.password):
                return tag + b" NO [AUTHENTICATIONFAILED] invalid credentials\r\n"
            return ok
        if name == b"SELECT":
            return (
                b"* FLAGS (\\Seen $Relaydesk)\r\n* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n" % len(self.messages)
                + tag
                + b" OK [READ-WRITE] SELECT completed\r\n"
            )
        if name == b"UID SEARCH":
            wanted = re.search(r"UNKEYWORD (\S+)", args, re.I)
            uids = [m.uid for m in self.messages if not wanted or wanted.group(1) not in m.flags]
            return b"* SEARCH" + b"".join(b" %d" % u for u in uids) + b"\r\n" + ok
        if name == b"UID FETCH":
            if self.fail_fetches:
                self.fail_fetches -= 1
                return tag + b" NO [UNAVAILABLE] try later\r\n"
            uid = int(args.split()[0])
            message = next(m for m in self.messages if m.uid == uid)
            return b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(message.raw)) + message.raw + b")\r\n" + ok
        if name == b"UID STORE":
            uid, _, flags = args.partition(" ")
            message = next(m for m in self.messages if m.uid == int(uid))
            message.flags.update(re.findall(r"[\\$]?\w+", flags.split("(", 1)[-1]))
            return (
                b"* %d FETCH (UID %d FLAGS (%s))\r\n"
                % (message.uid, message.uid, " ".join(sorted(message.flags)).encode())
                + ok
            )
        if name in (b"NOOP", b"LOGOUT", b"CLOSE"):
            return (b"* BYE logging out\r\n" if name == b"LOGOUT" else b"") + ok
        return tag + b" BAD unsupported\r\n"
