"""File links customers get: `<public url>/files/<key>/<name>?expires=<unix s>&sig=<hmac>` (pure).

The key alone (128 random bits) made a link nobody could guess but that worked forever for
whoever held it; signing key, name and expiry with `RELAYDESK_FILE_LINK_SECRET` makes it expire
(`RELAYDESK_FILE_LINK_TTL`) and refuses a link whose expiry was edited. Agents read files through
the authenticated `GET /v1/files/{id}` instead.

Customers' files are held by the adapter of their channel (rule 3: no service reads another's
tables): the agent API fetches one from its owner at a link signed the same way over the
attachment's ref, valid for a minute (`internal_query`), and the owner checks it with `refusal`.
"""

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

INTERNAL_TTL = 60
"""Seconds an agent API's link to an adapter's file stays valid: it is made for one request."""
MAX_EXPIRES_DIGITS = 12
"""Unix seconds up to year 33658: anything longer is not a link we made."""


class LinkSettings(Protocol):
    """The settings a file link is made from (the agent API's slice has them)."""

    @property
    def file_link_secret(self) -> str: ...
    @property
    def file_link_ttl(self) -> int: ...
    @property
    def agent_api_public_url(self) -> str: ...


def signature(secret: str, key: str, name: str, expires: int) -> str:
    """128 bits of HMAC-SHA256 over key, name and expiry, URL-safe."""
    mac = hmac.new(secret.encode(), f"{key}\n{name}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def file_link(settings: LinkSettings, key: str, name: str, now: datetime) -> str:
    """The link a customer's channel gets for an uploaded file, valid for `file_link_ttl` seconds."""
    expires = int(now.timestamp()) + settings.file_link_ttl
    sig = signature(settings.file_link_secret, key, name, expires)
    return f"{settings.agent_api_public_url}/files/{key}/{quote(name)}?expires={expires}&sig={sig}"


def internal_query(secret: str, ref: str, now: datetime, ttl: int = INTERNAL_TTL) -> dict[str, str]:
    """`expires` and `sig` that let the service holding `ref` serve it to the bearer for `ttl` seconds.

    The name signed is empty, which no customer link's is, so one kind of link never passes for the other."""
    expires = int(now.timestamp()) + ttl
    return {"expires": str(expires), "sig": signature(secret, ref, "", expires)}


def refusal(secret: str, key: str, name: str, expires: str, sig: str, now: datetime) -> str | None:
    """None when the link is ours and current; else `invalid_link` (tampered, unsigned) or `link_expired`."""
    if not (expires.isascii() and expires.isdigit() and len(expires) <= MAX_EXPIRES_DIGITS):
        return "invalid_link"
    if not hmac.compare_digest(signature(secret, key, name, int(expires)).encode(), sig.encode("utf-8", "replace")):
        return "invalid_link"
    return "link_expired" if int(expires) < now.timestamp() else None
