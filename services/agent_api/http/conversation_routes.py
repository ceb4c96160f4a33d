"""The agents' REST API: who am I, my status, my conversations, reply and resolve.

Reads come from the router's tables; every change is a command to the router over the
bus, answered 202 once the broker has confirmed it.
"""

import uuid
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from contracts import (
    AcceptOffer,
    AgentStatus,
    DeclineOffer,
    ResolveConversation,
    SendReply,
    SetAgentStatus,
    TransferConversation,
)
from services.agent_api.commands import audit, notes
from services.agent_api.deps import AgentDeps
from services.agent_api.http import attachment_routes, canned_routes, file_routes
from services.agent_api.http.auth import AGENT, Agent
from services.agent_api.http.requests import command_fields, read_body, read_query, send_command
from services.agent_api.queries import conversations as queries
from services.agent_api.queries import listing
from shared.addresses import shown_address
from shared.http import ApiError, json_response
from shared.pii import mask

MAX_REPLY_CHARS = 4000
MAX_ATTACHMENTS = 10
PREVIEW_CHARS = 140
"""Longest `last_message.text` in a list: two lines of a row."""


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    status: AgentStatus


class ReplyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Text, or a canned response filled in for the customer, and files uploaded with `POST /v1/files`."""

    text: Annotated[str, msgspec.Meta(max_length=MAX_REPLY_CHARS)] = ""
    canned_response_id: uuid.UUID | None = None
    attachments: Annotated[list[uuid.UUID], msgspec.Meta(max_length=MAX_ATTACHMENTS)] = []

    def __post_init__(self) -> None:
        if self.canned_response_id is not None and self.text:
            raise ValueError("send either 'text' or 'canned_response_id', not both")
        if self.canned_response_id is None and not self.text.strip() and not self.attachments:
            raise ValueError("a reply needs 'text', 'canned_response_id' or 'attachments'")


class TransferRequest(msgspec.Struct, forbid_unknown_fields=True):
    """To a named agent, to a team's queue, or (neither) back to the queue for anyone else."""

    to_agent_id: uuid.UUID | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    to_team: Annotated[str, msgspec.Meta(pattern="^[a-z0-9_-]{1,64}$")] | None = None

    def __post_init__(self) -> None:
        if self.to_agent_id is not None and self.to_team is not None:
            raise ValueError("name an agent or a team, not both")


async def me_body(pool: asyncpg.Pool, agent: Agent) -> dict:
    """Who the agent is, their status and how many conversations they have open: `GET /v1/me`."""
    status, open_count = await queries.agent_status(pool, agent.id)
    return {**msgspec.to_builtins(agent), "status": status, "open_conversations": open_count}


async def me(request: web.Request) -> web.Response:
    return json_response(await me_body(AgentDeps.of(request).pool, request[AGENT]))


async def set_status(request: web.Request) -> web.Response:
    body = await read_body(request, StatusRequest)
    return await send_command(request, SetAgentStatus(**command_fields(request[AGENT]), status=body.status))


async def list_conversations(request: web.Request) -> web.Response:
    """`GET /v1/conversations`: a page of what the caller may see, filtered; `next_cursor` for more."""
    agent = request[AGENT]
    query = read_query(listing.query_fields(request.query), listing.ListQuery)
    if (
        query.agent_id not in (None, "me")
        and uuid.UUID(query.agent_id) != uuid.UUID(agent.id)
        and not agent.is_supervisor
    ):
        raise ApiError(403, "forbidden", "Agents can only filter by their own id ('me').")
    try:
        rows, next_cursor = await queries.list_conversations(AgentDeps.of(request).pool, query, agent)
    except listing.BadCursor as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from None
    for row in rows:
        row["last_message"] = last_message(row)
        row["customer_address"] = shown_address(row["channel"], row["customer_address"])
    return json_response({"conversations": rows, "next_cursor": next_cursor})


def last_message(row: dict) -> dict | None:
    """The row's newest message as a list preview, masked like the detail's text (then cut, so a
    number cut in half is still masked); pops the query's last_* columns."""
    text, kind, direction, by_agent, at = (
        row.pop(f"last_{name}") for name in ("text", "kind", "direction", "by_agent", "at")
    )
    if at is None:
        return None
    sender = "customer" if direction == "in" else "agent" if by_agent else "bot"
    preview = mask(text, (row["customer_name"] or "",))
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    return {"text": preview, "kind": kind, "direction": direction, "sender": sender, "at": at}


