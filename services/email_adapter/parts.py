"""A mail's readable text and its attachments (pure), from a MIME tree walked at most MAX_DEPTH deep."""

import functools
import re
from email import policy
from email.feedparser import FeedParser
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message
from typing import IO

import msgspec

from services.email_adapter.bodies import SpooledPart, lenient_base64
from services.email_adapter.charsets import decode_bytes
from services.email_adapter.headers import header_param, header_text, message_ids, raw_header, safe_filename
from services.email_adapter.html_text import html_to_text

REMEMBERED_HEADERS = 512
REMEMBERED_LENGTH = 1000
"""Longer values are parsed every time: a remembered parse tree of a hostile header would outlive its mail."""


class _ParsedOnce(HeaderRegistry):
    """policy.default's header classes, each (name, value) parsed once.

    The feedparser alone asks for every part's Content-Type six times, and policy.default parses
    the value anew each time; the header objects are immutable, so one parse can serve them all.
    """

    def __init__(self) -> None:
        super().__init__()
        self._remembered = functools.lru_cache(maxsize=REMEMBERED_HEADERS)(super().__call__)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > REMEMBERED_LENGTH:
            return super().__call__(name, value)
        return self._remembered(name, value)


PARSE_POLICY = policy.default.clone(header_factory=_ParsedOnce())
"""policy.default as PROTOCOLS.md says, parsing each header value once; headers are mostly read raw here."""
MAX_DEPTH = 20
"""Real mail nests three or four levels; anything deeper is left unread rather than refused."""
BODY_TYPES = ("text/plain", "text/html")
MESSAGE_TYPES = ("message/rfc822", "message/global")
AS_SENT = policy.compat32.clone(linesep="\r\n", max_line_length=0)
"""Writes an attached message back byte for byte: compat32 keeps raw headers, no refolding at 78 columns."""
SIGNATURE_TYPES = {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
_DELIMITER = re.compile(r"--[0-9A-Za-z'()+_,./:=?-]{1,70}")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.I)


class MailAttachment(msgspec.Struct, frozen=True):
    """A file that came with a mail, decoded; inline images carry the `content_id` the HTML cites.

    A large mail's files are not held in memory: `data` is empty and `decoded` is the file it was decoded to.
    """

    filename: str
    content_type: str
    size: int
    content_id: str | None
    data: bytes
    decoded: IO[bytes] | None = None


def read_parts(msg: Message) -> tuple[str, tuple[MailAttachment, ...]]:
    """The mail's readable text (plain preferred, else HTML as text) and its attachments, in order."""
    texts: list[str] = []
    files: list[MailAttachment] = []
    _walk(msg, 0, True, texts, files)
    return "\n\n".join(text for text in texts if text.strip()).strip(), tuple(files)


def _walk(part: Message, depth: int, readable: bool, texts: list[str], files: list[MailAttachment]) -> None:
    if depth > MAX_DEPTH:
        return
    content_type = part.get_content_type()
    if content_type in MESSAGE_TYPES and part.is_multipart():  # an attached message, parsed
        files.extend(_attached_message(part))
        return
    if content_type.startswith("message/") and part.is_multipart():
        return  # delivery-status and disposition-notification fields: read by dsn.py, nothing to show
    if part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        if content_type == "multipart/report":
            children = children[:1]  # the human-readable part; the rest is the report itself
        chosen = _preferred(children) if content_type == "multipart/alternative" else None
        for child in children:
            _walk(child, depth + 1, readable and (chosen is None or child is chosen), texts, files)
        return
    if content_type.startswith("multipart/"):
        if (recovered := _with_guessed_boundary(part)) is not None:
            _walk(recovered, depth + 1, readable, texts, files)
            return
        content_type = "text/plain"  # no boundary to be found: show what the parser kept whole as text
    filename = _filename(part)
    # Read from the raw field: policy.default's parser of it fails on hostile parameters ("filename*").
    disposition = (raw_header(part, "Content-Disposition") or "").split(";")[0].strip().lower()
    if content_type in BODY_TYPES and not filename and disposition != "attachment":
        if readable:
            texts.append(body_text(part, content_type))
    elif content_type not in SIGNATURE_TYPES:
        content_id = message_ids(raw_header(part, "Content-ID"))
        cid = content_id[0] if content_id else None
        if isinstance(part, SpooledPart) and part.decoded is not None:
            files.append(MailAttachment(filename, content_type, part.decoded.seek(0, 2), cid, b"", part.decoded))
        else:
            data = payload_bytes(part)
            files.append(MailAttachment(filename, content_type, len(data), cid, data))


