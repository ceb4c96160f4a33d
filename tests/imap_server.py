"""A small IMAP4rev1 mailbox for tests: LOGIN, SELECT, UID SEARCH/FETCH/STORE, over real TCP.

Just the commands a poller needs, answered as RFC 3501 says; messages carry UIDs and
flags, so a test can see what the adapter marked as processed.
"""

import asyncio
import re
from dataclasses import dataclass, field

from tests.support import free_port

_COMMAND = re.compile(rb"^(\S+) (?:(UID) )?(\S+)(?: (.*))?$", re.I)


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class ImapMailbox:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.port = free_port()
        self.messages: list[Stored] = []
        self.fail_fetches = 0
        self.server: asyncio.Server | None = None

    def deliver(self, raw: bytes) -> int:
        uid = len(self.messages) + 1
        self.messages.append(Stored(uid, raw))
        return uid

    async def start(self) -> "ImapMailbox":
        self.server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1] test mailbox ready\r\n")
        try:
            while line := await reader.readline():
                match = _COMMAND.match(line.rstrip(b"\r\n"))
                if not match:
                    writer.write(b"* BAD unreadable command\r\n")
                    continue
                tag, uid, name, args = match.groups()
                name = (b"UID " if uid else b"") + name.upper()
                writer.write(self._answer(tag, name, (args or b"").decode()))
                await writer.drain()
                if name == b"LOGOUT":
                    break
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _answer(self, tag: bytes, name: bytes, args: str) -> bytes:
        ok = tag + b" OK " + name + b" completed\r\n"
        if name == b"CAPABILITY":
            return b"* CAPABILITY IMAP4rev1\r\n" + ok
        if name == b"LOGIN":
            user, _, password = args.partition(" ")
            if (user.strip('"'), password.strip('"')) != (self.user, self.password):
                return tag + b" NO [AUTHENTICATIONFAILED] invalid credentials\r\n"
            return ok
        if name == b"SELECT":
            return (b"* FLAGS (\\Seen $Relaydesk)\r\n* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n" % len(self.messages)
                    + tag + b" OK [READ-WRITE] SELECT completed\r\n")
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
            return (b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(message.raw)) + message.raw + b")\r\n"
                    + ok)
        if name == b"UID STORE":
            uid, _, flags = args.partition(" ")
            message = next(m for m in self.messages if m.uid == int(uid))
            message.flags.update(re.findall(r"[\\$]?\w+", flags.split("(", 1)[-1]))
            return b"* %d FETCH (UID %d FLAGS (%s))\r\n" % (message.uid, message.uid,
                                                           " ".join(sorted(message.flags)).encode()) + ok
        if name in (b"NOOP", b"LOGOUT", b"CLOSE"):
            return (b"* BYE logging out\r\n" if name == b"LOGOUT" else b"") + ok
        return tag + b" BAD unsupported\r\n"
