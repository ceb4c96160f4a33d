"""`GET /attachments/{id}?expires=&sig=`: a file a customer mailed, to the agent API's signed link only.

The email adapter owns `email_attachments`; the agent API checks who may see the conversation and
signs a link valid for a minute (shared/filelinks.py), so this route needs no session.
"""

import uuid
from datetime import UTC, datetime

from aiohttp import web

from services.email_adapter.deps import EmailDeps
from services.email_adapter.normalize import ATTACHMENT_PREFIX
from shared import filelinks
from shared.filetypes import ALLOWED, SIGNATURES, safe_headers, sniffed_media_type
from shared.http import ApiError


async def serve(request: web.Request) -> web.Response:
    raw_id, query = request.match_info["id"], request.query
    secret = EmailDeps.of(request).settings.file_link_secret
    ref = ATTACHMENT_PREFIX + raw_id
    if refused := filelinks.refusal(secret, ref, "", query.get("expires", ""), query.get("sig", ""), datetime.now(UTC)):
        raise ApiError(403 if refused == "invalid_link" else 410, refused, "This attachment link is not valid.")
    try:
        attachment_id = uuid.UUID(raw_id)
    except ValueError:
        raise ApiError(404, "not_found", "No such attachment.") from None
    row = await EmailDeps.of(request).pool.fetchrow(
        "SELECT filename, content_type, data FROM email_attachments WHERE id = $1", attachment_id
    )
    if row is None:
        raise ApiError(404, "not_found", "No such attachment.")
    kind = served_type(row["content_type"], row["data"][:16])
    return web.Response(body=row["data"], content_type=kind, headers=safe_headers(row["filename"], kind))


def served_type(declared: str, head: bytes) -> str:
    """The type a mailed file is served as: what its bytes show, else its label if it is one we allow
    and a browser would not render, else a download (application/octet-stream)."""
    if sniffed := sniffed_media_type(head):
        return sniffed
    declared = declared.split(";", 1)[0].strip().lower()
    # Renderable types (images, PDF) only when their bytes said so, above; the rest are downloads.
    return declared if declared in ALLOWED and declared not in SIGNATURES else "application/octet-stream"
