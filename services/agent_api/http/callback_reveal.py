"""The number behind a due callback: its agent (or a supervisor) reveals it to place the call.

Like an unmask, the one way past the masking for a callback's customer, read and audited in one
transaction; the audit entry names the callback, never the number.
"""

import msgspec
from aiohttp import web

from domain.callbacks import visible
from services.agent_api.commands import audit
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.callback_routes import REFUSALS
from services.agent_api.queries import callbacks as callback_queries
from shared.http import ApiError, json_response
from shared.uow import UnitOfWork

REVEAL_PHONE = "reveal_phone"
REVEAL_REFUSALS = REFUSALS | {
    "not_your_callback": (403, "forbidden", "Only the callback's agent can reveal the number; claim it first."),
    "callback_not_due": (409, "callback_not_due", "The callback is not due yet."),
    "no_phone_number": (409, "no_phone_number", "No phone number is known for this customer."),
}


class RevealedNumber(msgspec.Struct):
    phone: str
    """In E.164, as the SMS channel keeps it."""
    tel: str
    """A `tel:` link to dial it."""
    audit_id: int


def reveal_refusal(task: dict | None, agent_id: str, is_supervisor: bool) -> str | None:
    """Why the caller may not see the number; None when they may: the task's agent or a supervisor,
    while it is open and due, and there is a number."""
    if task is None or not visible(task["assigned_agent_id"], agent_id, is_supervisor):
        return "callback_not_found"
    if task["state"] == "closed":
        return "callback_closed"
    if task["assigned_agent_id"] != agent_id and not is_supervisor:
        return "not_your_callback"
    if not task["due"]:
        return "callback_not_due"
    if not task["phone"]:
        return "no_phone_number"
    return None


def tel_link(phone: str) -> str:
    """`tel:` with the number's digits and its leading plus only (RFC 3966 global number)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"tel:+{digits}" if phone.lstrip().startswith("+") else f"tel:{digits}"


async def reveal_phone(request: web.Request) -> web.Response:
    """`POST /v1/callbacks/{id}/reveal`: the customer's number, once the audit entry is written."""
    agent, key = request[AGENT], callback_queries.callback_id(request.match_info["id"])

    async def read_and_record(uow: UnitOfWork) -> RevealedNumber:
        conn = uow.conn
        task = await callback_queries.number_to_call(conn, key) if key else None
        if refusal := reveal_refusal(task, agent.id, agent.is_supervisor):
            raise ApiError(*REVEAL_REFUSALS[refusal])
        detail = audit.token_detail(request, callback_id=str(key))
        audit_id = await audit.record(conn, agent, REVEAL_PHONE, conversation_id=task["conversation_id"], detail=detail)
        return RevealedNumber(task["phone"], tel_link(task["phone"]), audit_id)

    response = json_response(await AgentDeps.of(request).uow().run(read_and_record))
    response.headers["Cache-Control"] = "no-store"  # a number shown once is not kept by a cache
    return response


def register(app: web.Application) -> None:
    app.router.add_post("/v1/callbacks/{id}/reveal", reveal_phone)
