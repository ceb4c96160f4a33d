"""Files agents send with replies: uploaded once, kept in PostgreSQL, served at a capability URL.

`POST /v1/files` takes the file as the raw body (with `Content-Type` and `?name=`) or as
multipart/form-data. The answer's `id` goes into a reply's `attachments`; the `url` is what
the customer's channel gets (an image uploaded to WeChat, a link by SMS). The URL's key is
128 random bits, so every replica can serve it without a session and nobody can guess one.
"""

import hashlib
import re
import secrets
import unicodedata
import uuid
from urllib.parse import quote

import asyncpg
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from contracts import Attachment
from services.agent_api.auth import AGENT
from shared.http import POOL, SETTINGS, ApiError, json_response

CHUNK = 64 * 1024
SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
"""Types a browser would render: the bytes must be what the label says."""
ALLOWED = {
    *SIGNATURES,
    "image/webp",
    "text/plain",
    "text/csv",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
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


def file_url(public_url: str, key: str, name: str) -> str:
    return f"{public_url}/files/{key}/{quote(name)}"


async def _read_capped(read, limit: int) -> bytes:
    """Everything `read(n)` gives until it is empty; 413 as soon as it passes `limit`."""
    body = bytearray()
    while chunk := await read(CHUNK):
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "file_too_large", f"Files are limited to {limit} bytes.")
    return bytes(body)


async def _incoming(request: web.Request, limit: int) -> tuple[str, str, bytes]:
    """(name, declared content type, bytes) from a raw or multipart upload."""
    if request.content_type == "multipart/form-data":
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.filename:
                    kind = part.headers.get("Content-Type", "application/octet-stream")
                    return part.filename, kind, await _read_capped(part.read_chunk, limit)
        except (ValueError, LookupError, HttpProcessingError) as exc:  # aiohttp's reader refusing a broken form
            raise ApiError(400, "invalid_form", f"The multipart form cannot be read: {exc}") from None
        raise ApiError(422, "invalid_request", "The form has no file part.")
    body = await _read_capped(request.content.read, limit)
    return request.query.get("name", ""), request.headers.get("Content-Type", ""), body


async def upload(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    name, declared, body = await _incoming(request, settings.agent_api_max_upload)
    if not body:
        raise ApiError(422, "invalid_request", "The file is empty.")
    kind, name = checked_type(declared, body[:16]), safe_name(name)
    file_id, key = uuid.uuid4(), secrets.token_urlsafe(16)
    await request.app[POOL].execute(
        "INSERT INTO files (id, key, name, content_type, size, sha256, body, uploaded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        file_id,
        key,
        name,
        kind,
        len(body),
        hashlib.sha256(body).digest(),
        body,
        uuid.UUID(request[AGENT].id),
    )
    url = file_url(settings.agent_api_public_url, key, name)
    return json_response({"id": str(file_id), "name": name, "content_type": kind, "size": len(body), "url": url}, 201)


async def attachments(
    pool: asyncpg.Pool, public_url: str, agent_id: str, file_ids: list[uuid.UUID]
) -> tuple[Attachment, ...]:
    """The caller's uploaded files as attachments to send, in the order named; 422 for any other id."""
    rows = {
        row["id"]: row
        for row in await pool.fetch(
            "SELECT id, key, name, content_type, size FROM files WHERE id = ANY($1::uuid[]) AND uploaded_by = $2",
            file_ids,
            uuid.UUID(agent_id),
        )
    }
    if missing := [str(file_id) for file_id in file_ids if file_id not in rows]:
        raise ApiError(422, "unknown_file", f"No file you uploaded has the id {missing[0]}.")
    return tuple(
        Attachment(
            ref=file_url(public_url, row["key"], row["name"]),
            content_type=row["content_type"],
            name=row["name"],
            size=row["size"],
        )
        for row in (rows[file_id] for file_id in file_ids)
    )


async def serve(request: web.Request) -> web.Response:
    """`GET /files/{key}/{name}`: the file, to whoever holds its URL."""
    row = await request.app[POOL].fetchrow(
        "SELECT name, content_type, body FROM files WHERE key = $1", request.match_info["key"][:64]
    )
    if row is None or row["name"] != request.match_info["name"]:
        raise ApiError(404, "not_found", "No such file.")
    disposition = "inline" if row["content_type"] in INLINE else "attachment"
    ascii_name = row["name"].encode("ascii", "replace").decode().replace("?", "_")
    return web.Response(
        body=row["body"],
        content_type=row["content_type"],
        headers={
            "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row['name'])}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=86400",
        },
    )


def register(app: web.Application) -> None:
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/files/{key}/{name}", serve)
