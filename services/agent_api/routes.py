"""The agents' REST API: who am I, my status, my conversations, reply and resolve.

Reads come from the router's tables; every change is a command to the router over the
bus, answered 202 once the broker has confirmed it.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, TypeVar

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
from contracts.topology import AGENT_COMMAND_KEY
from services.agent_api import audit, queries
from services.agent_api.auth import AGENT, Agent
from shared.broker import publish
from shared.http import BROKER, POOL, ApiError, json_response
from shared.pii import mask

MAX_REPLY_CHARS = 4000
T = TypeVar("T")


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    status: AgentStatus


class ReplyRequest(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REPLY_CHARS)]


class TransferRequest(msgspec.Struct, forbid_unknown_fields=True):
    """To a named agent, to a team's queue, or (neither) back to the queue for anyone else."""

    to_agent_id: uuid.UUID | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    to_team: Annotated[str, msgspec.Meta(pattern="^[a-z0-9_-]{1,64}$")] | None = None

    def __post_init__(self) -> None:
        if self.to_agent_id is not None and self.to_team is not None:
            raise ValueError("name an agent or a team, not both")


async def read_body(request: web.Request, kind: type[T]) -> T:
    """The JSON body as `kind`: 400 when it is not JSON, 422 when it does not fit."""
    try:
        return msgspec.json.decode(await request.read(), type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json", "The body must be a JSON object.") from None


async def send_command(request: web.Request, command) -> web.Response:
    await publish(request.app[BROKER], command, AGENT_COMMAND_KEY, message_id=command.command_id)
    return json_response({"id": command.command_id, "status": "accepted"}, 202)


def _command_fields(agent: Agent) -> dict:
    return {"command_id": str(uuid.uuid4()), "agent_id": agent.id, "issued_at": datetime.now(UTC)}


async def me(request: web.Request) -> web.Response:
    agent = request[AGENT]
    status, open_count = await queries.agent_status(request.app[POOL], agent.id)
    return json_response({**msgspec.to_builtins(agent), "status": status, "open_conversations": open_count})


async def set_status(request: web.Request) -> web.Response:
    body = await read_body(request, StatusRequest)
    return await send_command(request, SetAgentStatus(**_command_fields(request[AGENT]), status=body.status))


async def list_conversations(request: web.Request) -> web.Response:
    rows = await queries.open_conversations(request.app[POOL], request[AGENT].id)
    for row in rows:
        row["customer_address"] = mask(row["customer_address"])  # an SMS number, an email address
    return json_response({"conversations": rows})


async def get_conversation(request: web.Request) -> web.Response:
    """The conversation and its messages, masked; the view is audited before anything is shown."""
    pool, agent = request.app[POOL], request[AGENT]
    conversation = await queries.visible_conversation(pool, agent, request.match_info["id"])
    messages = await queries.messages(pool, conversation["id"])
    for message in messages:
        message["attachments"] = msgspec.json.decode(message["attachments"])
        message["text"] = mask(message["text"])
    await audit.record(pool, agent, audit.VIEW_CONVERSATION, conversation_id=conversation["id"],
                       detail=audit.token_detail(request, messages=len(messages)))
    conversation["customer_address"] = mask(conversation["customer_address"])
    return json_response({**conversation, "messages": messages})


async def _own_open_conversation(request: web.Request) -> dict:
    """The caller's conversation, still open: 404 when not theirs, 409 when resolved."""
    agent = request[AGENT]
    conversation = await queries.visible_conversation(request.app[POOL], agent, request.match_info["id"])
    if conversation["status"] == "resolved":
        raise ApiError(409, "conversation_resolved", "The conversation is already resolved.")
    if conversation["agent_id"] != agent.id:
        raise ApiError(409, "not_assigned_to_you", "Only the assigned agent can act on it.")
    return conversation


async def reply(request: web.Request) -> web.Response:
    body = await read_body(request, ReplyRequest)
    conversation = await _own_open_conversation(request)
    command = SendReply(**_command_fields(request[AGENT]), conversation_id=conversation["id"], text=body.text)
    return await send_command(request, command)


async def resolve(request: web.Request) -> web.Response:
    conversation = await _own_open_conversation(request)
    return await send_command(
        request, ResolveConversation(**_command_fields(request[AGENT]), conversation_id=conversation["id"])
    )


async def transfer(request: web.Request) -> web.Response:
    body = await read_body(request, TransferRequest)
    conversation = await _own_open_conversation(request)
    command = TransferConversation(
        **_command_fields(request[AGENT]),
        conversation_id=conversation["id"],
        to_agent_id=str(body.to_agent_id) if body.to_agent_id else None,
        note=body.note,
        to_team=body.to_team,
    )
    return await send_command(request, command)


async def _offered_to_me(request: web.Request) -> str:
    """The conversation offered to the caller now: 404 when none is, so offers stay private."""
    conversation_id = await queries.offered_to(request.app[POOL], request[AGENT].id, request.match_info["id"])
    if conversation_id is None:
        raise ApiError(404, "no_such_offer", "No conversation is offered to you under this id.")
    return conversation_id


async def accept_offer(request: web.Request) -> web.Response:
    conversation_id = await _offered_to_me(request)
    return await send_command(request, AcceptOffer(**_command_fields(request[AGENT]), conversation_id=conversation_id))


async def decline_offer(request: web.Request) -> web.Response:
    conversation_id = await _offered_to_me(request)
    return await send_command(request, DeclineOffer(**_command_fields(request[AGENT]), conversation_id=conversation_id))


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
