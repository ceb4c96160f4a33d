"""Visitor sessions as signed tokens: the adapter keeps no session state of its own."""

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

import msgspec

CLOCK_SKEW = 300
"""Seconds a replica's clock may run behind the one that signed the token."""


class InvalidToken(Exception):
    """The token is malformed, forged or expired."""


class VisitorSession(msgspec.Struct, frozen=True):
    session_id: str
    expires_at: int
    name: str = ""
    locale: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def new_session(name: str, locale: str, ttl_seconds: int, now: datetime | None = None) -> VisitorSession:
    now = now or datetime.now(UTC)
    return VisitorSession(uuid.uuid4().hex, int(now.timestamp()) + ttl_seconds, name, locale)


def sign(session: VisitorSession, secret: str) -> str:
    """`<payload>.<HMAC-SHA256>`, both base64url: opaque to the visitor, checkable by any replica."""
    body = _b64(msgspec.json.encode(session))
    return f"{body}.{_signature(secret, body)}"


def verify(token: str, secret: str, *, max_ttl: int, now: datetime | None = None) -> VisitorSession:
    """The session a token carries, if genuine, unexpired and expiring no later than a token
    signed now could (`max_ttl` plus clock skew): a leaked secret must not mint eternal tokens."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature.encode(), _signature(secret, body).encode()):
        raise InvalidToken("bad signature")
    try:
        session = msgspec.json.decode(_unb64(body), type=VisitorSession)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        raise InvalidToken("malformed token") from None
    current = (now or datetime.now(UTC)).timestamp()
    if session.expires_at <= current:
        raise InvalidToken("expired")
    if session.expires_at > current + max_ttl + CLOCK_SKEW:
        raise InvalidToken("expiry beyond the maximum session lifetime")
    return session
