"""Customer profiles over HTTP: one person across channels, their history and consent.

Agents reach a profile through a conversation they worked on (they never see raw addresses,
so they link by conversation); supervisors manage the directory and link raw addresses.
Every profile view is audited like a conversation view.
"""

import uuid
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.commands import audit, customers
from services.agent_api.commands.customers import Channel, Conflict, Identity, Tag
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT, Agent
from services.agent_api.http.requests import read_body, read_query
from services.agent_api.queries import conversations as queries
from services.agent_api.queries import listing
from shared.http import ApiError, json_response
from shared.uow import UnitOfWork

VIEW_CUSTOMER = "view_customer"
Short = Annotated[str, msgspec.Meta(max_length=200)]


class ProfileFields(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Fields to set; on create, absent ones are empty. Phone, email and external id: supervisors only."""

    name: Short | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=320)] | None = None
    timezone: Annotated[str, msgspec.Meta(pattern="^([A-Za-z_]+(/[A-Za-z0-9_+-]+)*)?$", max_length=64)] | None = None
    language: Annotated[str, msgspec.Meta(pattern="^([a-z]{2})?$")] | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=50)] | None = None
    notes: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    external_id: Short | None = None
    conversation_id: uuid.UUID | None = None
    """Create only: link the customer of this conversation (how agents make a profile)."""
    contacts: list[Identity] = []
    """Create only, supervisors: channel addresses to link."""


class LinkRequest(msgspec.Struct, forbid_unknown_fields=True):
    conversation_id: uuid.UUID | None = None
    channel: Channel | None = None
    address: Annotated[str, msgspec.Meta(min_length=1, max_length=320)] | None = None

    def __post_init__(self) -> None:
        if (self.conversation_id is None) == (self.channel is None or self.address is None):
            raise ValueError("name a 'conversation_id', or a 'channel' and an 'address'")


class DirectoryQuery(msgspec.Struct, forbid_unknown_fields=True):
    q: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    tag: Tag | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=listing.MAX_PAGE)] = 50
    cursor: str | None = None


SUPERVISOR_FIELDS = ("phone", "email", "external_id", "contacts")


async def identity_of_conversation(pool: asyncpg.Pool, agent: Agent, conversation_id: uuid.UUID) -> Identity:
    conversation = await queries.visible_conversation(pool, agent, str(conversation_id))
    return Identity(conversation["channel"], conversation["customer_address"])


async def visible_customer(conn: asyncpg.Connection, agent: Agent, customer_id: str) -> uuid.UUID:
    """The profile's id if the caller may see it: supervisors any, agents one they served. Else 404."""
    found = await conn.fetchval(
        "SELECT p.id FROM customers p WHERE p.id = $1 AND ($3 OR EXISTS (SELECT 1 FROM customer_identities i"
        " JOIN conversations c ON c.channel = i.channel AND c.customer_address = i.address"
        " JOIN conversation_agents s ON s.conversation_id = c.id WHERE i.customer_id = p.id AND s.agent_id = $2))",
        queries.parse_id(customer_id, "customer"),
        uuid.UUID(agent.id),
        agent.is_supervisor,
    )
    if found is None:
        raise ApiError(404, "not_found", "No such customer.")
    return found


async def _view(
    request: web.Request,
    conn: asyncpg.Connection,
    customer_id: uuid.UUID | None,
    pairs: list[tuple[str, str]],
    base: dict,
) -> dict:
    agent = request[AGENT]
    contacts = await customers.identities(conn, pairs)
    view = {
        **base,
        "identities": contacts,
        "consent": customers.consent(contacts),
        "conversations": await customers.history(conn, pairs, uuid.UUID(agent.id)),
    }
    await audit.record(
        conn,
        agent,
        VIEW_CUSTOMER,
        detail=audit.token_detail(
            request, customer_id=str(customer_id) if customer_id else None, identities=len(pairs)
        ),
    )
    return customers.masked(view)


async def conversation_customer(request: web.Request) -> web.Response:
    """`GET /v1/conversations/{id}/customer`: the profile behind a conversation, or its one contact."""
    pool, agent = AgentDeps.of(request).pool, request[AGENT]
    identity = await identity_of_conversation(pool, agent, queries.parse_id(request.match_info["id"]))

    async def read(uow: UnitOfWork) -> dict:
        conn = uow.conn
        customer_id = await conn.fetchval(
            "SELECT customer_id FROM customer_identities WHERE channel = $1 AND address = $2",
            identity.channel,
            identity.address,
        )
        if customer_id is None:
            pairs = [(identity.channel, identity.address)]
            return await _view(request, conn, None, pairs, {"id": None})
        base = await customers.profile(conn, customer_id)
        return await _view(request, conn, customer_id, await customers.linked_pairs(conn, customer_id), base)

    return json_response(await UnitOfWork(pool).run(read))


async def get_customer(request: web.Request) -> web.Response:
    async def read(uow: UnitOfWork) -> dict:
        conn = uow.conn
        customer_id = await visible_customer(conn, request[AGENT], request.match_info["id"])
        base = await customers.profile(conn, customer_id)
        return await _view(request, conn, customer_id, await customers.linked_pairs(conn, customer_id), base)

    return json_response(await AgentDeps.of(request).uow().run(read))


def _profile(fields: ProfileFields, current: dict, region: str) -> customers.Profile:
    merged = {
        name: getattr(fields, name) if getattr(fields, name) is not None else current.get(name)
        for name in ("name", "phone", "email", "timezone", "language", "tags", "notes", "external_id")
    }
    try:
        merged["phone"] = customers.normalized_phone(merged["phone"], region)
        merged["email"] = customers.normalized_email(merged["email"])
        customers.check_timezone(merged["timezone"])
    except ValueError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    defaults = {"name": "", "timezone": "", "language": "", "tags": [], "notes": ""}
    return customers.Profile(
        **{name: value if value is not None else defaults.get(name) for name, value in merged.items()}
    )


def _check_role(agent: Agent, fields: ProfileFields) -> None:
    if not agent.is_supervisor and any(getattr(fields, name) for name in SUPERVISOR_FIELDS):
        raise ApiError(403, "forbidden", "Only supervisors set a customer's phone, email, external id or contacts.")


async def _saved(request: web.Request, work) -> web.Response:
    try:
        return json_response(*await AgentDeps.of(request).uow().run(work))
    except Conflict as exc:
        raise ApiError(409, "conflict", str(exc)) from None


async def create_customer(request: web.Request) -> web.Response:
    agent, fields = request[AGENT], await read_body(request, ProfileFields)
    _check_role(agent, fields)
    if not agent.is_supervisor and fields.conversation_id is None:
        raise ApiError(422, "invalid_request", "Name the 'conversation_id' whose customer this profile is.")
    links = list(fields.contacts)
    if fields.conversation_id is not None:
        links.append(await identity_of_conversation(AgentDeps.of(request).pool, agent, fields.conversation_id))
    profile, customer_id = _profile(fields, {}, AgentDeps.of(request).settings.sms_default_region), uuid.uuid4()

    async def work(uow: UnitOfWork):
        conn = uow.conn
        await customers.save(conn, customer_id, profile, agent.id)
        for identity in links:
            await customers.link(conn, customer_id, identity, agent.id)
        return {"id": str(customer_id)}, 201

    return await _saved(request, work)


async def change_customer(request: web.Request) -> web.Response:
    agent, fields = request[AGENT], await read_body(request, ProfileFields)
    _check_role(agent, fields)
    if fields.conversation_id is not None or fields.contacts:
        raise ApiError(422, "invalid_request", "Link contacts with POST /v1/customers/{id}/links.")

    async def work(uow: UnitOfWork):
        conn = uow.conn
        customer_id = await visible_customer(conn, agent, request.match_info["id"])
        current = await customers.profile(conn, customer_id)
        await customers.save(
            conn, customer_id, _profile(fields, current, AgentDeps.of(request).settings.sms_default_region), agent.id
        )
        return {"id": str(customer_id)}, 200

    return await _saved(request, work)


async def add_link(request: web.Request) -> web.Response:
    """Join a contact to the profile: by a conversation the caller can see, or (supervisors) by address."""
    agent, body = request[AGENT], await read_body(request, LinkRequest)
    if body.conversation_id is not None:
        identity = await identity_of_conversation(AgentDeps.of(request).pool, agent, body.conversation_id)
    elif agent.is_supervisor:
        identity = Identity(body.channel, body.address)
    else:
        raise ApiError(403, "forbidden", "Agents link a customer's contact through a conversation.")

    async def work(uow: UnitOfWork):
        conn = uow.conn
        customer_id = await visible_customer(conn, agent, request.match_info["id"])
        await customers.link(conn, customer_id, identity, agent.id)
        return {"id": str(customer_id), "linked": {"channel": identity.channel}}, 200

    return await _saved(request, work)


async def list_customers(request: web.Request) -> web.Response:
    """`GET /v1/customers?q=&tag=&limit=&cursor=`: the directory, newest first (supervisors)."""
    if not request[AGENT].is_supervisor:
        raise ApiError(403, "forbidden", "Only supervisors browse the customer directory.")
    query = read_query({k: v for k, v in request.query.items() if v != ""}, DirectoryQuery)
    try:
        after = listing.decode_cursor(query.cursor) if query.cursor else None
    except listing.BadCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from None
    rows = await AgentDeps.of(request).pool.fetch(
        f"SELECT {customers.PROFILE_FIELDS} FROM customers WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%'"
        " OR external_id = $1) AND ($2::text IS NULL OR $2 = ANY(tags))"
        " AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))"
        f" ORDER BY created_at DESC, id DESC LIMIT {query.limit + 1}",
        query.q,
        query.tag,
        after[0] if after else None,
        after[1] if after else None,
    )
    page = [customers.masked(dict(row)) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return json_response(
        {
            "customers": page,
            "next_cursor": listing.encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more else None,
        }
    )


def register(app: web.Application) -> None:
    app.router.add_get("/v1/conversations/{id}/customer", conversation_customer)
    app.router.add_get("/v1/customers", list_customers)
    app.router.add_post("/v1/customers", create_customer)
    app.router.add_get("/v1/customers/{id}", get_customer)
    app.router.add_patch("/v1/customers/{id}", change_customer)
    app.router.add_post("/v1/customers/{id}/links", add_link)
