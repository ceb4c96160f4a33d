"""A local stand-in for an SMS provider: Twilio's Messages API and a generic JSON API.

It checks credentials and numbers like the real ones, answers with injected failures in
order (a status code and body each), and sends status callbacks signed as the provider
would, to the callback URL each message named.
"""

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import msgspec
from aiohttp import web
from twilio.request_validator import RequestValidator

from services.sms_adapter.providers import Generic
from tests.support import free_port, serve_app

ACCOUNT_SID, AUTH_TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-test-auth-token"
GENERIC_SECRET = "generic-provider-secret-1234"


@dataclass
class Sent:
    sid: str
    to: str
    sender: str
    text: str
    callback: str


class SmsProviderStandIn:
    def __init__(self) -> None:
        self.port = free_port()
        self.sent: list[Sent] = []
        self.attempts = 0
        self.failures: list[tuple[int, dict]] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.generic = Generic(GENERIC_SECRET, "")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "SmsProviderStandIn":
        app = web.Application()
        app.router.add_post(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", self.twilio_send)
        app.router.add_post("/messages", self.generic_send)
        self.runner = await serve_app(app, self.port)
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()

    def fail_next(self, status: int, body: dict) -> None:
        self.failures.append((status, body))

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[Sent]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.sent) >= count), timeout)
        return self.sent

    async def _record(self, sent: Sent) -> None:
        async with self._arrived:
            self.sent.append(sent)
            self._arrived.notify_all()

    async def twilio_send(self, request: web.Request) -> web.Response:
        self.attempts += 1
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        if self.failures:
            status, body = self.failures.pop(0)
            return web.json_response(body, status=status)
        form = await request.post()
        if not str(form.get("To", "")).startswith("+"):
            return web.json_response(
                {"code": 21211, "message": "The 'To' number is not a valid phone number."}, status=400
            )
        sid = f"SM{next(self._ids):032x}"
        await self._record(
            Sent(sid, form["To"], form.get("From", ""), form.get("Body", ""), form.get("StatusCallback", ""))
        )
        return web.json_response({"sid": sid, "status": "queued"}, status=201)

    async def generic_send(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        try:
            self.generic.verify("", request.headers, body, time.time())
        except Exception:
            return web.json_response({"error": "bad signature", "code": "auth"}, status=401)
        if self.failures:
            status, answer = self.failures.pop(0)
            return web.json_response(answer, status=status)
        payload = msgspec.json.decode(body)
        message_id = f"g-{next(self._ids)}"
        await self._record(Sent(message_id, payload["to"], payload["from"], payload["text"], payload["callback_url"]))
        return web.json_response({"id": message_id})

    async def report(self, sent: Sent, status: str, error: str = "") -> int:
        """Call the message's status callback as the provider does; return our adapter's HTTP status."""
        async with aiohttp.ClientSession() as http:
            if sent.sid.startswith("SM"):
                form = {"MessageSid": sent.sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
                if error:
                    form["ErrorCode"] = error
                signature = RequestValidator(AUTH_TOKEN).compute_signature(sent.callback, form)
                async with http.post(
                    sent.callback,
                    data=urlencode(form),
                    headers={
                        "X-Twilio-Signature": signature,
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                ) as response:
                    return response.status
            body, headers = generic_webhook({"id": sent.sid, "status": status, "error": error})
            async with http.post(sent.callback, data=body, headers=headers) as response:
                return response.status


def twilio_webhook(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> tuple[bytes, dict[str, str]]:
    """An inbound webhook as Twilio posts it, signed with the official RequestValidator."""
    signature = RequestValidator(token).compute_signature(url, params)
    return urlencode(params).encode(), {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def generic_webhook(payload: dict, timestamp: float | None = None, secret: str = GENERIC_SECRET):
    body = msgspec.json.encode(payload)
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return body, {
        "Content-Type": "application/json",
        "X-Timestamp": stamp,
        "X-Signature": Generic(secret, "").sign(stamp, body),
    }
