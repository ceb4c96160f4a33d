"""Consent over HTTP: what the customer told an agent about being contacted on a channel.

The router owns contacts, so each choice is a `SetContactConsent` command (202); replies and
broadcasts then respect it.
"""

from typing import Annotated

import msgspec
from aiohttp import web

from contracts import SetContactConsent
from contracts.topology import AGENT_COMMAND_KEY
from services.agent_api.commands import customers
from services.agent_api.commands.customers import Channel, Identity
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.customer_routes import identity_of_conversation, visible_customer
from services.agent_api.http.requests import command_fields, read_body
from services.agent_api.queries import conversations as queries
from shared.broker import publish
from shared.http import ApiError, json_response


class ConsentRequest(msgspec.Struct, forbid_unknown_fields=True):
    channel: Channel
    allowed: bool
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


async def _record_consent(request: web.Request, identities: list[Identity], body: ConsentRequest) -> web.Response:
    """One SetContactConsent per address, each confirmed by the broker; 202 with their ids."""
    agent, sent = request[AGENT], []
    for identity in identities:
        command = SetContactConsent(
            **command_fields(agent),
            channel=identity.channel,
            customer_address=identity.address,
            allowed=body.allowed,
            reason=body.reason,
        )
        await publish(AgentDeps.of(request).broker, command, AGENT_COMMAND_KEY, message_id=command.command_id)
        sent.append(command.command_id)
    return json_response({"ids": sent, "status": "accepted"}, 202)


async def set_consent(request: web.Request) -> web.Response:
    """`PUT /v1/customers/{id}/consent`: the customer's choice for every address on one channel."""
    agent, body = request[AGENT], await read_body(request, ConsentRequest)
    async with AgentDeps.of(request).pool.acquire() as conn:
        customer_id = await visible_customer(conn, agent, request.match_info["id"])
        pairs = await customers.linked_pairs(conn, customer_id)
    identities = [Identity(channel, address) for channel, address in pairs if channel == body.channel]
    if not identities:
        raise ApiError(409, "no_contact_on_channel", f"The customer has no {body.channel} contact linked.")
    return await _record_consent(request, identities, body)


async def set_conversation_consent(request: web.Request) -> web.Response:
    """`PUT /v1/conversations/{id}/consent`: the choice for this conversation's own address."""
    body = await read_body(request, ConsentRequest)
    identity = await identity_of_conversation(
        AgentDeps.of(request).pool, request[AGENT], queries.parse_id(request.match_info["id"])
    )
    if identity.channel != body.channel:
        raise ApiError(
            409,
            "no_contact_on_channel",
            "This conversation's address is on another channel; use the customer's profile.",
        )
    return await _record_consent(request, [identity], body)


def register(app: web.Application) -> None:
    app.router.add_put("/v1/conversations/{id}/consent", set_conversation_consent)
    app.router.add_put("/v1/customers/{id}/consent", set_consent)
