"""Raw RFC 5322 bytes to a `ParsedMail` (pure): what the email edge needs to thread, route and store a mail."""

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesFeedParser
from typing import IO

import msgspec

from services.email_adapter.bodies import Bodies
from services.email_adapter.classify_mail import is_auto_generated
from services.email_adapter.dsn import Dsn, parse_dsn
from services.email_adapter.headers import addresses, header_date, header_text, message_ids, raw_header, raw_headers
from services.email_adapter.parts import PARSE_POLICY, MailAttachment, read_parts
from services.email_adapter.quotes import strip_quoted

__all__ = ["Dsn", "MailAttachment", "MailRefused", "ParsedMail", "parse_mail"]

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 1000
MAX_PARTS = 1000
"""Lines opening with "--" (an upper bound on MIME parts): policy.default spends ~0.5 ms a part."""
MAX_MULTIPARTS = 50
"""Mentions of "boundary" (an upper bound on nesting): the parser checks every line against each open level."""
FEED_CHUNK = 64 * 1024
COUNT_CHUNK = 1024 * 1024
SYNTHETIC_ID_DOMAIN = "synthetic.relaydesk.invalid"
_HEADER_LINE = re.compile(rb"From |[\x21-\x39\x3b-\x7e]*:|[\t ]")
"""How the standard library's feedparser tells a header line (field, continuation, mbox "From ") from the body."""
_HEADER_LINES = re.compile(rb"(?:(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])[^\n]*\n)*")
_FIELD_START = re.compile(rb"^[^ \t\r\n]", re.M)
_TOKEN = re.compile(r"\[#(RD-[A-Z0-9]{4,12})\]", re.I | re.A)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|转发|轉寄|转寄)\s*[:：]", re.I)


