"""What an uploaded file may be (pure): allowed types, their magic bytes, names that agree with them."""

import re
import unicodedata

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
INLINE = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}
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
