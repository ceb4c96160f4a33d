"""What agents do around a conversation besides replying: internal notes, tags, reopening.

Notes and tags belong to the agent API and are written here at once; reopening changes the
router's conversation, so it is a command (202), checked here first so common mistakes get
their answer synchronously.
"""

from typing import Annotated

import msgspec
from aiohttp import web

from contracts import ReopenConversation
from services.agent_api.commands import notes
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import command_fields, read_body, send_command
from services.agent_api.queries import conversations as queries
from services.agent_api.queries.listing import Label
from shared.http import ApiError, json_response


class NewNote(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class NewTag(msgspec.Struct, forbid_unknown_fields=True):
    tag: Label


class ReopenRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


async def _visible(request: web.Request) -> dict:
    return await queries.visible_conversation(AgentDeps.of(request).pool, request[AGENT], request.match_info["id"])


async def list_notes(request: web.Request) -> web.Response:
    conversation = await _visible(request)
    names = (conversation["customer_name"] or "",)
    return json_response({"notes": await notes.of(AgentDeps.of(request).pool, conversation["id"], names)})


async def add_note(request: web.Request) -> web.Response:
    """An internal note: never sent to the customer, seen by whoever opens the conversation."""
    body = await read_body(request, NewNote)
    conversation = await _visible(request)
    return json_response(
        await notes.add(AgentDeps.of(request).pool, request[AGENT], conversation["id"], body.text), 201
    )


async def add_tag(request: web.Request) -> web.Response:
    body = await read_body(request, NewTag)
    conversation = await _visible(request)
    return json_response(
        {"tags": await notes.tag(AgentDeps.of(request).pool, request[AGENT], conversation["id"], body.tag)}
    )


async def remove_tag(request: web.Request) -> web.Response:
    conversation = await _visible(request)
    return json_response(
        {"tags": await notes.untag(AgentDeps.of(request).pool, conversation["id"], request.match_info["tag"])}
    )


async def reopen(request: web.Request) -> web.Response:
    """Back to the queue, to the reopening agent first; 409 unless resolved and the customer has no
    other open conversation on the channel."""
    body = await read_body(request, ReopenRequest)
    pool, agent = AgentDeps.of(request).pool, request[AGENT]
    conversation = await _visible(request)
    if conversation["status"] != "resolved":
        raise ApiError(409, "conversation_not_resolved", "Only a resolved conversation can be reopened.")
    if await queries.open_conversation_of(pool, conversation["channel"], conversation["id"]):
        raise ApiError(
            409,
            "customer_has_open_conversation",
            "The customer has another open conversation on this channel; continue there.",
        )
    if body.note.strip():
        await notes.add(pool, agent, conversation["id"], body.note, "reopen")
    return await send_command(request, ReopenConversation(**command_fields(agent), conversation_id=conversation["id"]))


def register(app: web.Application) -> None:
    app.router.add_get("/v1/conversations/{id}/notes", list_notes)
    app.router.add_post("/v1/conversations/{id}/notes", add_note)
    app.router.add_post("/v1/conversations/{id}/tags", add_tag)
    app.router.add_delete("/v1/conversations/{id}/tags/{tag}", remove_tag)
    app.router.add_post("/v1/conversations/{id}/reopen", reopen)
