"""Customer profiles across channels: the one writer of customers and customer_identities.

A profile's phone is its SMS identity and its email its email identity, so a contact that
writes in on those later is already joined; WeChat openids and web-chat visitors are joined
by linking one of their conversations. A contact nobody linked is a profile of one channel.
"""

import uuid
import zoneinfo
from typing import Annotated, Literal

import asyncpg
import msgspec

from domain.phone import InvalidNumber, e164
from shared.addresses import shown_address
from shared.pii import mask

Channel = Literal["webchat", "wechat", "email", "sms"]
Tag = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9_.:-]{0,47}$")]
HISTORY = 50
PROFILE_FIELDS = (
    "id::text AS id, external_id, name, phone, email, timezone, language, tags, notes, created_at, updated_at"
)


class Conflict(ValueError):
    """An identity already belongs to another profile, or an external id is taken."""


class Identity(msgspec.Struct, frozen=True):
    channel: Channel
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]


class Profile(msgspec.Struct, frozen=True):
    """A profile's own fields as validated from a request (normalized by `normalized`)."""

    name: str = ""
    phone: str | None = None
    email: str | None = None
    timezone: str = ""
    language: str = ""
    tags: list[str] = []
    notes: str = ""
    external_id: str | None = None


def normalized_phone(phone: str | None, region: str) -> str | None:
    if phone is None or not phone.strip():
        return None
    try:
        return e164(phone, region)
    except InvalidNumber as exc:
        raise ValueError(str(exc)) from None


def normalized_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    local, at, domain = email.strip().lower().rpartition("@")
    if not (local and at and "." in domain):
        raise ValueError(f"{mask(email)!r} is not an email address")
    return f"{local}@{domain}"


def check_timezone(name: str | None) -> None:
    """Quiet hours are kept in the customer's zone: it must be one the tz database knows."""
    if name and name not in zoneinfo.available_timezones():
        raise ValueError(f"{name!r} is not a time zone (use an IANA name such as Asia/Shanghai)")


def profile_identities(profile: Profile) -> list[Identity]:
    return [
        *([Identity("sms", profile.phone)] if profile.phone else []),
        *([Identity("email", profile.email)] if profile.email else []),
    ]


async def save(conn: asyncpg.Connection, customer_id: uuid.UUID, profile: Profile, agent_id: str) -> None:
    """Insert or update the profile and (re)link its phone and email identities."""
    try:
        await conn.execute(
            "INSERT INTO customers (id, external_id, name, phone, email, timezone, language, tags, notes)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET external_id = $2,"
            " name = $3, phone = $4, email = $5, timezone = $6, language = $7, tags = $8, notes = $9,"
            " updated_at = now()",
            customer_id,
            profile.external_id,
            profile.name,
            profile.phone,
            profile.email,
            profile.timezone,
            profile.language,
            profile.tags,
            profile.notes,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Another customer has the external id {profile.external_id!r}.") from None
    await conn.execute("DELETE FROM customer_identities WHERE customer_id = $1 AND source = 'profile'", customer_id)
    for identity in profile_identities(profile):
        await link(conn, customer_id, identity, agent_id, "profile")


async def link(
    conn: asyncpg.Connection, customer_id: uuid.UUID, identity: Identity, agent_id: str, source: str = "agent"
) -> None:
    """Join a channel address to the profile; Conflict when another profile has it."""
    owner = await conn.fetchval(
        "INSERT INTO customer_identities (channel, address, customer_id, source, linked_by)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address) DO UPDATE SET channel = EXCLUDED.channel"
        " RETURNING customer_id",
        identity.channel,
        identity.address,
        customer_id,
        source,
        uuid.UUID(agent_id),
    )
    if owner != customer_id:
        raise Conflict(f"That {identity.channel} address belongs to another customer profile; unlink it there first.")


async def unlink(conn: asyncpg.Connection, customer_id: uuid.UUID, identity: Identity) -> bool:
    return bool(
        await conn.fetchval(
            "DELETE FROM customer_identities WHERE customer_id = $1 AND channel = $2 AND address = $3 RETURNING true",
            customer_id,
            identity.channel,
            identity.address,
        )
    )


async def profile(conn: asyncpg.Connection, customer_id: uuid.UUID) -> dict | None:
    row = await conn.fetchrow(f"SELECT {PROFILE_FIELDS} FROM customers WHERE id = $1", customer_id)
    return dict(row) if row else None


async def identities(conn: asyncpg.Connection, pairs: list[tuple[str, str]]) -> list[dict]:
    """The contacts behind these addresses with what the customer allowed there (consent)."""
    rows = await conn.fetch(
        "SELECT p.channel, p.address, COALESCE(k.display_name, '') AS display_name, k.reachable,"
        " k.first_seen_at, k.last_inbound_at, GREATEST(k.subscribed_at, k.unsubscribed_at) AS consent_changed_at"
        " FROM unnest($1::text[], $2::text[]) AS p (channel, address)"
        " LEFT JOIN contacts k ON k.channel = p.channel AND k.address = p.address ORDER BY p.channel, p.address",
        [channel for channel, _ in pairs],
        [address for _, address in pairs],
    )
    return [dict(row) for row in rows]


async def linked_pairs(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT channel, address FROM customer_identities WHERE customer_id = $1", customer_id)
    return [(row["channel"], row["address"]) for row in rows]


async def history(conn: asyncpg.Connection, pairs: list[tuple[str, str]], viewer: uuid.UUID) -> list[dict]:
    """The latest conversations at these addresses, on every channel, and whether the viewer may open each."""
    rows = await conn.fetch(
        "SELECT c.id::text AS id, c.channel, c.status, c.category, c.priority, c.created_at, c.resolved_at,"
        " a.name AS agent_name, EXISTS (SELECT 1 FROM conversation_agents s WHERE s.conversation_id = c.id"
        "  AND s.agent_id = $3) AS worked_on"
        " FROM unnest($1::text[], $2::text[]) AS p (channel, address)"
        " JOIN conversations c ON c.channel = p.channel AND c.customer_address = p.address"
        f" LEFT JOIN agents a ON a.id = c.agent_id ORDER BY c.created_at DESC LIMIT {HISTORY}",
        [channel for channel, _ in pairs],
        [address for _, address in pairs],
        viewer,
    )
    return [dict(row) for row in rows]


def consent(contacts: list[dict]) -> dict:
    """What the customer refused, per channel: SMS opt-out, email unsubscribe, WeChat unfollow."""
    refused = {contact["channel"] for contact in contacts if contact["reachable"] is False}
    return {
        "sms_opted_out": "sms" in refused,
        "email_unsubscribed": "email" in refused,
        "wechat_unfollowed": "wechat" in refused,
    }


def masked(view: dict) -> dict:
    """Phone, email and channel addresses masked, as every response shows them; the notes' identifiers
    and the customer's own name in them too."""
    for field in ("phone", "email"):
        if view.get(field):
            view[field] = mask(view[field])
    if view.get("notes"):
        view["notes"] = mask(view["notes"], (view.get("name") or "",))
    for contact in view.get("identities", []):
        contact["address"] = shown_address(contact["channel"], contact["address"])
    return view
