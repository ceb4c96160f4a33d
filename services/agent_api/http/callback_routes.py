"""The callback worklist (回访): list, read, create, claim, record how the call went.

Reads come from the notifier's tables; every change is a command to the notifier over the
bus, answered 202 once the broker has confirmed it. The same rules the notifier applies
(domain/callbacks.py) are checked first here, so most refusals are immediate.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from contracts import CallbackOutcome, Channel, ClaimCallback, CreateCallback, RecordCallbackOutcome
from contracts.topology import NOTIFY_COMMAND_KEY
from domain.callbacks import claim_refusal, outcome_refusal, visible
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import command_fields, read_body, read_query, send_command
from services.agent_api.queries import callbacks as callback_queries
from services.agent_api.queries import conversations as queries
from shared.addresses import shown_address
from shared.http import ApiError, json_response
from shared.pii import mask

Aware = Annotated[datetime, msgspec.Meta(tz=True)]
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
REFUSALS = {
    "callback_not_found": (404, "not_found", "No such callback."),
    "callback_closed": (409, "callback_closed", "The callback is closed."),
    "callback_already_claimed": (409, "callback_already_claimed", "Someone has claimed this callback already."),
    "not_assigned_to_you": (409, "not_assigned_to_you", "Only the callback's agent can record how it went."),
}


class CallbacksQuery(msgspec.Struct, forbid_unknown_fields=True):
    state: Literal["open", "scheduled", "due", "closed", "all"] = "open"
    agent_id: Annotated[str, msgspec.Meta(pattern=f"^(me|none|{UUID_PATTERN})$")] | None = None
    """One agent's callbacks (`me` for yours; others' for supervisors only), or `none` for the unassigned pool."""
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100


class NewCallback(msgspec.Struct, forbid_unknown_fields=True):
    """A call to the customer of a conversation, or to a contact named by channel and address."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    conversation_id: uuid.UUID | None = None
    channel: Channel | None = None
    customer_address: Annotated[str, msgspec.Meta(min_length=1, max_length=320)] | None = None
    due_at: Aware | None = None
    """When to call; now when left out."""
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""

    def __post_init__(self) -> None:
        by_contact = self.channel is not None and self.customer_address is not None
        if (self.conversation_id is not None) == by_contact:
            raise ValueError("name a conversation_id, or a channel and customer_address")


class OutcomeRequest(msgspec.Struct, forbid_unknown_fields=True):
    outcome: CallbackOutcome
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    reschedule_at: Aware | None = None

    def __post_init__(self) -> None:
        if (self.outcome == CallbackOutcome.RESCHEDULE) != (self.reschedule_at is not None):
            raise ValueError("'reschedule_at' goes with the 'reschedule' outcome, and only with it")


class CallbackSummary(msgspec.Struct):
    id: str
    state: Literal["scheduled", "due", "closed"]
    result: str | None
    source: Literal["rule", "preapproval", "agent"]
    reason: str
    category: str
    channel: str
    customer_address: str
    """Masked where it is a phone number or an email address."""
    customer_name: str
    customer_id: str | None
    conversation_id: str | None
    assigned_agent_id: str | None
    claimed: bool
    due_at: datetime
    attempts: int
    overdue: bool
    application_type: str | None
    created_at: datetime


class CallbackList(msgspec.Struct):
    callbacks: list[CallbackSummary]


class HistoryEntry(msgspec.Struct):
    at: datetime
    event: str
    agent_id: str | None
    result: str | None
    note: str
    due_at: datetime | None


class CallbackDetail(CallbackSummary):
    application_id: str | None
    details: dict[str, str]
    note: str
    links: dict[str, str]
    """Where to read the conversation and the customer's profile before calling."""
    history: list[HistoryEntry]


def _masked(row: dict) -> dict:
    return {**row, "customer_address": shown_address(row["channel"], row["customer_address"])}


