"""Files agents send with replies: uploaded once, kept in PostgreSQL, served to customers at an
expiring signed link and to agents at an authenticated route.

`POST /v1/files` takes the file as the raw body (with `Content-Type` and `?name=`) or as
multipart/form-data. The answer's `id` goes into a reply's `attachments`; the `url` is what
the customer's channel gets (an image uploaded to WeChat, a link by SMS): its key is 128 random
bits and it is signed with an expiry (shared/filelinks.py), so every replica can serve it without
a session, nobody can guess one and none works forever. Agents read a file at `GET /v1/files/{id}`.
"""

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from contracts import Attachment
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.queries import conversations as queries
from shared import filelinks
from shared.config import Settings
from shared.filetypes import agreeing_name, checked_type, safe_headers, safe_name
from shared.http import ApiError, json_response

CHUNK = 64 * 1024
LINK_REFUSALS = {
    "invalid_link": (403, "This file link is not valid."),
    "link_expired": (410, "This file link has expired; ask us to send the file again."),
}


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


async def _store(conn: asyncpg.Connection, settings: Settings, agent_id: uuid.UUID, row: tuple) -> None:
    """Insert the file unless it takes the agent past their quota for the last 24 hours (429)."""
    # One upload per agent at a time, so two concurrent ones cannot both fit under the quota.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(agent_id))
    used = await conn.fetchval(
        "SELECT coalesce(sum(size), 0) FROM files WHERE uploaded_by = $1 AND created_at > now() - interval '1 day'",
        agent_id,
    )
    if used + row[4] > settings.agent_api_upload_quota:
        raise ApiError(
            429,
            "upload_quota_exceeded",
            f"You may upload {settings.agent_api_upload_quota} bytes in 24 hours; {used} are used.",
        )
    await conn.execute(
        "INSERT INTO files (id, key, name, content_type, size, sha256, body, uploaded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        *row,
        agent_id,
    )


async def upload(request: web.Request) -> web.Response:
    settings = AgentDeps.of(request).settings
    name, declared, body = await _incoming(request, settings.agent_api_max_upload)
    if not body:
        raise ApiError(422, "invalid_request", "The file is empty.")
    kind = checked_type(declared, body[:16])
    name = agreeing_name(safe_name(name), kind)
    file_id, key = uuid.uuid4(), secrets.token_urlsafe(16)
    row = (file_id, key, name, kind, len(body), hashlib.sha256(body).digest(), body)
    async with AgentDeps.of(request).uow() as uow:
        conn = uow.conn
        await _store(conn, settings, uuid.UUID(request[AGENT].id), row)
    url = filelinks.file_link(settings, key, name, datetime.now(UTC))
    return json_response({"id": str(file_id), "name": name, "content_type": kind, "size": len(body), "url": url}, 201)


async def attachments(
    pool: asyncpg.Pool, settings: Settings, agent_id: str, file_ids: list[uuid.UUID]
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
    now = datetime.now(UTC)
    return tuple(
        Attachment(
            ref=filelinks.file_link(settings, row["key"], row["name"], now),
            content_type=row["content_type"],
            name=row["name"],
            size=row["size"],
        )
        for row in (rows[file_id] for file_id in file_ids)
    )


def _file_response(row: asyncpg.Record) -> web.Response:
    """The file with headers that stop a browser running or sniffing it, for customers and agents alike."""
    return file_response(row["name"], row["content_type"], row["body"])


def file_response(name: str, content_type: str, body: bytes) -> web.Response:
    return web.Response(body=body, content_type=content_type, headers=safe_headers(name, content_type))


async def serve(request: web.Request) -> web.Response:
    """`GET /files/{key}/{name}?expires=&sig=`: the file, to whoever holds a current signed link."""
    key, name = request.match_info["key"][:64], request.match_info["name"]
    query, now = request.query, datetime.now(UTC)
    secret = AgentDeps.of(request).settings.file_link_secret
    if refused := filelinks.refusal(secret, key, name, query.get("expires", ""), query.get("sig", ""), now):
        raise ApiError(LINK_REFUSALS[refused][0], refused, LINK_REFUSALS[refused][1])
    row = await AgentDeps.of(request).pool.fetchrow("SELECT name, content_type, body FROM files WHERE key = $1", key)
    if row is None or row["name"] != name:
        raise ApiError(404, "not_found", "No such file.")
    return _file_response(row)


async def serve_to_agent(request: web.Request) -> web.Response:
    """`GET /v1/files/{id}`: a file, to the agent who uploaded it or a supervisor."""
    agent = request[AGENT]
    row = await AgentDeps.of(request).pool.fetchrow(
        "SELECT name, content_type, body FROM files WHERE id = $1 AND ($2 OR uploaded_by = $3)",
        queries.parse_id(request.match_info["id"], "file"),
        agent.is_supervisor,
        uuid.UUID(agent.id),
    )
    if row is None:
        raise ApiError(404, "not_found", "No such file.")
    return _file_response(row)


def register(app: web.Application) -> None:
    app.router.add_post("/v1/files", upload)
    app.router.add_get("/v1/files/{id}", serve_to_agent)
    app.router.add_get("/files/{key}/{name}", serve)
