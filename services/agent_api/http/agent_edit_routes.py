"""Admins change an agent's role, skills, languages, teams, channels and capacity.

The router and authentication read agents from the database on every routing pass and every
request, so a change holds from the next one: there is no cache to tell.
"""

from typing import Annotated, Literal

import asyncpg
import msgspec
from aiohttp import web

from contracts import Category, Channel
from services.agent_api.commands import accounts, audit
from services.agent_api.http.admin_routes import Label, admins_only
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import read_body
from shared.http import ApiError, json_response

UPDATE_AGENT = "update_agent"
MAX_ITEMS = 32


class AgentChanges(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change; an empty list means "any" for skills, languages and channels."""

    role: Literal["agent", "supervisor", "admin"] | None = None
    capacity: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    skills: Annotated[list[Category], msgspec.Meta(max_length=MAX_ITEMS)] | None = None
    """Request categories the agent is skilled in."""
    languages: Annotated[list[Label], msgspec.Meta(max_length=MAX_ITEMS)] | None = None
    channels: Annotated[list[Channel], msgspec.Meta(max_length=MAX_ITEMS)] | None = None
    teams: Annotated[list[Label], msgspec.Meta(max_length=MAX_ITEMS)] | None = None

    def __post_init__(self) -> None:
        if not self.given():
            raise ValueError("name at least one field to change")

    def _fields(self) -> list[tuple[str, object]]:
        return [(name, getattr(self, name)) for name in self.__struct_fields__]

    def given(self) -> dict:
        """The fields to change, lists without repeats in the order given."""
        return {
            name: list(dict.fromkeys(str(item) for item in value)) if isinstance(value, list) else value
            for name, value in self._fields()
            if value is not None
        }


@admins_only
async def update_agent(request: web.Request, conn: asyncpg.Connection) -> web.Response:
    """`PATCH /v1/admin/agents/{id}`: the agent as it is after the change; audited with what changed."""
    changes = (await read_body(request, AgentChanges)).given()
    async with conn.transaction():  # the change and its audit entry commit together
        try:
            before, after = await accounts.update_agent(conn, request.match_info["id"], changes)
        except accounts.LastAdmin as exc:
            raise ApiError(409, "last_admin", str(exc)) from None
        changed = {name: {"from": before[name], "to": after[name]} for name in changes if before[name] != after[name]}
        detail = audit.token_detail(request, agent_id=after["id"], changed=changed)
        await audit.record(conn, request[AGENT], UPDATE_AGENT, detail=detail)
    return json_response(after)


def register(app: web.Application) -> None:
    app.router.add_patch("/v1/admin/agents/{id}", update_agent)
