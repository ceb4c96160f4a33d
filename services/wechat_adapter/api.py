"""WeChat's HTTP API over aiohttp: tokens, customer-service and template sends, media up and down.

wechatpy's own client is synchronous; this one shares the service's event loop. The base
URL is configurable so tests point it at a local stand-in.
"""

import aiohttp
import msgspec

TIMEOUT = aiohttp.ClientTimeout(total=10)
_encoder = msgspec.json.Encoder()
TOO_LARGE = -3
"""Our own errcode: the media is larger than we keep."""


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode (or not with JSON at all: errcode -2)."""

    def __init__(self, errcode: int, errmsg: str):
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class WeChatApi:
    """One client session for every account; the access token is passed per call."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or aiohttp.ClientSession(timeout=TIMEOUT)

    async def close(self) -> None:
        await self.session.close()

    async def fetch_token(self, app_id: str, app_secret: str) -> tuple[str, int]:
        """A new access token and its lifetime in seconds."""
        params = {"grant_type": "client_credential", "appid": app_id, "secret": app_secret}
        async with self.session.get(f"{self.base_url}/cgi-bin/token", params=params) as response:
            body = await _answer(response)
        return body["access_token"], int(body.get("expires_in", 7200))

    async def send_custom(self, token: str, message: dict) -> None:
        """A customer-service message (allowed within 48 h of the customer's last message)."""
        await self._post_json("/cgi-bin/message/custom/send", token, message)

    async def send_template(self, token: str, message: dict) -> int:
        body = await self._post_json("/cgi-bin/message/template/send", token, message)
        return int(body.get("msgid", 0))

    async def upload_media(self, token: str, kind: str, name: str, data: bytes, content_type: str) -> str:
        """Upload temporary media (3 days on WeChat's side); return its media_id."""
        form = aiohttp.FormData()
        form.add_field("media", data, filename=name, content_type=content_type)
        url = f"{self.base_url}/cgi-bin/media/upload"
        async with self.session.post(url, params={"access_token": token, "type": kind}, data=form) as response:
            body = await _answer(response)
        return body["media_id"]

    async def get_media(self, token: str, media_id: str, limit: int) -> bytes:
        """Temporary media a customer sent (kept 3 days by WeChat); WeChatError(TOO_LARGE) past `limit` bytes."""
        url = f"{self.base_url}/cgi-bin/media/get"
        async with self.session.get(url, params={"access_token": token, "media_id": media_id}) as response:
            if _is_json(response):  # an error, or a video's download address
                body = await _answer(response)
                if not isinstance(video := body.get("video_url"), str) or not video.startswith("http"):
                    raise WeChatError(-2, "media answer has neither bytes nor a video_url")
                return await self._download(video, limit)
            return await _capped(response, limit)

    async def _download(self, url: str, limit: int) -> bytes:
        async with self.session.get(url) as response:
            if response.status != 200:
                raise WeChatError(-1, f"HTTP {response.status} for the video")
            return await _capped(response, limit)

    async def _post_json(self, path: str, token: str, message: dict) -> dict:
        # Raw UTF-8 JSON: WeChat shows \u-escaped Chinese literally in some clients.
        async with self.session.post(
            f"{self.base_url}{path}",
            params={"access_token": token},
            data=_encoder.encode(message),
            headers={"Content-Type": "application/json; charset=utf-8"},
        ) as response:
            return await _answer(response)


def _is_json(response: aiohttp.ClientResponse) -> bool:
    return response.status >= 400 or response.content_type in ("application/json", "text/plain")


async def _capped(response: aiohttp.ClientResponse, limit: int) -> bytes:
    data = bytearray()
    async for piece in response.content.iter_chunked(64 * 1024):
        data += piece
        if len(data) > limit:  # stop reading: the rest never reaches memory
            raise WeChatError(TOO_LARGE, f"media over {limit} bytes")
    return bytes(data)


async def _answer(response: aiohttp.ClientResponse) -> dict:
    if response.status >= 500:
        raise WeChatError(-1, f"HTTP {response.status}")
    try:
        body = msgspec.json.decode(await response.read())
    except msgspec.DecodeError:
        raise WeChatError(-2, f"HTTP {response.status}: not JSON") from None
    if not isinstance(body, dict):
        raise WeChatError(-2, "answer is not a JSON object")
    if body.get("errcode", 0) != 0:
        raise WeChatError(int(body["errcode"]), str(body.get("errmsg", "")))
    return body
