"""Visitor rate limits: per session and per client address, surviving reconnects.

Buckets live in this replica's memory and outlive the socket, so reconnecting does not
refill them. With N replicas behind a balancer a visitor may reach up to N times a limit:
exactness across replicas is not the aim, a ceiling on what one client can make us do is.
"""

import ipaddress
import time

from aiohttp import web

from domain.ratelimit import KeyedBuckets
from services.webchat_adapter.settings import WebchatSettings
from shared.config import ConfigError, env_name
from shared.http import error_response

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(text: str) -> tuple[Network, ...]:
    """`RELAYDESK_WEBCHAT_TRUSTED_PROXIES` parsed: comma-separated addresses or networks."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{env_name('webchat_trusted_proxies')} is invalid: {exc}") from None


def client_address(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """Who is calling: the peer, or, when the peer is a trusted proxy, the nearest address in
    `X-Forwarded-For` that is not one of ours (the left part is the client's to forge)."""
    hops = [peer] + [part.strip() for part in reversed(forwarded_for.split(",")) if part.strip()]
    for hop in hops:
        if not _trusted(hop, trusted):
            return hop
    return hops[-1]


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # garbage in X-Forwarded-For is the client's own
    return any(ip in network for network in trusted)


class VisitorLimits:
    """Message and resume frames per session and per address; new sessions per address."""

    def __init__(self, settings: WebchatSettings) -> None:
        self.sessions = KeyedBuckets(settings.webchat_rate, settings.webchat_burst)
        self.addresses = KeyedBuckets(settings.webchat_address_rate, settings.webchat_address_burst)
        self.creations = KeyedBuckets(settings.webchat_session_rate, settings.webchat_session_burst)
        self.trusted = trusted_networks(settings.webchat_trusted_proxies)

    def client(self, request: web.Request) -> str:
        forwarded = request.headers.get("X-Forwarded-For", "") if self.trusted else ""
        return client_address(request.remote or "", forwarded, self.trusted)

    def frame_allowed(self, session_id: str, client: str, now: float) -> bool:
        return not self.sessions.retry_after(session_id, now) and not self.addresses.retry_after(client, now)

    def session_wait(self, client: str, now: float) -> int:
        """0 when this client may open a session now, else seconds until it may."""
        return self.creations.retry_after(client, now)


def session_refused(request: web.Request, limits: VisitorLimits) -> web.Response | None:
    """A 429 with Retry-After when this client opens sessions too fast; None when it may."""
    if not (wait := limits.session_wait(limits.client(request), time.monotonic())):
        return None
    response = error_response(429, "rate_limited", f"Too many new sessions from this address; retry in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response
