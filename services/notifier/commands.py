"""Agents' callback commands, applied once each: create, claim, record an outcome.

The agent API checked the same rules before sending (domain/callbacks.py); they
are checked again here against the locked task, and a refusal reaches the agent's stream.
"""

import logging
import uuid

import asyncpg

from contracts import (
    CallbackCommand,
    CallbackUpdated,
    ClaimCallback,
    CommandRejected,
    CreateCallback,
    RecordCallbackOutcome,
)
from contracts.topology import agent_event_key
from domain.callbacks import after_outcome, claim_refusal, outcome_refusal
from services.notifier import store
from services.notifier.config import CallbackConfig
from services.notifier.store import NewTask, TaskRow
from services.notifier.tasks import about, create, now, schedule_reminder, tell_assigned
from shared.outbox import Outbox

log = logging.getLogger("relaydesk.notifier")


def reject(
    command: CallbackCommand, callback_id: str, conversation_id: str | None, reason: str, outbox: Outbox
) -> None:
    log.info("command %s refused: %s", type(command).__name__, reason)
    event = CommandRejected(
        conversation_id or "",
        command.agent_id,
        now(),
        command_id=command.command_id,
        reason=reason,
        callback_id=callback_id,
    )
    outbox.add(agent_event_key(command.agent_id), event, command.agent_id)


async def apply(conn: asyncpg.Connection, command: CallbackCommand, outbox: Outbox, config: CallbackConfig) -> None:
    if not await store.claim_command(conn, command.command_id):
        return  # a redelivery: applied already
    match command:
        case CreateCallback():
            await _create(conn, command, outbox)
        case ClaimCallback() | RecordCallbackOutcome():
            row = await store.lock_task(conn, command.callback_id)
            is_supervisor = await conn.fetchval(
                "SELECT role IN ('supervisor', 'admin') FROM agents WHERE id = $1", uuid.UUID(command.agent_id)
            )
            rule = claim_refusal if isinstance(command, ClaimCallback) else outcome_refusal
            if refusal := rule(row.task if row else None, command.agent_id, bool(is_supervisor)):
                reject(command, command.callback_id, row.conversation_id if row else None, refusal, outbox)
            elif isinstance(command, ClaimCallback):
                await _claim(conn, command, row, outbox)
            else:
                await _record_outcome(conn, command, row, outbox, config)


async def _create(conn: asyncpg.Connection, command: CreateCallback, outbox: Outbox) -> None:
    conversation = None
    if command.conversation_id is not None:
        conversation = await conn.fetchrow(
            "SELECT category, language FROM conversations WHERE id = $1", uuid.UUID(command.conversation_id)
        )
        if conversation is None:
            reject(command, command.callback_id, None, "conversation_not_found", outbox)
            return
    found = await store.customer_at(conn, command.channel, command.customer_address)
    await create(
        conn,
        NewTask(
            id=command.callback_id,
            dedupe_key=f"agent:{command.callback_id}",
            source="agent",
            reason=command.reason,
            channel=command.channel,
            customer_address=command.customer_address,
            customer_name=found.name,
            customer_id=found.customer_id,
            conversation_id=command.conversation_id,
            category=conversation["category"] if conversation else "other",
            language=conversation["language"] if conversation else "",
            note=command.note,
            due_at=command.due_at,
            preferred_agent_id=command.agent_id,
            assigned_agent_id=command.agent_id,
            created_by=command.agent_id,
        ),
        outbox,
    )


async def _claim(conn: asyncpg.Connection, command: ClaimCallback, row: TaskRow, outbox: Outbox) -> None:
    await store.assign(conn, row.task.id, command.agent_id, claimed=True)
    await store.record(conn, row.task.id, "claimed", command.agent_id)
    tell_assigned(row, command.agent_id, "claimed", outbox)


async def _record_outcome(
    conn: asyncpg.Connection, command: RecordCallbackOutcome, row: TaskRow, outbox: Outbox, config: CallbackConfig
) -> None:
    task = row.task
    try:
        step = after_outcome(
            task, command.outcome, now(), config.retry_schedule, config.no_answer_limit, command.reschedule_at
        )
    except ValueError:
        reject(command, task.id, row.conversation_id, "invalid_reschedule_at", outbox)
        return
    if step.closes:
        await store.close(conn, task.id, step.result, step.attempts)
        await store.record(conn, task.id, step.event, command.agent_id, result=step.result, note=command.note)
        due_at = task.due_at
    else:
        cycle = await store.reschedule(conn, task.id, step.due_at, step.attempts)
        await store.record(conn, task.id, step.event, command.agent_id, note=command.note, due_at=step.due_at)
        await schedule_reminder(conn, task.id, cycle, step.due_at)
        due_at = step.due_at
    event = CallbackUpdated(
        **(about(row) | {"due_at": due_at}),
        agent_id=command.agent_id,
        occurred_at=now(),
        state="closed" if step.closes else "scheduled",
        outcome=step.result or command.outcome.value,
        attempts=step.attempts,
    )
    outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