async def list_callbacks(request: web.Request) -> web.Response:
    """`GET /v1/callbacks`: due and upcoming callbacks, soonest first."""
    agent = request[AGENT]
    query = read_query(request.query, CallbacksQuery)
    assignee = query.agent_id
    if assignee == "me":
        assignee = agent.id
    elif assignee not in (None, "none"):
        assignee = str(uuid.UUID(assignee))
    if assignee not in (None, agent.id, "none") and not agent.is_supervisor:
        raise ApiError(403, "forbidden", "Agents can filter by their own id ('me') or the pool ('none') only.")
    rows = await callback_queries.worklist(AgentDeps.of(request).pool, agent, query.state, assignee, query.limit)
    return json_response(CallbackList([msgspec.convert(_masked(row), CallbackSummary) for row in rows]))


async def get_callback(request: web.Request) -> web.Response:
    """`GET /v1/callbacks/{id}`: what to prepare the call with, masked, and the history so far."""
    agent, key = request[AGENT], callback_queries.callback_id(request.match_info["id"])
    found = await callback_queries.detail(AgentDeps.of(request).pool, key) if key else None
    if found is None or not visible(found["assigned_agent_id"], agent.id, agent.is_supervisor):
        raise ApiError(*REFUSALS["callback_not_found"])
    found = _masked(found) | {
        "details": {name: mask(value) for name, value in msgspec.json.decode(found["details"]).items()},
        "note": mask(found["note"]),
        "history": [entry | {"note": mask(entry["note"])} for entry in found["history"]],
        "links": {
            name: f"/v1/{kind}/{found[field]}"
            for name, kind, field in (
                ("conversation", "conversations", "conversation_id"),
                ("customer", "customers", "customer_id"),
            )
            if found[field]
        },
    }
    return json_response(msgspec.convert(found, CallbackDetail))


async def create_callback(request: web.Request) -> web.Response:
    """`POST /v1/callbacks`: schedule a call to a customer the caller may see; it is theirs."""
    agent, pool = request[AGENT], AgentDeps.of(request).pool
    body = await read_body(request, NewCallback)
    if body.conversation_id is not None:
        conversation = await queries.visible_conversation(pool, agent, str(body.conversation_id))
        channel, address = conversation["channel"], conversation["customer_address"]
    elif await callback_queries.contact_for(pool, agent, body.channel.value, body.customer_address):
        channel, address = body.channel.value, body.customer_address
    else:
        raise ApiError(404, "not_found", "No such customer among those you served.")
    fields = command_fields(agent)
    command = CreateCallback(
        **fields,
        callback_id=fields["command_id"],
        channel=channel,
        customer_address=address,
        reason=body.reason.strip(),
        due_at=body.due_at or datetime.now(UTC),
        note=body.note,
        conversation_id=str(body.conversation_id) if body.conversation_id else None,
    )
    return await send_command(request, command, NOTIFY_COMMAND_KEY)


async def _checked(request: web.Request, rule) -> str:
    """The callback's id once `rule` lets the caller act on it; its refusal as an HTTP error if not."""
    agent, key = request[AGENT], callback_queries.callback_id(request.match_info["id"])
    task = await callback_queries.rules_view(AgentDeps.of(request).pool, key) if key else None
    if refusal := rule(task, agent.id, agent.is_supervisor):
        raise ApiError(*REFUSALS[refusal])
    return task.id


async def claim_callback(request: web.Request) -> web.Response:
    callback = await _checked(request, claim_refusal)
    return await send_command(
        request, ClaimCallback(**command_fields(request[AGENT]), callback_id=callback), NOTIFY_COMMAND_KEY
    )


async def record_outcome(request: web.Request) -> web.Response:
    body = await read_body(request, OutcomeRequest)
    if body.reschedule_at is not None and body.reschedule_at <= datetime.now(UTC):
        raise ApiError(422, "invalid_request", "'reschedule_at' must be in the future.")
    callback = await _checked(request, outcome_refusal)
    command = RecordCallbackOutcome(
        **command_fields(request[AGENT]),
        callback_id=callback,
        outcome=body.outcome,
        note=body.note,
        reschedule_at=body.reschedule_at,
    )
    return await send_command(request, command, NOTIFY_COMMAND_KEY)


def register(app: web.Application) -> None:
    app.router.add_get("/v1/callbacks", list_callbacks)
    app.router.add_post("/v1/callbacks", create_callback)
    app.router.add_get("/v1/callbacks/{id}", get_callback)
    app.router.add_post("/v1/callbacks/{id}/claim", claim_callback)
    app.router.add_post("/v1/callbacks/{id}/outcome", record_outcome)
