"""Broadcasts for supervisors: create one (what each channel says, to whom, when), follow its
progress, pause, resume or cancel it. The notifier owns broadcasts; changes are commands (202)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from aiohttp import web

from contracts.broadcasts import Audience, Content, ControlBroadcast, CreateBroadcast
from contracts.topology import NOTIFY_COMMAND_KEY
from domain.sms import segments
from services.agent_api.deps import AgentDeps
from services.agent_api.http.auth import AGENT
from services.agent_api.http.requests import command_fields, read_body
from services.agent_api.queries import conversations as queries
from shared.broker import publish
from shared.http import ApiError, json_response

FIELDS = (
    "id::text AS id, name, created_by::text AS created_by, audience, content, send_at, state, planned,"
    " created_at, started_at, finished_at"
)


class NewBroadcast(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    audience: Audience
    content: Content
    send_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None
    """When to start; now when left out."""


def estimate(content: Content, cost_per_segment: float, sms_recipients: int | None = None) -> dict:
    """What the SMS text costs: its parts, per message and, once planned, in all."""
    if content.sms is None:
        return {}
    parts = segments(content.sms.text)
    found = {
        "encoding": parts.encoding,
        "segments": parts.count,
        "cost_per_message": round(parts.count * cost_per_segment, 4),
    }
    if sms_recipients is not None:
        found |= {"recipients": sms_recipients, "cost": round(sms_recipients * parts.count * cost_per_segment, 2)}
    return {"sms": found}


def malformed_id(audience: Audience) -> str | None:
    """The path of the first customer id nobody could have: control characters, space at an end."""
    for index, customer in enumerate(audience.customer_ids):
        if not customer.isprintable() or customer != customer.strip():
            return f"audience.customer_ids[{index}]"
    return None


def _supervisor(request: web.Request) -> None:
    if not request[AGENT].is_supervisor:
        raise ApiError(403, "forbidden", "Only supervisors send broadcasts.")


async def create(request: web.Request) -> web.Response:
    _supervisor(request)
    body = await read_body(request, NewBroadcast)
    if field := malformed_id(body.audience):
        message = f"'{field}' is not a customer id: ids have no control characters and no space at either end."
        raise ApiError(422, "invalid_request", message)
    command = CreateBroadcast(
        **command_fields(request[AGENT]),
        broadcast_id=str(uuid.uuid4()),
        name=body.name,
        audience=body.audience,
        content=body.content,
        send_at=body.send_at or datetime.now(UTC),
    )
    await publish(AgentDeps.of(request).broker, command, NOTIFY_COMMAND_KEY, message_id=command.command_id)
    cost = AgentDeps.of(request).settings.sms_segment_cost
    return json_response(
        {"id": command.broadcast_id, "status": "accepted", "estimate": estimate(body.content, cost)}, 202
    )


async def preview(request: web.Request) -> web.Response:
    """`POST /v1/broadcasts/estimate`: what creating this broadcast would say it costs; nothing is sent."""
    _supervisor(request)
    body = await read_body(request, NewBroadcast)
    return json_response({"estimate": estimate(body.content, AgentDeps.of(request).settings.sms_segment_cost)})


async def progress(request: web.Request) -> web.Response:
    """`GET /v1/broadcasts/{id}`: the broadcast and how far it got, per channel and outcome."""
    _supervisor(request)
    pool = AgentDeps.of(request).pool
    broadcast_id = queries.parse_id(request.match_info["id"], "broadcast")
    row = await pool.fetchrow(f"SELECT {FIELDS} FROM broadcasts WHERE id = $1", broadcast_id)
    if row is None:
        raise ApiError(404, "not_found", "No such broadcast.")
    counts = await pool.fetch(
        "SELECT channel, CASE WHEN state = 'queued' AND not_before > now() THEN 'held' ELSE state END AS outcome,"
        " reason, count(*)::int AS n FROM broadcast_recipients WHERE broadcast_id = $1 GROUP BY 1, 2, 3",
        broadcast_id,
    )
    totals = dict.fromkeys(("queued", "held", "sent", "delivered", "failed", "skipped"), 0)
    by_channel: dict[str, dict[str, int]] = {}
    skipped: dict[str, int] = {}
    for count in counts:
        totals[count["outcome"]] += count["n"]
        channel = by_channel.setdefault(count["channel"], dict.fromkeys(totals, 0))
        channel[count["outcome"]] += count["n"]
        if count["outcome"] in ("skipped", "failed") and count["reason"]:
            skipped[count["reason"]] = skipped.get(count["reason"], 0) + count["n"]
    content = msgspec.json.decode(row["content"], type=Content)
    sms = sum(by_channel.get("sms", {}).get(state, 0) for state in ("queued", "held", "sent", "delivered", "failed"))
    view = {
        **dict(row),
        "audience": msgspec.json.decode(row["audience"]),
        "content": msgspec.json.decode(row["content"]),
        "progress": {**totals, "reasons": skipped, "by_channel": by_channel},
        "estimate": estimate(content, AgentDeps.of(request).settings.sms_segment_cost, sms),
    }
    return json_response(view)


async def listing(request: web.Request) -> web.Response:
    _supervisor(request)
    rows = await AgentDeps.of(request).pool.fetch(
        f"SELECT {FIELDS.replace('audience, content, ', '')} FROM broadcasts ORDER BY created_at DESC LIMIT 200"
    )
    return json_response({"broadcasts": [dict(row) for row in rows]})


def control(action: Literal["pause", "resume", "cancel"]):
    async def handler(request: web.Request) -> web.Response:
        _supervisor(request)
        broadcast_id = queries.parse_id(request.match_info["id"], "broadcast")
        state = await AgentDeps.of(request).pool.fetchval("SELECT state FROM broadcasts WHERE id = $1", broadcast_id)
        if state is None:
            raise ApiError(404, "not_found", "No such broadcast.")
        allowed = {
            "pause": ("scheduled", "planning", "sending"),
            "resume": ("paused",),
            "cancel": ("scheduled", "planning", "sending", "paused"),
        }[action]
        if state not in allowed:
            raise ApiError(409, "invalid_state", f"A {state} broadcast cannot be {action}d.")
        command = ControlBroadcast(**command_fields(request[AGENT]), broadcast_id=str(broadcast_id), action=action)
        await publish(AgentDeps.of(request).broker, command, NOTIFY_COMMAND_KEY, message_id=command.command_id)
        return json_response({"id": command.command_id, "status": "accepted"}, 202)

    return handler


def register(app: web.Application) -> None:
    app.router.add_get("/v1/broadcasts", listing)
    app.router.add_post("/v1/broadcasts", create)
    app.router.add_post("/v1/broadcasts/estimate", preview)
    app.router.add_get("/v1/broadcasts/{id}", progress)
    for action in ("pause", "resume", "cancel"):
        app.router.add_post(f"/v1/broadcasts/{{id}}/{action}", control(action))
