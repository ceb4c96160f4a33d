"""How a customer's channel address is shown to agents: masked, and never a bearer secret."""

import hashlib

from shared.pii import mask

VISITOR_PREFIX = "visitor-"


def shown_address(channel: str, address: str) -> str:
    """A web-chat address is the visitor's session id, which with the web-chat secret becomes
    their token: agents see a stand-in (`visitor-` and 6 hex of its hash). Others are masked."""
    if channel == "webchat":
        return VISITOR_PREFIX + hashlib.sha256(address.encode()).hexdigest()[:6]
    return mask(address)
