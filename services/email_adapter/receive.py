"""SMTP DATA received into a spool: in memory for ordinary mail, in a temporary file for a large one.

aiosmtpd's own DATA keeps every line as a bytearray, then joins them: a 20 MB mail is held
about three times before the handler sees it, and each of its ~270,000 lines costs an await.
`SpoolingSMTP` reads the data in whatever pieces the socket delivers, un-stuffs dots
(RFC 5321 4.5.2), enforces the size (552) and line length (500) limits as aiosmtpd does, and
hands the handler an envelope whose `spool` holds the mail.
"""

import asyncio
import tempfile
from typing import IO

from aiosmtpd.smtp import MISSING, SMTP, Envelope

SPOOL_MEMORY = 1024 * 1024
"""A mail up to this size is held in memory; beyond it, on disk (and read in pieces from there)."""
MAX_LINE = 1001
"""aiosmtpd's limit on a DATA line with its CRLF (RFC 5321 4.5.3.1.6: 998 octets, plus RFC 6532)."""
_LINE_END = b".\r\n"
"""readuntil() stops here: either the end of data, or a text line ending with a full stop."""


class SpooledEnvelope(Envelope):
    """An envelope whose mail is in `spool` (positioned at its end) instead of `content`."""

    def __init__(self) -> None:
        super().__init__()
        self.spool: IO[bytes] | None = None


class _Lines:
    """The data stream cut at line ends: what is complete is written, an unfinished line is kept."""

    def __init__(self, spool: IO[bytes], limit: int | None):
        self.spool, self.limit = spool, limit
        self.partial = b""
        self.size = 0
        self.refusal: str | None = None

    def add(self, piece: bytes) -> None:
        data = self.partial + piece
        end = data.rfind(b"\r\n") + 2
        complete, self.partial = data[:end], data[end:]
        self.size += len(complete)
        if self.refusal is not None:
            self.partial = self.partial[-MAX_LINE:]  # draining: keep only enough to see the end of data
            return
        if len(self.partial) > MAX_LINE or (complete and max(map(len, complete.split(b"\r\n"))) + 2 > MAX_LINE):
            self.refusal = "500 Line too long (see RFC5321 4.5.3.1.6)"
        elif self.limit and self.size > self.limit:
            self.refusal = "552 Error: Too much mail data"
        elif complete.startswith(b".") or b"\r\n." in complete:
            self.spool.write((b"\r\n" + complete).replace(b"\r\n.", b"\r\n")[2:])  # each line's first dot
        else:
            self.spool.write(complete)

    def ends_data(self, piece: bytes) -> bool:
        """Whether `piece` (read up to ".\\r\\n") closes the data: the full stop is a line of its own."""
        before = (self.partial + piece)[: -len(_LINE_END)]
        return before == b"" or before.endswith(b"\r\n")


class SpoolingSMTP(SMTP):
    """aiosmtpd's SMTP with DATA spooled (see the module docstring); every other command as aiosmtpd has it."""

    def _create_envelope(self) -> SpooledEnvelope:
        return SpooledEnvelope()

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY) as spool:
            lines = await self._receive(_Lines(spool, self.data_size_limit))
            if lines is None:
                return  # the connection went away during DATA
            if lines.refusal is not None:
                self._set_post_data_state()
                await self.push(lines.refusal)
                return
            self.envelope.spool = spool
            status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    async def _receive(self, lines: _Lines) -> _Lines | None:
        """Reads up to the lone "." line; None when the client hung up first."""
        while self.transport is not None:
            try:
                piece = await self._reader.readuntil(_LINE_END)
            except asyncio.LimitOverrunError as pending:
                # No line-ending full stop within the reader's limit: take what is buffered, minus
                # the last two bytes, which may begin ".\r\n".
                lines.add(await self._reader.readexactly(pending.consumed))
                continue
            except asyncio.IncompleteReadError:
                return None
            except asyncio.CancelledError:
                self._writer.close()  # the connection was reset during DATA (as aiosmtpd does)
                raise
            if lines.ends_data(piece):
                lines.add(piece[: -len(_LINE_END)])
                return lines
            lines.add(piece)
        return None
