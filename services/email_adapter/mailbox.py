"""Mailbox reading over IMAP for teams whose support mail lives in a mailbox: IDLE where offered, else polling.

Each look takes the mails not yet keyworded `$Relaydesk`, runs each through the same door
as SMTP mail (stored once per Message-ID, then published with a confirm), and only then
keywords it: a crash, a dropped connection or a broker outage between the two means the mail
is taken again on the next look and deduplicated, never lost. When the server's CAPABILITY
lists IDLE (RFC 2177) the reader waits in IDLE between looks and looks again as soon as the
server reports a new message (EXISTS), renewing IDLE before servers may end it; otherwise it
looks every `interval` seconds.
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from aioimaplib import IMAP4, IMAP4_SSL, STOP_WAIT_SERVER_PUSH

from services.email_adapter.parse import MailRefused
from services.email_adapter.smtp import InboundDoor

T = TypeVar("T")
log = logging.getLogger("relaydesk.email.imap")
PROCESSED = "$Relaydesk"
FIRST_RETRY = 1.0
LAST_RETRY = 60.0
"""A lost or refused connection is retried after 1 s, doubling up to this (and never later than `interval`)."""
ANSWER_TIMEOUT = 30.0
_UIDS = re.compile(rb"\d+")
_EXISTS = re.compile(rb"^\d+ EXISTS$", re.I)


class MailboxPoller:
    def __init__(self, door: InboundDoor, url: str, interval: float, idle_renewal: float = 25 * 60.0):
        parts = urlsplit(url)
        self.door, self.interval, self.idle_renewal = door, interval, idle_renewal
        self.host, self.tls = parts.hostname or "localhost", parts.scheme == "imaps"
        self.port = parts.port or (993 if self.tls else 143)
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
        self.retry = FIRST_RETRY
        self.lost = asyncio.Event()
        """Set when the current connection is gone: aioimaplib leaves its commands waiting then."""

    async def run(self) -> None:
        """Read forever; a lost connection or a refused login is retried after a growing pause."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("mailbox %s@%s unavailable: %s", self.mailbox, self.host, type(exc).__name__)
            await asyncio.sleep(min(self.retry, self.interval))
            self.retry = min(self.retry * 2, LAST_RETRY)

    async def _session(self) -> None:
        self.lost = lost = asyncio.Event()
        client = (IMAP4_SSL if self.tls else IMAP4)(
            host=self.host, port=self.port, timeout=ANSWER_TIMEOUT, conn_lost_cb=lambda _exc: lost.set()
        )
        await client.wait_hello_from_server()
        if (await client.login(self.user, self.password)).result != "OK":
            raise PermissionError("IMAP login refused")
        try:
            if (await self._unless_lost(client.select(self.mailbox))).result != "OK":
                raise LookupError(f"no mailbox {self.mailbox}")
            self.retry = FIRST_RETRY
            idle = client.has_capability("IDLE")
            log.info("reading mailbox %s@%s by %s", self.mailbox, self.host, "IDLE" if idle else "polling")
            while True:
                await self.poll_once(client)
                if idle:
                    await self._idle(client)
                else:
                    await self._unless_lost(asyncio.sleep(self.interval))
        finally:
            if not lost.is_set():
                with contextlib.suppress(Exception):  # leaving anyway: a failed goodbye changes nothing
                    await client.logout()

    async def _idle(self, client: IMAP4) -> None:
        """Waits in IDLE until the server reports a new message, or it is time to renew IDLE."""
        idling = await self._unless_lost(client.idle_start(timeout=self.idle_renewal))
        try:
            while True:
                lines = await self._unless_lost(client.wait_server_push(self.idle_renewal + ANSWER_TIMEOUT))
                if lines == STOP_WAIT_SERVER_PUSH or any(_EXISTS.match(bytes(line).strip()) for line in lines):
                    return  # renewal due, or new mail: both end in a look
        finally:
            if self.lost.is_set():
                idling.cancel()
            else:  # also when cancelled: the server must hear DONE before it answers anything else
                client.idle_done()
                await asyncio.wait_for(idling, ANSWER_TIMEOUT)

    async def _unless_lost(self, step: Awaitable[T]) -> T:
        """`step`'s result, or ConnectionError as soon as the connection is gone."""
        work, lost = asyncio.ensure_future(step), asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait({work, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
            if not work.done():  # the connection is gone, or we are being stopped
                work.cancel()
        if work not in done:
            raise ConnectionError("IMAP connection lost")
        return work.result()

    async def poll_once(self, client: IMAP4) -> int:
        """Take every mail not processed yet; return how many were taken."""
        found = await self._unless_lost(client.uid_search(f"UNKEYWORD {PROCESSED}"))
        uids = [int(u) for line in found.lines[:1] for u in _UIDS.findall(bytes(line))]
        for uid in uids:
            fetched = await self._unless_lost(client.uid("fetch", str(uid), "(BODY.PEEK[])"))
            raw = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), None)
            if fetched.result != "OK" or raw is None:
                raise ConnectionError(f"fetch of UID {uid} failed")
            try:
                await self.door.receive(raw)
            except MailRefused as exc:
                log.warning("mailbox mail UID %d refused (%s); marked processed", uid, exc.reason)
            await self._unless_lost(client.uid("store", str(uid), "+FLAGS", f"({PROCESSED})"))
        return len(uids)
