"""Broadcast commands and state: create (scheduled to start at its send time), pause, resume,
cancel; delivery reports; the start job. Each command applies once (notifier_commands)."""

import uuid
from datetime import datetime

import asyncpg
import msgspec

from contracts import DeliveryReported
from contracts.broadcasts import ControlBroadcast, CreateBroadcast
from services.notifier.scheduler import Job, schedule
from shared.uow import UnitOfWork

START = "broadcast.start"
ACTIVE = ("planning", "sending")
_encoder = msgspec.json.Encoder()


async def create(conn: asyncpg.Connection, command: CreateBroadcast) -> None:
    inserted = await conn.fetchval(
        "INSERT INTO broadcasts (id, name, created_by, audience, content, send_at)"
        " VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6) ON CONFLICT (id) DO NOTHING RETURNING true",
        uuid.UUID(command.broadcast_id),
        command.name,
        uuid.UUID(command.agent_id),
        _encoder.encode(command.audience).decode(),
        _encoder.encode(command.content).decode(),
        command.send_at,
    )
    if not inserted:
        return
    if command.audience.kind == "customers":
        await conn.executemany(
            "INSERT INTO broadcast_members (broadcast_id, customer_ref) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(uuid.UUID(command.broadcast_id), ref) for ref in command.audience.customer_ids],
        )
    await schedule(conn, START, f"{START}:{command.broadcast_id}", command.send_at, {"id": command.broadcast_id})


async def control(conn: asyncpg.Connection, command: ControlBroadcast) -> str | None:
    """Pause, resume or cancel; the reason it cannot be, or None."""
    broadcast_id = uuid.UUID(command.broadcast_id)
    state = await conn.fetchval("SELECT state FROM broadcasts WHERE id = $1 FOR UPDATE", broadcast_id)
    if state is None:
        return "broadcast_not_found"
    match command.action:
        case "pause" if state in ("scheduled", *ACTIVE):
            await _set(conn, broadcast_id, "paused", paused_from=state)
        case "resume" if state == "paused":
            await conn.execute(
                "UPDATE broadcasts SET state = paused_from, paused_from = NULL, updated_at = now() WHERE id = $1",
                broadcast_id,
            )
        case "cancel" if state not in ("cancelled", "done"):
            await _set(conn, broadcast_id, "cancelled")
            await conn.execute(
                "UPDATE broadcast_recipients SET state = 'skipped', reason = 'cancelled', updated_at = now()"
                " WHERE broadcast_id = $1 AND state = 'queued'",
                broadcast_id,
            )
        case _:
            return f"cannot_{command.action}_{state}"
    return None


async def _set(conn: asyncpg.Connection, broadcast_id: uuid.UUID, state: str, paused_from: str | None = None) -> None:
    await conn.execute(
        "UPDATE broadcasts SET state = $2, paused_from = $3, updated_at = now(),"
        " finished_at = CASE WHEN $2 IN ('cancelled', 'done') THEN now() END WHERE id = $1",
        broadcast_id,
        state,
        paused_from,
    )


async def on_start(uow: UnitOfWork, job: Job) -> datetime | None:
    """At the send time: planning begins (a paused broadcast starts planning when resumed)."""
    await uow.conn.execute(
        "UPDATE broadcasts SET state = CASE WHEN state = 'scheduled' THEN 'planning' ELSE state END,"
        " paused_from = CASE WHEN state = 'paused' AND paused_from = 'scheduled' THEN 'planning' ELSE paused_from END,"
        " started_at = now(), updated_at = now() WHERE id = $1",
        uuid.UUID(job.payload["id"]),
    )
    return None


async def record_delivery(report: DeliveryReported, uow: UnitOfWork) -> None:
    """A channel's word on a broadcast message; states only move forward (sent, then delivered or failed)."""
    await uow.conn.execute(
        "UPDATE broadcast_recipients SET state = $2, reason = $3, updated_at = now()"
        " WHERE message_id = $1 AND (state IN ('queued', 'sent') OR (state = 'delivered' AND $2 = 'failed'))"
        " AND state <> $2",
        _uuid(report.message_id),
        report.status.value,
        report.reason,
    )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