class MailRefused(Exception):
    """A mail not taken (header bomb, MIME too costly or impossible to read); `code` and `reason` make the reply."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason

    @property
    def reply(self) -> str:
        return f"{self.code} {self.reason}"


class ParsedMail(msgspec.Struct, frozen=True):
    """One inbound mail: threading ids, sender, decoded text, what is new in it, files and machine signs."""

    message_id: str
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str
    new_text: str
    attachments: tuple[MailAttachment, ...]
    auto_submitted: bool
    dsn: Dsn | None
    conversation_token: str | None


def parse_mail(
    raw: bytes | IO[bytes],
    max_header_bytes: int = MAX_HEADER_BYTES,
    max_headers: int = MAX_HEADERS,
    return_path: str | None = None,
    bodies: Bodies | None = None,
) -> ParsedMail:
    """`raw` parsed; raises only `MailRefused`: header bombs, MIME too costly to parse or that the stdlib cannot.

    `raw` is the mail, or a file holding it that is read a piece at a time. `return_path` is the
    envelope sender a final MTA records as Return-Path (`""` for bounces and auto-replies); it is
    read as the first header without copying `raw` to prepend it. With `bodies`, base64 bodies
    are decoded into its files instead of being held (see bodies.py).
    """
    _check_headers(_prefix(raw, max_header_bytes), max_header_bytes, max_headers)
    _check_structure(raw)
    try:
        return _read(raw, _message(raw, return_path, bodies))
    except RecursionError:  # message/* parts nested hundreds deep, in parsing or in writing one back out
        raise MailRefused(554, "5.6.0 Message parts nested too deep") from None
    except (IndexError, TypeError, ValueError, LookupError, MessageError) as exc:
        # The email package's own header parser fails on some hostile parameters ("charset*" alone).
        raise MailRefused(554, f"5.6.0 Unreadable MIME structure ({type(exc).__name__})") from exc


def _read(raw: bytes | IO[bytes], msg: EmailMessage) -> ParsedMail:
    subject = header_text(msg, "Subject")
    sender = addresses(raw_headers(msg, "From") or raw_headers(msg, "Sender"))
    text, attachments = read_parts(msg)
    dsn = parse_dsn(msg)
    ids = message_ids(raw_header(msg, "Message-ID"))
    token = _TOKEN.search(subject)
    return ParsedMail(
        message_id=ids[0] if ids else f"{_digest(raw)[:40]}@{SYNTHETIC_ID_DOMAIN}",
        from_address=sender[0][1] if sender else "",
        from_name=sender[0][0] if sender else "",
        to=tuple(address for _name, address in addresses(raw_headers(msg, "To"))),
        subject=subject,
        date=header_date(raw_header(msg, "Date")),
        in_reply_to=message_ids(" ".join(raw_headers(msg, "In-Reply-To"))),
        references=message_ids(" ".join(raw_headers(msg, "References"))),
        text=text,
        new_text=strip_quoted(text, forwarded=bool(_FORWARD_SUBJECT.match(subject))),
        attachments=attachments,
        auto_submitted=dsn is not None or is_auto_generated(msg),
        dsn=dsn,
        conversation_token=token[1].upper() if token else None,
    )


def _check_headers(raw: bytes, max_bytes: int, max_count: int) -> None:
    # The header section is what the parser takes as one: field and continuation lines, up to the first other line.
    header = _HEADER_LINES.match(raw, 0, max_bytes)  # a starred group: it always matches, maybe empty
    end = header.end() if header else 0
    if len(raw) > max_bytes and _HEADER_LINE.match(raw, end):  # a header line still going at the limit
        raise MailRefused(552, f"5.3.4 Message header exceeds {max_bytes} bytes")
    if len(_FIELD_START.findall(raw, 0, end)) > max_count:
        raise MailRefused(552, f"5.3.4 Message header has more than {max_count} fields")


def _check_structure(raw: bytes | IO[bytes]) -> None:
    parts = multiparts = 0
    seen = b""  # the end of the previous slice, for words that straddle two
    for chunk in _chunks(raw, COUNT_CHUNK):
        # Lower-cased a slice at a time rather than as a full copy; neither word can overlap itself,
        # so what lies wholly in `seen` was counted with the previous slice.
        window = seen + chunk.lower()
        parts += window.count(b"\n--") - seen.count(b"\n--")
        multiparts += window.count(b"boundary") - seen.count(b"boundary")
        seen = window[-len(b"boundary") + 1 :]
    if parts > MAX_PARTS:
        raise MailRefused(554, f"5.6.0 More than {MAX_PARTS} MIME parts")
    if multiparts > MAX_MULTIPARTS:
        raise MailRefused(554, f"5.6.0 More than {MAX_MULTIPARTS} multipart sections")


def _message(raw: bytes | IO[bytes], return_path: str | None, bodies: Bodies | None) -> EmailMessage:
    # EmailMessage is PARSE_POLICY's message factory, named for the type checker: typeshed types a parser
    # given only a policy as one of plain Messages.
    parser = BytesFeedParser(EmailMessage, policy=PARSE_POLICY) if bodies is None else bodies.parser(PARSE_POLICY)
    if return_path is not None:
        parser.feed(b"Return-Path: <%s>\r\n" % return_path.encode("utf-8", "replace"))
    for chunk in _chunks(raw, FEED_CHUNK):
        # In slices: parsebytes() would first decode the whole mail into a full-size string and a StringIO.
        parser.feed(chunk)
    msg = parser.close()
    if bodies is not None:
        bodies.finish()
    return msg


def _chunks(raw: bytes | IO[bytes], size: int) -> Iterator[bytes]:
    """The mail a slice at a time, from memory or from its file."""
    if isinstance(raw, bytes):
        yield from (raw[start : start + size] for start in range(0, len(raw), size))
        return
    raw.seek(0)
    while chunk := raw.read(size):
        yield chunk


def _prefix(raw: bytes | IO[bytes], max_header_bytes: int) -> bytes:
    """As much of the mail as the header checks look at: a spooled mail is not read whole for them."""
    return raw if isinstance(raw, bytes) else next(_chunks(raw, max_header_bytes + FEED_CHUNK), b"")


def _digest(raw: bytes | IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(raw, COUNT_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
