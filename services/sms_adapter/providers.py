"""SMS providers behind one interface (pure): webhook signatures, payloads in, requests out.

`twilio`: form-encoded webhooks signed with X-Twilio-Signature (HMAC-SHA1 over the full URL
and the sorted parameters), the Messages REST API with basic auth.
`generic`: JSON webhooks signed with HMAC-SHA256 over "<timestamp>.<body>" (X-Timestamp,
X-Signature, hex), stale timestamps refused; the same signature on our requests to it.
The HTTP itself happens at the edge (webhooks.py, outbound.py).
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode

import msgspec

MAX_AGE = 300.0
"""Generic webhooks older than this (or this far in the future) are replays."""
TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class SendFailed(Exception):
    """The provider refused a message; `permanent` ones are dead-lettered, others retried."""

    def __init__(self, permanent: bool, reason: str):
        super().__init__(reason)
        self.permanent, self.reason = permanent, reason


class Part(msgspec.Struct, frozen=True):
    ref: str
    index: int
    total: int


class InboundSms(msgspec.Struct, frozen=True):
    provider_id: str
    sender: str
    recipient: str
    text: str
    media: tuple[tuple[str, str], ...] = ()
    """(url, content type) of MMS media."""
    part: Part | None = None


class StatusUpdate(msgspec.Struct, frozen=True):
    provider_id: str
    status: str
    error: str = ""


class SendRequest(msgspec.Struct, frozen=True):
    url: str
    body: bytes
    headers: dict[str, str]


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def _require_key(key: str) -> None:
    # An empty HMAC key is still a key: anyone can compute the signature. Refuse every webhook.
    if not key:
        raise WebhookRefused(403, "no webhook secret configured: every webhook is refused")


class Twilio(msgspec.Struct, frozen=True):
    name: ClassVar[str] = "twilio"
    """How sms_sends records this provider's message ids."""
    account_sid: str
    auth_token: str
    api_base: str

    def signature(self, url: str, params: list[tuple[str, str]]) -> str:
        data = url + "".join(k + v for k, v in sorted(params))
        return base64.b64encode(hmac.new(self.auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()

    def verify(self, url: str, headers: Mapping[str, str], body: bytes, now: float) -> list[tuple[str, str]]:
        """The form parameters, once X-Twilio-Signature matches the URL Twilio called."""
        _require_key(self.auth_token)
        params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if not _same(self.signature(url, params), headers.get("X-Twilio-Signature", "")):
            raise WebhookRefused(403, "bad X-Twilio-Signature")
        return params

    @staticmethod
    def inbound(params: list[tuple[str, str]]) -> InboundSms:
        form = dict(params)
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid or not form.get("From"):
            raise WebhookRefused(400, "MessageSid and From are required")
        media = tuple(
            (form[f"MediaUrl{n}"], form.get(f"MediaContentType{n}", "")) for n in range(10) if form.get(f"MediaUrl{n}")
        )
        return InboundSms(sid, form["From"], form.get("To", ""), form.get("Body", ""), media)

    @staticmethod
    def status(params: list[tuple[str, str]]) -> StatusUpdate:
        form = dict(params)
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            raise WebhookRefused(400, "MessageSid and MessageStatus are required")
        return StatusUpdate(form["MessageSid"], form["MessageStatus"], form.get("ErrorCode", ""))

    def send_request(self, to: str, sender: str, text: str, callback_url: str, now: float = 0.0) -> SendRequest:
        form = {"To": to, "From": sender, "Body": text}
        if callback_url:
            form["StatusCallback"] = callback_url
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return SendRequest(
            f"{self.api_base.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            urlencode(form).encode(),
            {"Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"},
        )

    @staticmethod
    def sent(status: int, body: bytes) -> str:
        """The provider's message id from the Messages API answer; SendFailed otherwise."""
        answer = _json(body)
        if status in (200, 201) and answer.get("sid"):
            return str(answer["sid"])
        reason = f"HTTP {status}: {answer.get('code', '')} {answer.get('message', '')}".strip()
        raise SendFailed(status not in TRANSIENT_HTTP and status < 500, reason)


class Generic(msgspec.Struct, frozen=True):
    name: ClassVar[str] = "generic"
    secret: str
    api_base: str
    max_age: float = MAX_AGE

    def sign(self, timestamp: str, body: bytes) -> str:
        return hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def verify(self, url: str, headers: Mapping[str, str], body: bytes, now: float) -> dict:
        _require_key(self.secret)
        timestamp = headers.get("X-Timestamp", "")
        if not _same(self.sign(timestamp, body), headers.get("X-Signature", "")):
            raise WebhookRefused(403, "bad X-Signature")
        try:
            age = now - float(timestamp)
        except ValueError:
            raise WebhookRefused(403, "X-Timestamp is not a unix time") from None
        if abs(age) > self.max_age:
            raise WebhookRefused(403, f"X-Timestamp is {age:.0f}s old: refused as a replay")
        return _json(body, refuse=True)

    @staticmethod
    def inbound(payload: dict) -> InboundSms:
        try:
            return msgspec.convert(payload, _GenericInbound).to_sms()
        except msgspec.ValidationError as exc:
            raise WebhookRefused(400, f"bad inbound payload: {exc}") from None

    @staticmethod
    def status(payload: dict) -> StatusUpdate:
        if not payload.get("id") or not payload.get("status"):
            raise WebhookRefused(400, "id and status are required")
        return StatusUpdate(str(payload["id"]), str(payload["status"]), str(payload.get("error") or ""))

    def send_request(self, to: str, sender: str, text: str, callback_url: str, now: float = 0.0) -> SendRequest:
        body = msgspec.json.encode({"to": to, "from": sender, "text": text, "callback_url": callback_url})
        timestamp = str(int(now))
        return SendRequest(
            f"{self.api_base.rstrip('/')}/messages",
            body,
            {
                "Content-Type": "application/json",
                "X-Timestamp": timestamp,
                "X-Signature": self.sign(timestamp, body),
            },
        )

    @staticmethod
    def sent(status: int, body: bytes) -> str:
        answer = _json(body)
        if status in (200, 201) and answer.get("id"):
            return str(answer["id"])
        raise SendFailed(
            status not in TRANSIENT_HTTP and status < 500,
            f"HTTP {status}: {answer.get('code', '')} {answer.get('error', '')}".strip(),
        )


class _GenericInbound(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    id: str
    sender: str = msgspec.field(name="from")
    recipient: str = msgspec.field(name="to", default="")
    text: str = ""
    part: Part | None = None

    def to_sms(self) -> InboundSms:
        return InboundSms(self.id, self.sender, self.recipient, self.text, part=self.part)


def _json(body: bytes, refuse: bool = False) -> dict:
    try:
        answer = msgspec.json.decode(body)
    except msgspec.DecodeError:
        answer = None
    if isinstance(answer, dict):
        return answer
    if refuse:
        raise WebhookRefused(400, "the body is not a JSON object")
    return {}


Provider = Twilio | Generic
