"""Mailbox polling over IMAP for teams whose support mail lives in a mailbox.

Every poll takes the mails not yet keyworded `$Relaydesk`, runs each through the same door
as SMTP mail (stored once per Message-ID, then published with a confirm), and only then
keywords it: a crash or a broker outage between the two means the mail is taken again on
the next poll and deduplicated, never lost.
"""

import asyncio
import logging
import re
from urllib.parse import unquote, urlsplit

from aioimaplib import IMAP4, IMAP4_SSL

from services.email_adapter.parse import MailRefused, parse_mail
from services.email_adapter.smtp import InboundDoor

log = logging.getLogger("relaydesk.email.imap")
PROCESSED = "$Relaydesk"
_UIDS = re.compile(rb"\d+")


class MailboxPoller:
    def __init__(self, door: InboundDoor, url: str, interval: float):
        parts = urlsplit(url)
        self.door, self.interval = door, interval
        self.host, self.tls = parts.hostname or "localhost", parts.scheme == "imaps"
        self.port = parts.port or (993 if self.tls else 143)
        self.user, self.password = unquote(parts.username or ""), unquote(parts.password or "")
        self.mailbox = unquote(parts.path.lstrip("/")) or "INBOX"

    async def run(self) -> None:
        """Poll forever; a lost connection or a refused login is retried after the interval."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("mailbox %s@%s unavailable: %s", self.mailbox, self.host, type(exc).__name__)
            await asyncio.sleep(self.interval)

    async def _session(self) -> None:
        client = (IMAP4_SSL if self.tls else IMAP4)(host=self.host, port=self.port, timeout=30)
        await client.wait_hello_from_server()
        if (await client.login(self.user, self.password)).result != "OK":
            raise PermissionError("IMAP login refused")
        try:
            if (await client.select(self.mailbox)).result != "OK":
                raise LookupError(f"no mailbox {self.mailbox}")
            while True:
                await self.poll_once(client)
                await asyncio.sleep(self.interval)
        finally:
            await client.logout()

    async def poll_once(self, client: IMAP4) -> int:
        """Take every mail not processed yet; return how many were taken."""
        found = await client.uid_search(f"UNKEYWORD {PROCESSED}")
        uids = [int(u) for line in found.lines[:1] for u in _UIDS.findall(bytes(line))]
        for uid in uids:
            fetched = await client.uid("fetch", str(uid), "(BODY.PEEK[])")
            raw = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), None)
            if fetched.result != "OK" or raw is None:
                raise ConnectionError(f"fetch of UID {uid} failed")
            try:
                await self.door.take(parse_mail(raw), raw)
            except MailRefused as exc:
                log.warning("mailbox mail UID %d refused (%s); marked processed", uid, exc.reason)
            await client.uid("store", str(uid), "+FLAGS", f"({PROCESSED})")
        return len(uids)
