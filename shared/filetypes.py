"""What a file may be (pure): allowed types, their magic bytes, names that agree with them.

Agents' uploads and customers' media (fetched by the channel adapters) pass the same checks.
"""

import re
import unicodedata
from urllib.parse import quote

from shared.http import ApiError

SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
"""Types a browser would render: the bytes must be what the label says."""
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "application/pdf": (".pdf",),
    "image/webp": (".webp",),
    "text/plain": (".txt", ".log"),
    "text/csv": (".csv",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}
"""The allowed types and the extensions a file of each may carry, the usual one first."""
ALLOWED = frozenset(EXTENSIONS)
MEDIA_EXTENSIONS = {
    "audio/amr": (".amr",),
    "audio/ogg": (".ogg", ".spx"),
    "audio/mpeg": (".mp3",),
    "video/mp4": (".mp4",),
}
"""Customer media a channel sends besides the upload types: voice (AMR, Ogg Speex, our MP3) and video."""
INLINE = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
    "audio/mpeg",
    "audio/ogg",
    "video/mp4",
}
UNSAFE_NAME = re.compile(r"[^\w.\-]+")


def safe_name(name: str) -> str:
    """A file name fit for a URL path and a header: no directories, no control or odd characters."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = UNSAFE_NAME.sub("_", base).strip("._")[:100]
    return cleaned or "file"


def checked_type(content_type: str, head: bytes) -> str:
    """The content type, if allowed and (for renderable types) matching the bytes; else 415."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ALLOWED:
        raise ApiError(415, "unsupported_file_type", f"Files of type '{kind or 'unknown'}' cannot be sent.")
    if kind == "image/webp":
        ok = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    else:
        ok = head.startswith(SIGNATURES.get(kind, (b"",)))
    if not ok:
        raise ApiError(415, "file_type_mismatch", f"The file's bytes are not a {kind}.")
    return kind


def agreeing_name(name: str, kind: str) -> str:
    """`name` (already safe) if its extension is one of `kind`'s, with the usual one added if it has
    none; 415 if it names another: the customer's system opens a download by its extension, not by
    our Content-Type, so `x.html` sent as text/plain would open in a browser."""
    stem, dot, extension = name.rpartition(".")
    allowed = EXTENSIONS[kind]
    if not dot or not stem:
        return f"{name}{allowed[0]}"[:104]
    if f".{extension.lower()}" in allowed:
        return name
    raise ApiError(
        415,
        "file_name_mismatch",
        f"A {kind} file cannot be named '.{extension}'; name it {' or '.join(allowed)} (e.g. {name}{allowed[0]}).",
    )


def sniffed_media_type(head: bytes) -> str | None:
    """The type customer media's first bytes show, among the ones we keep; None for anything else.

    A channel's own label is not trusted: WeChat says image/jpeg for whatever it stored."""
    for kind, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"#!AMR\n"):
        return "audio/amr"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


def usual_extension(kind: str) -> str:
    """The extension a file of `kind` is named with (".bin" for none we know)."""
    return (EXTENSIONS.get(kind) or MEDIA_EXTENSIONS.get(kind) or (".bin",))[0]


def safe_headers(name: str, content_type: str) -> dict[str, str]:
    """Headers that stop a browser running or sniffing a file we serve, whoever it is for."""
    disposition = "inline" if content_type in INLINE else "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return {
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=86400",
    }
