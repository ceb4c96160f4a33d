"""Privacy at the edge: a supervisor unmasks one message, giving a reason; admins read the audit log.

Every other response masks customer data (shared/pii.py); these are the only ways past the
masking, and each use of them leaves an audit entry naming who, when, what and why.
"""

import uuid
from typing import Annotated

import msgspec
from aiohttp import web

from services.agent_api.commands import audit
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import read_body, read_query
from shared.http import ApiError, json_response
from shared.uow import UnitOfWork

MESSAGE = "SELECT id::text AS id, conversation_id::text AS conversation_id, text FROM messages WHERE id = $1"


class UnmaskRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]

    def __post_init__(self) -> None:
        self.reason = self.reason.strip()
        if len(self.reason) < 3:
            raise ValueError("the reason must say why, in at least 3 characters")


def _message_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(404, "not_found", "No such message.") from None


async def unmask(request: web.Request) -> web.Response:
    """`POST /v1/messages/{id}/unmask`: the one message's original text, read and audited at once."""
    agent = request[AGENT]
    if not agent.is_supervisor:
        raise ApiError(403, "forbidden", "Only supervisors and admins can unmask a message.")
    body = await read_body(request, UnmaskRequest)
    message_id = _message_id(request.match_info["id"])

    async def read_and_record(uow: UnitOfWork) -> dict:
        conn = uow.conn
        row = await conn.fetchrow(MESSAGE, message_id)
        if row is None:
            raise ApiError(404, "not_found", "No such message.")
        audit_id = await audit.record(
            conn,
            agent,
            audit.UNMASK_MESSAGE,
            conversation_id=row["conversation_id"],
            message_id=row["id"],
            reason=body.reason,
            detail=audit.token_detail(request),
        )
        return {**dict(row), "audit_id": audit_id}

    return json_response(await AgentDeps.of(request).uow().run(read_and_record))


def _audit_query(params) -> audit.AuditQuery:
    """The query string as filters: empty values mean no filter; 422 when one does not fit."""
    fields = {name: value for name, value in params.items() if value != ""}
    for name in ("from", "to"):
        if name in fields:  # a '+' sent unencoded in an offset arrives as a space
            fields[name] = fields[name].replace(" ", "+")
    return read_query(fields, audit.AuditQuery)


async def audit_log(request: web.Request) -> web.Response:
    """`GET /v1/admin/audit`: entries newest first; pass `next_after` back as `after` for the next page."""
    if not request[AGENT].is_admin:
        raise ApiError(403, "forbidden", "Only admins can read the audit log.")
    query = _audit_query(request.query)
    found = await audit.entries(AgentDeps.of(request).pool, query)
    next_after = found[-1]["id"] if len(found) == query.limit else None
    return json_response({"entries": found, "next_after": next_after})


def register(app: web.Application) -> None:
    app.router.add_post("/v1/messages/{id}/unmask", unmask)
    app.router.add_get("/v1/admin/audit", audit_log)
