"""The audience query (pure SQL building): one row per person, in recipient-key order.

A person is a customer profile (all its linked contacts) or a contact no profile joins. Of a
person's contacts, the one chosen is one we may reach with content for its channel, else one
with content (skipped, with its reason), then the most recently active. Rows come in key order after `$1`, so planning
can stop anywhere and resume from the last key it stored.
"""

from contracts.broadcasts import PUSH_CHANNELS, Audience

BASE = """
SELECT DISTINCT ON (r.key) r.key, k.channel, k.address, k.account, i.customer_id::text AS customer_id,
       k.reachable, k.last_inbound_at, COALESCE(NULLIF(p.timezone, ''), '') AS timezone
FROM contacts k
LEFT JOIN customer_identities i ON i.channel = k.channel AND i.address = k.address
LEFT JOIN customers p ON p.id = i.customer_id
CROSS JOIN LATERAL (SELECT COALESCE(i.customer_id::text, k.channel || ':' || k.address) AS key) r
WHERE r.key > $1 AND k.channel = ANY($2::text[]) AND {condition}
ORDER BY r.key, (k.reachable AND k.channel = ANY($3::text[])) DESC, (k.channel = ANY($3::text[])) DESC,
         k.last_inbound_at DESC NULLS LAST
"""

CONDITIONS = {
    "everyone": lambda a: ("true", []),
    "channel": lambda a: ("k.channel = ANY($4::text[])", [list(a.channels)]),
    "tag": lambda a: (
        "(p.tags && $4::text[] OR EXISTS (SELECT 1 FROM conversations c JOIN conversation_tags t"
        " ON t.conversation_id = c.id WHERE c.channel = k.channel AND c.customer_address = k.address"
        " AND t.tag = ANY($4::text[])))",
        [list(a.tags)],
    ),
    "customers": lambda a: (
        "i.customer_id IN (SELECT p2.id FROM customers p2 JOIN broadcast_members m"
        " ON m.customer_ref IN (p2.id::text, p2.external_id) WHERE m.broadcast_id = $4)",
        [],  # the broadcast id is passed by `query`
    ),
    "category": lambda a: (
        "EXISTS (SELECT 1 FROM conversations c WHERE c.channel = k.channel AND c.customer_address = k.address"
        " AND c.category = $4 AND c.created_at >= $5 AND c.created_at < $6)",
        [a.category, a.start, a.end],
    ),
}


def query(audience: Audience, broadcast_id, content_channels: list[str]) -> tuple[str, list]:
    """SQL and its arguments after the key to resume from (`$1`, passed by the caller)."""
    condition, extra = CONDITIONS[audience.kind](audience)
    if audience.kind == "customers":
        extra = [broadcast_id]
    return BASE.format(condition=condition), [list(PUSH_CHANNELS), content_channels, *extra]
