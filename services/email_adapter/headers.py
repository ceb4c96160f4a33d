"""Header values read as sent (pure), then decoded by our charset rules instead of their labels'."""

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from services.email_adapter.charsets import decode_bytes, decode_header, decode_raw, unfold

_MESSAGE_ID = re.compile(r"<([^<>]+)>")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f]+")
MAX_FILENAME = 255


# policy.default decodes RFC 2047 words and RFC 2231 parameters with the charset they are labelled
# with, which turns the GBK-only characters of a "gb2312" subject or file name into U+FFFD or
# surrogates: values are taken as sent and decoded by `charsets` (GB labels read as GB18030).


def raw_header(msg: Message, name: str) -> str | None:
    """The first `name` field exactly as sent, unfolded; 8-bit bytes kept as surrogates."""
    return next(iter(raw_headers(msg, name)), None)


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every `name` field as sent, unfolded, in order."""
    # raw_items() is what the generator writes mail back out from: the source text, undecoded.
    wanted = name.lower()
    return [unfold(str(value)) for field, value in msg.raw_items() if field.lower() == wanted]


def header_text(msg: Message, name: str) -> str:
    """The first `name` field as text, RFC 2047 words and raw 8-bit bytes decoded; "" when absent."""
    raw = raw_header(msg, name)
    return decode_header(raw) if raw is not None else ""


def message_ids(value: str | None) -> tuple[str, ...]:
    """The `<id>`s in a Message-ID, In-Reply-To or References value, without brackets."""
    value = decode_raw(value or "")
    ids = tuple(found.strip() for found in _MESSAGE_ID.findall(value) if found.strip())
    if not ids and value and len(bare := value.strip().split()) == 1:
        return (bare[0],)  # a bracketless id, as some mailers write it
    return ids


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) for each address in the given address fields."""
    found = []
    for name, address in getaddresses(values):
        if address := decode_raw(address).strip().lower():
            found.append((decode_header(name), address))
    return found


def header_date(value: str | None) -> datetime | None:
    """An aware datetime for a Date value ("-0000", unknown local zone, is taken as UTC), or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def header_param(msg: Message, header: str, name: str) -> str:
    """A parameter of a MIME field as text: RFC 2231 (with its charset) or RFC 2047 decoded; "" if absent."""
    raw = raw_header(msg, header)
    if not raw:
        return ""
    holder = Message()  # compat32 returns parameters as sent: RFC 2231 bytes with their charset
    holder[header] = raw
    try:
        value = holder.get_param(name, header=header)
    except TypeError:  # "name*=" beside "name*0*=": the stdlib sorts the pieces and compares None with 0
        return ""
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            return decode_bytes(text.encode("latin-1", "surrogateescape"), charset or None)
        except UnicodeEncodeError:
            return text
    return decode_header(value) if isinstance(value, str) else ""


def safe_filename(name: str) -> str:
    """A file name without directories or control characters, at most MAX_FILENAME characters."""
    base = _UNSAFE_NAME.sub("", name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "" if base in (".", "..") else base[:MAX_FILENAME]