def _preferred(children: list[Message]) -> Message | None:
    """The alternative to read: the first non-empty text/plain, else the last (richest) one."""
    for child in children:
        if child.get_content_type() == "text/plain" and body_text(child, "text/plain").strip():
            return child
    return children[-1] if children else None


def body_text(part: Message, content_type: str) -> str:
    """A text/plain or text/html part as text with "\\n" line ends; HTML labelled by <meta> when MIME is silent."""
    data = payload_bytes(part)
    charset = header_param(part, "content-type", "charset") or None
    if content_type == "text/html":
        if not charset and (meta := _META_CHARSET.search(data, 0, 4096)):
            charset = meta[1].decode("ascii")
        return html_to_text(decode_bytes(data, charset))
    return decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")


def payload_bytes(part: Message) -> bytes:
    """The decoded payload; base64 straight from the parsed text, without get_payload's extra copies."""
    if isinstance(part, SpooledPart) and part.decoded is not None:
        part.decoded.seek(0)
        return part.decoded.read()
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        try:
            # 8-bit bytes come back decoded with the charset parameter, which can fail: bytes that
            # are not ASCII are not base64 either, and the stdlib's lenient decoder below takes them.
            payload = part.get_payload()
        except (ValueError, LookupError):
            payload = None
        if isinstance(payload, str):
            # Decoded as a diverted body is (bodies.py); get_payload(decode=True) would hand bad base64 back raw.
            return lenient_base64(payload)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _with_guessed_boundary(part: Message) -> Message | None:
    """A multipart sent without its boundary parameter, read again with the delimiter its body opens with."""
    # Through payload_bytes: get_payload() without decode=True decodes 8-bit bytes with the charset parameter.
    payload = payload_bytes(part).decode("ascii", "surrogateescape")
    first = payload.lstrip("\r\n").split("\n", 1)[0].strip()
    if not _DELIMITER.fullmatch(first):
        return None
    parser = FeedParser(policy=PARSE_POLICY)
    parser.feed(f'Content-Type: {part.get_content_type()}; boundary="{first[2:]}"\n\n')
    parser.feed(payload)
    guessed = parser.close()
    return guessed if guessed.is_multipart() else None


def _filename(part: Message) -> str:
    name = header_param(part, "content-disposition", "filename") or header_param(part, "content-type", "name")
    return safe_filename(name)


def _attached_message(part: Message) -> list[MailAttachment]:
    """An attached mail as an .eml file; a malformed one is left out rather than bouncing the customer's mail."""
    inner = part.get_payload(0)  # a message/rfc822 part's payload is the one message it holds
    if not isinstance(inner, Message) or (data := as_sent(inner)) is None:
        return []
    name = _filename(part) or safe_filename(f"{header_text(inner, 'Subject') or 'message'}.eml")
    return [MailAttachment(name, part.get_content_type(), len(data), None, data)]


def as_sent(msg: Message) -> bytes | None:
    """A parsed message written back as it came, or None when the standard library cannot write it."""
    try:
        return msg.as_bytes(policy=AS_SENT)
    except (ValueError, TypeError, LookupError):  # 8-bit multipart bodies, parameters decode_params cannot sort
        return None
