"""Mail bytes and RFC 2047 words to text (pure): unknown or lying charsets fall back, never raise."""

import base64
import binascii
import codecs
import re

_GB = (
    "gb2312",
    "gbk",
    "cp936",
    "ms936",
    "windows-936",
    "x-gbk",
    "euc-cn",
    "x-euc-cn",
    "csgb2312",
    "gb_2312-80",
    "gb_2312",
    "chinese",
    "iso-ir-58",
    "gb18030",
)
_BIG5 = ("big5", "big-5", "x-big5", "cn-big5", "csbig5", "big5-hkscs", "big5hkscs", "cp950", "x-x-big5")
_LATIN1 = ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819", "windows-1252")
CANDIDATES: dict[str, tuple[str, ...]] = {
    # GB2312/GBK labels often carry GBK-only characters; GB18030 is their superset (PROTOCOLS.md).
    **dict.fromkeys(_GB, ("gb18030",)),
    # Taiwanese and Hong Kong clients label Microsoft's and HKSCS's extensions plain "big5".
    **dict.fromkeys(_BIG5, ("big5hkscs", "cp950")),
    # Mail labelled Latin-1 routinely holds Windows-1252 quotes and dashes in 0x80-0x9F.
    **dict.fromkeys(_LATIN1, ("cp1252", "latin-1")),
    "us-ascii": (),
    "ascii": (),
    "unknown-8bit": (),
    "x-unknown": (),
    "default": (),
}
FALLBACKS = ("utf-8", "gb18030")
"""UTF-8 first because valid UTF-8 is rarely an accident; GB18030 because our customers write Chinese."""
_LABEL = re.compile(r"[a-z0-9][a-z0-9._:-]{0,39}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NOT_CHARSETS = {"unicode-escape", "raw-unicode-escape"}
"""Python's escape codecs: no mail is written in them, and they decode to lone surrogates and warn."""
_FOLD = re.compile(r"\r?\n(?=[ \t])|[\r\n]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def decode_bytes(data: bytes, label: str | None = None) -> str:
    """`data` as text: its declared charset, then UTF-8, then GB18030, then UTF-8 with replacement."""
    for codec in dict.fromkeys((*_candidates(label), *FALLBACKS)):
        try:
            text = data.decode(codec)
        except (LookupError, ValueError):  # unknown label, non-text codec, or bytes it cannot decode
            continue
        if codec == "utf-7" and _SURROGATE.search(text):  # UTF-7 can spell lone surrogates
            continue
        return text
    return data.decode("utf-8", "replace")


def _candidates(label: str | None) -> tuple[str, ...]:
    name = (label or "").strip().strip("\"'").lower()
    if name in CANDIDATES:
        return CANDIDATES[name]
    if not _LABEL.fullmatch(name):
        return ()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return ()
    return () if name in _NOT_CHARSETS else CANDIDATES.get(name, (name,))


def raw_bytes(text: str) -> bytes:
    """The bytes behind a parsed header or parameter: the parser keeps 8-bit bytes as surrogates."""
    return text.encode("utf-8", "surrogateescape")


def decode_raw(value: str) -> str:
    """A value the parser kept with its 8-bit bytes as surrogates (an id, an address), decoded as text."""
    return value if value.isascii() else decode_bytes(raw_bytes(value))


def unfold(value: str) -> str:
    """A header value on one line (RFC 5322 unfolding)."""
    return _FOLD.sub("", value)


def decode_header(value: str) -> str:
    """A raw header value as text: RFC 2047 words decoded, raw 8-bit bytes decoded, malformed words kept."""
    chunks: list[tuple[bytes, str | None]] = []
    pos = 0
    for word in _ENCODED_WORD.finditer(value := unfold(value)):
        data = _word_bytes(word[2], word[3])
        if data is None:
            continue  # left in place: a malformed word is shown as it was written
        between = value[pos : word.start()]
        charset = word[1].split("*")[0].lower()  # RFC 2231 adds "*language" to the charset
        previous = chunks[-1] if chunks else (b"", None)
        if previous[1] is None or between.strip():
            if between:
                chunks.append((raw_bytes(between), None))
            chunks.append((data, charset))
        elif previous[1] == charset:
            # Clients split multi-byte characters across adjacent words: join before decoding.
            chunks[-1] = (previous[0] + data, charset)
        else:
            chunks.append((data, charset))  # whitespace between encoded words is not text (RFC 2047 6.2)
        pos = word.end()
    if pos < len(value):
        chunks.append((raw_bytes(value[pos:]), None))
    return "".join(decode_bytes(data, charset) for data, charset in chunks).strip()


def _word_bytes(encoding: str, text: str) -> bytes | None:
    data = raw_bytes(text)
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    data = _NOT_BASE64.sub(b"", data)
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except binascii.Error:  # a length no padding can repair
        return None
