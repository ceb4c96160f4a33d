"""A callback task's clock: created with a reminder job, reminded (and assigned) when due,
escalated to supervisors when overdue. Each step runs in the caller's transaction.

Reminder jobs carry the task's `cycle`: a reschedule starts a new cycle, so jobs scheduled
for an earlier due time find themselves stale and do nothing.
"""

from datetime import datetime, timedelta

import asyncpg
from msgspec.structs import replace

from contracts import CallbackAssigned, CallbackDue, CallbackOverdue
from contracts.topology import SUPERVISORS_KEY, agent_event_key
from services.notifier import store
from services.notifier.callback_assignment import choose_for
from services.notifier.config import CallbackConfig
from services.notifier.scheduler import Job, schedule
from services.notifier.store import NewTask, TaskRow
from shared.uow import UnitOfWork

DUE, ASSIGN, OVERDUE = "callback_due", "callback_assign", "callback_overdue"
ASSIGN_RETRY = timedelta(seconds=30)
"""How often a due callback nobody could take looks again for an agent with room."""


def about(row: TaskRow) -> dict:
    """The fields every event about the task carries."""
    return {
        "conversation_id": row.conversation_id or "",
        "callback_id": row.task.id,
        "due_at": row.task.due_at,
        "reason": row.reason,
    }


def customer(row: TaskRow) -> dict:
    return {
        "channel": row.channel,
        "customer_address": row.customer_address,
        "customer_name": row.customer_name,
        "category": row.category,
    }


async def _schedule(conn: asyncpg.Connection, kind: str, callback_id: str, cycle: int, at: datetime) -> None:
    await schedule(conn, kind, f"{kind}:{callback_id}:{cycle}", at, {"callback_id": callback_id, "cycle": cycle})


async def schedule_reminder(conn: asyncpg.Connection, callback_id: str, cycle: int, due_at: datetime) -> None:
    await _schedule(conn, DUE, callback_id, cycle, due_at)


def tell_assigned(uow: UnitOfWork, row: TaskRow, agent_id: str, how: str) -> None:
    event = CallbackAssigned(**about(row), **customer(row), agent_id=agent_id, occurred_at=uow.now, how=how)
    uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def create(uow: UnitOfWork, new: NewTask) -> bool:
    """Store the task and its first reminder; False when it exists already (a redelivery)."""
    conn = uow.conn
    if not await store.insert_task(conn, new):
        return False
    await store.record(conn, new.id, "created", new.created_by, due_at=new.due_at, note=new.note)
    await schedule_reminder(conn, new.id, 0, new.due_at)
    if new.assigned_agent_id:
        await store.record(conn, new.id, "assigned", new.assigned_agent_id)
        tell_assigned(uow, await store.lock_task(conn, new.id), new.assigned_agent_id, "created")
    return True


async def _current(conn: asyncpg.Connection, job: Job) -> TaskRow | None:
    """The job's task, locked, unless it was closed or rescheduled since the job was scheduled."""
    row = await store.lock_task(conn, job.payload["callback_id"])
    if row is None or row.task.state == "closed" or row.task.cycle != job.payload["cycle"]:
        return None
    return row


def _remind(uow: UnitOfWork, row: TaskRow) -> None:
    agent_id = row.task.assigned_agent_id
    event = CallbackDue(
        **about(row), **customer(row), agent_id=agent_id, occurred_at=uow.now, attempts=row.task.attempts
    )
    uow.outbox.add(agent_event_key(agent_id), event, agent_id)


async def _give(uow: UnitOfWork, row: TaskRow, config: CallbackConfig) -> bool:
    """Assign the due task to an eligible online agent with room, and remind them; False if nobody can."""
    conn = uow.conn
    agent_id = await choose_for(conn, row, config.policy, uow.now)
    if agent_id is None:
        return False
    await store.assign(conn, row.task.id, agent_id, claimed=False)
    await store.record(conn, row.task.id, "assigned", agent_id)
    tell_assigned(uow, row, agent_id, "due")
    _remind(uow, replace(row, task=replace(row.task, assigned_agent_id=agent_id)))
    return True


async def on_due(uow: UnitOfWork, job: Job, config: CallbackConfig) -> None:
    """Due: remind its agent (or find one), and set the overdue alarm."""
    conn = uow.conn
    if (row := await _current(conn, job)) is None:
        return None
    task = row.task
    await store.set_due(conn, task.id)
    await store.record(conn, task.id, "due", task.assigned_agent_id, due_at=task.due_at)
    await _schedule(conn, OVERDUE, task.id, task.cycle, task.due_at + config.overdue_grace)
    if task.assigned_agent_id:
        _remind(uow, row)
    elif not await _give(uow, row, config):
        await _schedule(conn, ASSIGN, task.id, task.cycle, uow.now + ASSIGN_RETRY)
    return None


async def on_assign(uow: UnitOfWork, job: Job, config: CallbackConfig) -> datetime | None:
    """Look again for an agent for a due task nobody could take; again later while nobody can."""
    row = await _current(uow.conn, job)
    if row is None or row.task.assigned_agent_id or await _give(uow, row, config):
        return None
    return uow.now + ASSIGN_RETRY


async def on_overdue(uow: UnitOfWork, job: Job, config: CallbackConfig) -> None:
    """Still open past due and grace: tell supervisors (and the agent), once per due time."""
    conn, outbox = uow.conn, uow.outbox
    if (row := await _current(conn, job)) is None:
        return None
    agent_id = row.task.assigned_agent_id
    since = await store.mark_overdue(conn, row.task.id)
    await store.record(conn, row.task.id, "overdue", agent_id)
    event = CallbackOverdue(**about(row), agent_id=agent_id or "", occurred_at=uow.now, overdue_since=since)
    outbox.add(SUPERVISORS_KEY, event)
    if agent_id:
        outbox.add(agent_event_key(agent_id), event, agent_id)
    return None
