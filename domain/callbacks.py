"""What may be done to a callback task and what an outcome does to it. Pure.

A task is `scheduled` until due, `due` once the agent was reminded, `closed` with an
outcome. Agents see the tasks assigned to them and the unassigned ones (a shared pool);
supervisors see all. The agent API checks these rules before it sends a command, and the
notifier checks them again when it applies the command, against the locked row.
"""

from datetime import datetime, timedelta

import msgspec

from contracts import CallbackOutcome

CLOSING = {
    CallbackOutcome.REACHED: "reached",
    CallbackOutcome.RESOLVED: "resolved",
    CallbackOutcome.WRONG_NUMBER: "wrong_number",
}
"""Outcomes that end the task, and the result recorded for each."""
UNREACHABLE = "unreachable"


class Task(msgspec.Struct, frozen=True):
    """A callback task as the rules see it."""

    id: str
    state: str
    assigned_agent_id: str | None
    claimed: bool
    attempts: int
    due_at: datetime
    cycle: int = 0


class Step(msgspec.Struct, frozen=True):
    """What an outcome does: close the task (with `result`) or schedule the next call at `due_at`."""

    event: str
    attempts: int
    result: str | None = None
    due_at: datetime | None = None

    @property
    def closes(self) -> bool:
        return self.result is not None


def visible(assigned_agent_id: str | None, agent_id: str, is_supervisor: bool) -> bool:
    """Supervisors see every task; agents their own and the unassigned pool."""
    return is_supervisor or assigned_agent_id in (agent_id, None)


def claim_refusal(task: Task | None, agent_id: str, is_supervisor: bool) -> str | None:
    """Why the caller may not claim the task; None when they may. A task someone claimed out of the
    pool is refused as claimed, not unknown, to whoever lost the race for it."""
    if task is None:
        return "callback_not_found"
    if not visible(task.assigned_agent_id, agent_id, is_supervisor):
        return "callback_already_claimed" if task.claimed else "callback_not_found"
    if task.state == "closed":
        return "callback_closed"
    if task.claimed:
        return "callback_already_claimed"
    return None


def outcome_refusal(task: Task | None, agent_id: str, is_supervisor: bool) -> str | None:
    """Why the caller may not record an outcome on the task; None when they may (its agent only)."""
    if task is None or not visible(task.assigned_agent_id, agent_id, is_supervisor):
        return "callback_not_found"
    if task.state == "closed":
        return "callback_closed"
    if task.assigned_agent_id != agent_id:
        return "not_assigned_to_you"
    return None


def no_answer_wait(schedule: tuple[timedelta, ...], no_answers: int) -> timedelta:
    """How long to wait before calling again after the `no_answers`-th unanswered call (1-based);
    past the end of the schedule its last wait repeats."""
    if no_answers < 1 or not schedule:
        raise ValueError("no_answers counts from 1 and the schedule must not be empty")
    return schedule[min(no_answers, len(schedule)) - 1]


def after_outcome(
    task: Task,
    outcome: CallbackOutcome,
    now: datetime,
    retry_schedule: tuple[timedelta, ...],
    no_answer_limit: int,
    reschedule_at: datetime | None = None,
) -> Step:
    """The task's next step. No answer calls again after the schedule's wait until the limit of
    unanswered calls, then closes as unreachable; a reschedule moves the call without counting."""
    if outcome in CLOSING:
        return Step("closed", task.attempts, result=CLOSING[outcome])
    if outcome == CallbackOutcome.RESCHEDULE:
        if reschedule_at is None or reschedule_at <= now:
            raise ValueError("a reschedule needs a time in the future")
        return Step("rescheduled", task.attempts, due_at=reschedule_at)
    attempts = task.attempts + 1
    if attempts >= no_answer_limit:
        return Step("no_answer", attempts, result=UNREACHABLE)
    return Step("no_answer", attempts, due_at=now + no_answer_wait(retry_schedule, attempts))


def application_category(application_type: str) -> str:
    """The request category whose skills fit the call: loans to loan agents, the rest to account."""
    return "loan" if "loan" in application_type.lower() else "account"


def follow_up_reason(category: str) -> str:
    return f"Follow-up after a resolved {category} conversation"


def preapproval_reason(application_type: str, application_id: str) -> str:
    return f"{application_type} application {application_id} pre-approved"
