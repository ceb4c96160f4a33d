"""Canned responses: shared ones managed by supervisors, personal ones by their owner.

`GET /v1/canned-responses` lists what the caller may use; a reply names one by
`canned_response_id`, or a console fills it in first with `.../render?conversation_id=`.
"""

import uuid
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from services.agent_api.commands import canned
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT, Agent
from services.agent_api.http.requests import read_body
from services.agent_api.queries import conversations as queries
from shared.http import ApiError, json_response

Shortcut = Annotated[str, msgspec.Meta(pattern="^[a-z0-9][a-z0-9_-]{0,39}$")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Short = Annotated[str, msgspec.Meta(max_length=32)]
FIELDS = (
    "id::text AS id, shortcut, title, text, language, category, owner_id IS NULL AS shared,"
    " owner_id::text AS owner_id, created_at, updated_at"
)


class NewCanned(msgspec.Struct, forbid_unknown_fields=True):
    shortcut: Shortcut
    title: Title
    text: Text
    language: Short = ""
    category: Short = ""
    shared: bool = False
    """Shared with every agent (supervisors only); else the caller's own."""


class CannedChanges(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    shortcut: Shortcut | None = None
    title: Title | None = None
    text: Text | None = None
    language: Short | None = None
    category: Short | None = None


def _checked(text: str | None) -> None:
    try:
        if text is not None:
            canned.check(text)
    except canned.UnknownPlaceholder as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None


async def _usable(pool: asyncpg.Pool, agent: Agent, canned_id: str) -> asyncpg.Record:
    """A canned response the caller may use: shared, or their own. Else 404."""
    row = await pool.fetchrow(
        f"SELECT {FIELDS} FROM canned_responses WHERE id = $1 AND (owner_id IS NULL OR owner_id = $2)",
        queries.parse_id(canned_id, "canned response"),
        uuid.UUID(agent.id),
    )
    if row is None:
        raise ApiError(404, "not_found", "No such canned response.")
    return row


async def _editable(pool: asyncpg.Pool, agent: Agent, canned_id: str) -> asyncpg.Record:
    row = await _usable(pool, agent, canned_id)
    if row["shared"] and not agent.is_supervisor:
        raise ApiError(403, "forbidden", "Only supervisors change shared canned responses.")
    return row


async def render_for(pool: asyncpg.Pool, agent: Agent, canned_id: str, conversation: dict) -> str:
    """The canned response's text filled in for `conversation`."""
    row = await _usable(pool, agent, canned_id)
    return canned.render(row["text"], conversation["customer_name"], agent.name)


async def list_canned(request: web.Request) -> web.Response:
    agent, q = request[AGENT], request.query.get("q", "").strip()
    rows = await AgentDeps.of(request).pool.fetch(
        f"SELECT {FIELDS} FROM canned_responses WHERE (owner_id IS NULL OR owner_id = $1)"
        " AND ($2 = '' OR shortcut ILIKE '%' || $2 || '%' OR title ILIKE '%' || $2 || '%')"
        " AND ($3 = '' OR language = $3) AND ($4 = '' OR category = $4)"
        " ORDER BY owner_id IS NULL, shortcut",
        uuid.UUID(agent.id),
        q[:100],
        request.query.get("language", ""),
        request.query.get("category", ""),
    )
    return json_response({"canned_responses": [dict(row) for row in rows]})


async def create_canned(request: web.Request) -> web.Response:
    agent, body = request[AGENT], await read_body(request, NewCanned)
    if body.shared and not agent.is_supervisor:
        raise ApiError(403, "forbidden", "Only supervisors create shared canned responses.")
    _checked(body.text)
    try:
        row = await AgentDeps.of(request).pool.fetchrow(
            "INSERT INTO canned_responses (id, owner_id, shortcut, title, text, language, category)"
            f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FIELDS}",
            uuid.uuid4(),
            None if body.shared else uuid.UUID(agent.id),
            body.shortcut,
            body.title,
            body.text,
            body.language,
            body.category,
        )
    except asyncpg.UniqueViolationError:
        raise ApiError(409, "shortcut_taken", f"The shortcut '{body.shortcut}' is already in use.") from None
    return json_response(dict(row), 201)


async def change_canned(request: web.Request) -> web.Response:
    agent, body = request[AGENT], await read_body(request, CannedChanges)
    row = await _editable(AgentDeps.of(request).pool, agent, request.match_info["id"])
    _checked(body.text)
    changes = msgspec.structs.asdict(body)
    merged = {name: changes[name] if changes[name] is not None else row[name] for name in changes}
    try:
        updated = await AgentDeps.of(request).pool.fetchrow(
            "UPDATE canned_responses SET shortcut = $2, title = $3, text = $4, language = $5, category = $6,"
            f" updated_at = now() WHERE id = $1 RETURNING {FIELDS}",
            uuid.UUID(row["id"]),
            merged["shortcut"],
            merged["title"],
            merged["text"],
            merged["language"],
            merged["category"],
        )
    except asyncpg.UniqueViolationError:
        raise ApiError(409, "shortcut_taken", f"The shortcut '{merged['shortcut']}' is already in use.") from None
    return json_response(dict(updated))


async def delete_canned(request: web.Request) -> web.Response:
    row = await _editable(AgentDeps.of(request).pool, request[AGENT], request.match_info["id"])
    await AgentDeps.of(request).pool.execute("DELETE FROM canned_responses WHERE id = $1", uuid.UUID(row["id"]))
    return web.Response(status=204)


async def render_canned(request: web.Request) -> web.Response:
    """`GET /v1/canned-responses/{id}/render?conversation_id=`: the text as it would be sent."""
    pool, agent = AgentDeps.of(request).pool, request[AGENT]
    conversation = await queries.visible_conversation(pool, agent, request.query.get("conversation_id", ""))
    text = await render_for(pool, agent, request.match_info["id"], conversation)
    return json_response({"text": text})


def register(app: web.Application) -> None:
    app.router.add_get("/v1/canned-responses", list_canned)
    app.router.add_post("/v1/canned-responses", create_canned)
    app.router.add_patch("/v1/canned-responses/{id}", change_canned)
    app.router.add_delete("/v1/canned-responses/{id}", delete_canned)
    app.router.add_get("/v1/canned-responses/{id}/render", render_canned)
