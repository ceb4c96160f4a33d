"""`GET /media/{media_id}?expires=&sig=`: a customer's WeChat media, to the agent API's signed link only.

The adapter owns the bytes; the agent API checks who may see the conversation and signs a link
valid for a minute (shared/filelinks.py), so this route needs no session and no other table.
"""

from datetime import UTC, datetime

from aiohttp import web

from services.wechat_adapter.deps import WeChatDeps
from services.wechat_adapter.normalize import MEDIA_PREFIX
from shared import filelinks
from shared.filetypes import safe_headers, usual_extension
from shared.http import ApiError

MAX_MEDIA_ID = 256


async def serve(request: web.Request) -> web.Response:
    media_id = request.match_info["media_id"]
    if len(media_id) > MAX_MEDIA_ID:
        raise ApiError(404, "not_found", "No such media.")
    query, secret = request.query, WeChatDeps.of(request).settings.file_link_secret
    ref = MEDIA_PREFIX + media_id
    if refused := filelinks.refusal(secret, ref, "", query.get("expires", ""), query.get("sig", ""), datetime.now(UTC)):
        raise ApiError(403 if refused == "invalid_link" else 410, refused, "This media link is not valid.")
    content_type, body = await WeChatDeps.of(request).media.read(media_id)
    name = f"wechat-media{usual_extension(content_type)}"
    return web.Response(body=body, content_type=content_type, headers=safe_headers(name, content_type))
