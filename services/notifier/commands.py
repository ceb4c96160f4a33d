"""Agents' callback commands, applied once each: create, claim, record an outcome.

The agent API checked the same rules before sending (domain/callbacks.py); they
are checked again here against the locked task, and a refusal reaches the agent's stream.
"""

import logging
import uuid

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
from services.notifier.tasks import about, create, schedule_reminder, tell_assigned
from shared.uow import UnitOfWork

log = logging.getLogger("relaydesk.notifier")


def reject(
    uow: UnitOfWork, command: CallbackCommand, callback_id: str, conversation_id: str | None, reason: str
) -> None:
    log.info("command %s refused: %s", type(command).__name__, reason)
    event = CommandRejected(
        conversation_id or "",
        command.agent_id,
        uow.now,
        command_id=command.command_id,
        reason=reason,
        callback_id=callback_id,
    )
    uow.outbox.add(agent_event_key(command.agent_id), event, command.agent_id)


async def apply(uow: UnitOfWork, command: CallbackCommand, config: CallbackConfig) -> None:
    conn = uow.conn
    if not await store.claim_command(conn, command.command_id):
        return  # a redelivery: applied already
    match command:
        case CreateCallback():
            await _create(uow, command)
        case ClaimCallback() | RecordCallbackOutcome():
            row = await store.lock_task(conn, command.callback_id)
            is_supervisor = await conn.fetchval(
                "SELECT role IN ('supervisor', 'admin') FROM agents WHERE id = $1", uuid.UUID(command.agent_id)
            )
            rule = claim_refusal if isinstance(command, ClaimCallback) else outcome_refusal
            if refusal := rule(row.task if row else None, command.agent_id, bool(is_supervisor)):
                reject(uow, command, command.callback_id, row.conversation_id if row else None, refusal)
            elif isinstance(command, ClaimCallback):
                await _claim(uow, command, row)
            else:
                await _record_outcome(uow, command, row, config)


async def _create(uow: UnitOfWork, command: CreateCallback) -> None:
    conn = uow.conn
    conversation = None
    if command.conversation_id is not None:
        conversation = await conn.fetchrow(
            "SELECT category, language FROM conversations WHERE id = $1", uuid.UUID(command.conversation_id)
        )
        if conversation is None:
            reject(uow, command, command.callback_id, None, "conversation_not_found")
            return
    found = await store.customer_at(conn, command.channel, command.customer_address)
    await create(
        uow,
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
    )


async def _claim(uow: UnitOfWork, command: ClaimCallback, row: TaskRow) -> None:
    await store.assign(uow.conn, row.task.id, command.agent_id, claimed=True)
    await store.record(uow.conn, row.task.id, "claimed", command.agent_id)
    tell_assigned(uow, row, command.agent_id, "claimed")


async def _record_outcome(
    uow: UnitOfWork, command: RecordCallbackOutcome, row: TaskRow, config: CallbackConfig
) -> None:
    conn, task = uow.conn, row.task
    try:
        step = after_outcome(
            task, command.outcome, uow.now, config.retry_schedule, config.no_answer_limit, command.reschedule_at
        )
    except ValueError:
        reject(uow, command, task.id, row.conversation_id, "invalid_reschedule_at")
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
        occurred_at=uow.now,
        state="closed" if step.closes else "scheduled",
        outcome=step.result or command.outcome.value,
        attempts=step.attempts,
    )
    uow.outbox.add(agent_event_key(command.agent_id), event, command.agent_id)
