"""`GET /v1/conversations/{id}/attachments/{message_id}/{index}`: a file a message carries, to the
agents who may see the conversation.

A customer's file stays with the adapter of its channel (DESIGN.md rule 3: no service reads
another's tables): this route checks the caller as the conversation detail does, fetches the
bytes from the owner at a one-minute signed link (shared/filelinks.py) and serves them with the
same safety headers as agents' files. Files agents sent are the agent API's own.
"""

import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp
import msgspec
from aiohttp import web

from contracts import EMAIL_ATTACHMENT_REF, WECHAT_MEDIA_REF
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.file_routes import file_response
from services.agent_api.queries import conversations as queries
from shared import filelinks
from shared.config import Settings
from shared.filetypes import ALLOWED, MEDIA_EXTENSIONS, safe_name, usual_extension
from shared.http import ApiError

FETCH_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
SERVABLE = ALLOWED | MEDIA_EXTENSIONS.keys()
PASSED_ON = frozenset({404, 410, 413, 415, 503})
"""The owner's refusals an agent is told as they are; anything else is the owner failing (502)."""


def owner_url(settings: Settings, ref: str) -> str | None:
    """Where the service holding `ref` serves it (unsigned), or None when no service of ours holds it."""
    if ref.startswith(WECHAT_MEDIA_REF):
        return f"{settings.wechat_internal_url}/media/{quote(ref.removeprefix(WECHAT_MEDIA_REF), safe='')}"
    if ref.startswith(EMAIL_ATTACHMENT_REF):
        return f"{settings.email_internal_url}/attachments/{quote(ref.removeprefix(EMAIL_ATTACHMENT_REF), safe='')}"
    return None


def own_file_key(settings: Settings, ref: str) -> str | None:
    """The key of a file an agent uploaded, when `ref` is its customer link."""
    prefix = f"{settings.agent_api_public_url}/files/"
    return ref.removeprefix(prefix).split("/", 1)[0] if ref.startswith(prefix) else None


def servable(settings: Settings, ref: str, kind: str = "") -> bool:
    """Whether some service of ours holds the file (a WeChat `file` message's FileKey names nothing
    WeChat's media API gives out)."""
    if kind == "file" and ref.startswith(WECHAT_MEDIA_REF):
        return False
    return owner_url(settings, ref) is not None or own_file_key(settings, ref) is not None


def attachment_path(conversation_id: str, message_id: str, index: int) -> str:
    return f"/v1/conversations/{conversation_id}/attachments/{message_id}/{index}"


def listed(settings: Settings, conversation_id: str, message: dict, attachments: list[dict]) -> list[dict]:
    """A message's attachments as the detail lists them: where to read each, and a voice's transcript."""
    for index, attachment in enumerate(attachments):
        ref = attachment.get("ref", "")
        held = servable(settings, ref, message["kind"])
        attachment["url"] = attachment_path(conversation_id, message["id"], index) if held else None
        if message["kind"] == "voice":
            attachment["transcript"] = message["text"]  # WeChat's recognition, masked like the text
    return attachments


async def serve(request: web.Request) -> web.Response:
    pool, settings = AgentDeps.of(request).pool, AgentDeps.of(request).settings
    conversation = await queries.visible_conversation(pool, request[AGENT], request.match_info["id"])
    message_id = queries.parse_id(request.match_info["message_id"], "attachment")
    index = request.match_info["index"]
    found = await pool.fetchval(
        "SELECT attachments::text FROM messages WHERE id = $1 AND conversation_id = $2",
        message_id,
        uuid.UUID(conversation["id"]),
    )
    attachments = msgspec.json.decode(found) if found else []
    if not (index.isascii() and index.isdigit() and len(index) <= 3 and int(index) < len(attachments)):
        raise ApiError(404, "not_found", "No such attachment.")
    attachment = attachments[int(index)]
    ref = attachment.get("ref", "")
    if (key := own_file_key(settings, ref)) is not None:
        row = await pool.fetchrow("SELECT name, content_type, body FROM files WHERE key = $1", key[:64])
        if row is None:
            raise ApiError(404, "not_found", "No such attachment.")
        return file_response(row["name"], row["content_type"], row["body"])
    if (url := owner_url(settings, ref)) is None:
        raise ApiError(404, "not_stored", "This attachment is a link; Relaydesk holds no copy of it.")
    kind, body = await _fetch(AgentDeps.of(request).client, settings, url, ref)
    name = safe_name(attachment.get("name") or f"attachment{usual_extension(kind)}")
    return file_response(name, kind, body)


async def _fetch(client: aiohttp.ClientSession, settings: Settings, url: str, ref: str) -> tuple[str, bytes]:
    """(type, bytes) from the owner; its refusal passed on, its failure a 502."""
    query = filelinks.internal_query(settings.file_link_secret, ref, datetime.now(UTC))
    limit = max(settings.agent_api_max_upload, settings.email_max_size)
    try:
        async with client.get(url, params=query, allow_redirects=False) as response:
            if response.status != 200:
                await _refused(response)
            body = bytearray()
            async for piece in response.content.iter_chunked(64 * 1024):
                body += piece
                if len(body) > limit:
                    raise ApiError(502, "attachment_unavailable", "The attachment's holder sent too much.")
            kind = response.content_type if response.content_type in SERVABLE else "application/octet-stream"
            return kind, bytes(body)
    except (aiohttp.ClientError, TimeoutError):
        raise ApiError(502, "attachment_unavailable", "The service holding this attachment did not answer.") from None


async def _refused(response: aiohttp.ClientResponse) -> None:
    if response.status not in PASSED_ON:
        raise ApiError(
            502, "attachment_unavailable", f"The service holding this attachment answered {response.status}."
        )
    try:
        error = msgspec.json.decode(await response.content.read(4096))["error"]
        code, message = str(error["code"])[:64], str(error["message"])[:300]
    except (msgspec.DecodeError, KeyError, TypeError):
        code, message = "not_found", "No such attachment."
    raise ApiError(response.status, code, message)


async def _client(app: web.Application):
    deps = AgentDeps.of(app)
    deps.client = aiohttp.ClientSession(timeout=FETCH_TIMEOUT)
    yield
    await deps.client.close()


def register(app: web.Application) -> None:
    app.router.add_get("/v1/conversations/{id}/attachments/{message_id}/{index}", serve)
    app.cleanup_ctx.append(_client)