async def get_conversation(request: web.Request) -> web.Response:
    """The conversation, its messages (with delivery states) and internal notes, masked; the view
    is audited before anything is shown."""
    pool, agent = AgentDeps.of(request).pool, request[AGENT]
    conversation = await queries.visible_conversation(pool, agent, request.match_info["id"])
    messages = await queries.messages(pool, conversation["id"])
    # The name is shown as the conversation's customer_name (CONSOLE.md: the list row names the
    # customer); repeated in free text, with whatever else is written around it, it is masked.
    names = (conversation["customer_name"] or "",)
    suggestions = "[]"
    for message in messages:
        message["text"] = mask(message["text"], names)
        found = msgspec.json.decode(message["attachments"])
        message["attachments"] = attachment_routes.listed(
            AgentDeps.of(request).settings, conversation["id"], message, found
        )
        if message["direction"] == "in":  # the router's FAQ picks for the customer's last message
            suggestions = message["faq_suggestions"] or "[]"
        del message["faq_suggestions"]
    await audit.record(
        pool,
        agent,
        audit.VIEW_CONVERSATION,
        conversation_id=conversation["id"],
        detail=audit.token_detail(request, messages=len(messages)),
    )
    conversation["customer_address"] = shown_address(conversation["channel"], conversation["customer_address"])
    return json_response(
        {
            **conversation,
            "messages": messages,
            "notes": await notes.of(pool, conversation["id"], names),
            "faq_suggestions": msgspec.json.decode(suggestions),
        }
    )


async def _own_open_conversation(request: web.Request) -> dict:
    """The caller's conversation, still open: 404 when not theirs, 409 when resolved."""
    agent = request[AGENT]
    conversation = await queries.visible_conversation(AgentDeps.of(request).pool, agent, request.match_info["id"])
    if conversation["status"] == "resolved":
        raise ApiError(409, "conversation_resolved", "The conversation is already resolved.")
    if conversation["agent_id"] != agent.id:
        raise ApiError(409, "not_assigned_to_you", "Only the assigned agent can act on it.")
    return conversation


async def reply(request: web.Request) -> web.Response:
    body = await read_body(request, ReplyRequest)
    pool, agent = AgentDeps.of(request).pool, request[AGENT]
    conversation = await _own_open_conversation(request)
    text = body.text
    if body.canned_response_id is not None:
        text = await canned_routes.render_for(pool, agent, str(body.canned_response_id), conversation)
    sent = await file_routes.attachments(pool, AgentDeps.of(request).settings, agent.id, body.attachments)
    command = SendReply(**command_fields(agent), conversation_id=conversation["id"], text=text, attachments=sent)
    return await send_command(request, command)


async def resolve(request: web.Request) -> web.Response:
    conversation = await _own_open_conversation(request)
    return await send_command(
        request, ResolveConversation(**command_fields(request[AGENT]), conversation_id=conversation["id"])
    )


async def transfer(request: web.Request) -> web.Response:
    """Hand over; the note is kept with the conversation so whoever takes it reads why."""
    body = await read_body(request, TransferRequest)
    conversation = await _own_open_conversation(request)
    command = TransferConversation(
        **command_fields(request[AGENT]),
        conversation_id=conversation["id"],
        to_agent_id=str(body.to_agent_id) if body.to_agent_id else None,
        note=body.note,
        to_team=body.to_team,
    )
    if body.note.strip():
        await notes.add(AgentDeps.of(request).pool, request[AGENT], conversation["id"], body.note, "transfer")
    return await send_command(request, command)


async def _offered_to_me(request: web.Request) -> str:
    """The conversation offered to the caller now: 404 when none is, so offers stay private."""
    conversation_id = await queries.offered_to(AgentDeps.of(request).pool, request[AGENT].id, request.match_info["id"])
    if conversation_id is None:
        raise ApiError(404, "no_such_offer", "No conversation is offered to you under this id.")
    return conversation_id


async def accept_offer(request: web.Request) -> web.Response:
    conversation_id = await _offered_to_me(request)
    return await send_command(request, AcceptOffer(**command_fields(request[AGENT]), conversation_id=conversation_id))


async def decline_offer(request: web.Request) -> web.Response:
    conversation_id = await _offered_to_me(request)
    return await send_command(request, DeclineOffer(**command_fields(request[AGENT]), conversation_id=conversation_id))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v1/me", me)
    app.router.add_put("/v1/me/status", set_status)
    app.router.add_get("/v1/conversations", list_conversations)
    app.router.add_get("/v1/conversations/{id}", get_conversation)
    app.router.add_post("/v1/conversations/{id}/replies", reply)
    app.router.add_post("/v1/conversations/{id}/resolve", resolve)
    app.router.add_post("/v1/conversations/{id}/transfer", transfer)
    app.router.add_post("/v1/conversations/{id}/accept", accept_offer)
    app.router.add_post("/v1/conversations/{id}/decline", decline_offer)
