"""Reading a request (JSON body, query string) into a Struct, and sending a command to the router."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

import msgspec
from aiohttp import web

from contracts.topology import AGENT_COMMAND_KEY
from services.agent_api.deps import AgentDeps
from services.agent_api.http import bounds
from services.agent_api.http.auth import Agent
from shared.broker import publish
from shared.http import ApiError, json_response

T = TypeVar("T")


async def read_body(request: web.Request, kind: type[T]) -> T:
    """The JSON body as `kind`: 400 when it is not JSON, 422 when it does not fit; then every value
    within bounds (services/agent_api/http/bounds.py)."""
    try:
        body = msgspec.json.decode(await request.read(), type=kind)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json", "The body must be a JSON object.") from None
    bounds.check(body, datetime.now(UTC))
    return body


def read_query(fields: Mapping[str, object], kind: type[T]) -> T:
    """Query parameters as `kind` (strings converted to its field types); 422 when they do not fit,
    400 when a value is out of bounds."""
    try:
        query = msgspec.convert(dict(fields), kind, strict=False)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    bounds.check(query, datetime.now(UTC))
    return query


def command_fields(agent: Agent) -> dict:
    """The fields every command carries: a fresh id (the router applies each once), who, when."""
    return {"command_id": str(uuid.uuid4()), "agent_id": agent.id, "issued_at": datetime.now(UTC)}


async def send_command(request: web.Request, command, routing_key: str = AGENT_COMMAND_KEY) -> web.Response:
    """Publish a command (to the router, unless another key is named); 202 once the broker has confirmed it."""
    await publish(AgentDeps.of(request).broker, command, routing_key, message_id=command.command_id)
    return json_response({"id": command.command_id, "status": "accepted"}, 202)
