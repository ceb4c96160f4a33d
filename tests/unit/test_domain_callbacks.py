"""Callback rules: who sees, claims and closes a task, and what each outcome does to it."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import CallbackOutcome
from domain.callbacks import (
    Task,
    after_outcome,
    application_category,
    claim_refusal,
    no_answer_wait,
    outcome_refusal,
    visible,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)
SCHEDULE = (timedelta(hours=2), timedelta(days=1))
OWNER, OTHER = "agent-owner", "agent-other"


def task(state="due", assigned=OWNER, claimed=False, attempts=0) -> Task:
    return Task("cb-1", state, assigned, claimed, attempts, NOW - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("assigned", "caller", "supervisor", "seen"),
    [
        (OWNER, OWNER, False, True),
        (OWNER, OTHER, False, False),
        (OWNER, OTHER, True, True),
        (None, OTHER, False, True),  # the unassigned pool is everyone's to see
    ],
)
def test_agents_see_their_own_and_the_pool_and_supervisors_see_all(assigned, caller, supervisor, seen):
    assert visible(assigned, caller, supervisor) is seen


@pytest.mark.parametrize(
    ("current", "caller", "supervisor", "refusal"),
    [
        (task(), OWNER, False, None),
        (task(assigned=None), OTHER, False, None),
        (task(), OTHER, True, None),  # a supervisor may take over an unclaimed task
        (task(), OTHER, False, "callback_not_found"),
        (None, OWNER, False, "callback_not_found"),
        (task(state="closed"), OWNER, False, "callback_closed"),
        (task(claimed=True), OWNER, False, "callback_already_claimed"),
        (task(claimed=True), OTHER, True, "callback_already_claimed"),
        (task(claimed=True), OTHER, False, "callback_already_claimed"),  # lost the race for a pool task
    ],
)
def test_claim_rules(current, caller, supervisor, refusal):
    assert claim_refusal(current, caller, supervisor) == refusal


@pytest.mark.parametrize(
    ("current", "caller", "supervisor", "refusal"),
    [
        (task(), OWNER, False, None),
        (task(claimed=True), OWNER, False, None),
        (task(state="scheduled"), OWNER, False, None),  # called early: still counts
        (task(), OTHER, False, "callback_not_found"),
        (task(), OTHER, True, "not_assigned_to_you"),
        (task(assigned=None), OTHER, False, "not_assigned_to_you"),  # claim it first
        (task(state="closed"), OWNER, False, "callback_closed"),
        (None, OWNER, True, "callback_not_found"),
    ],
)
def test_outcome_rules(current, caller, supervisor, refusal):
    assert outcome_refusal(current, caller, supervisor) == refusal


@pytest.mark.parametrize(
    ("outcome", "result"),
    [
        (CallbackOutcome.REACHED, "reached"),
        (CallbackOutcome.RESOLVED, "resolved"),
        (CallbackOutcome.WRONG_NUMBER, "wrong_number"),
    ],
)
def test_reaching_the_customer_or_a_wrong_number_closes_the_task(outcome, result):
    step = after_outcome(task(attempts=1), outcome, NOW, SCHEDULE, 3)
    assert (step.closes, step.result, step.attempts, step.due_at) == (True, result, 1, None)


def test_no_answer_calls_again_at_spaced_times_then_closes_as_unreachable():
    current, steps = task(), []
    while True:
        step = after_outcome(current, CallbackOutcome.NO_ANSWER, NOW, SCHEDULE, 3)
        steps.append(step)
        if step.closes:
            break
        current = Task(current.id, "scheduled", OWNER, False, step.attempts, step.due_at)
    assert [(s.event, s.attempts, s.due_at, s.result) for s in steps] == [
        ("no_answer", 1, NOW + timedelta(hours=2), None),
        ("no_answer", 2, NOW + timedelta(days=1), None),
        ("no_answer", 3, None, "unreachable"),
    ]


def test_a_limit_of_one_closes_at_the_first_no_answer():
    step = after_outcome(task(), CallbackOutcome.NO_ANSWER, NOW, SCHEDULE, 1)
    assert (step.result, step.attempts) == ("unreachable", 1)


def test_reschedule_moves_the_call_without_counting_an_attempt():
    later = NOW + timedelta(days=2)
    step = after_outcome(task(attempts=1), CallbackOutcome.RESCHEDULE, NOW, SCHEDULE, 3, reschedule_at=later)
    assert (step.event, step.closes, step.attempts, step.due_at) == ("rescheduled", False, 1, later)


@pytest.mark.parametrize("when", [None, NOW, NOW - timedelta(minutes=1)])
def test_reschedule_needs_a_time_in_the_future(when):
    with pytest.raises(ValueError, match="a reschedule needs a time in the future"):
        after_outcome(task(), CallbackOutcome.RESCHEDULE, NOW, SCHEDULE, 3, reschedule_at=when)


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        ("loan", "loan"),
        ("cash_loan", "loan"),
        ("Micro-Loan", "loan"),
        ("wallet_upgrade", "account"),
        ("card", "account"),
    ],
)
def test_applications_go_to_agents_with_the_fitting_skill(kind, category):
    assert application_category(kind) == category


def test_no_answer_waits_follow_the_schedule_and_its_last_wait_repeats():
    schedule = (timedelta(hours=2), timedelta(days=1))
    assert [no_answer_wait(schedule, n) for n in (1, 2, 3, 7)] == [
        timedelta(hours=2),
        timedelta(days=1),
        timedelta(days=1),
        timedelta(days=1),
    ]
    for bad in (0, -1):
        with pytest.raises(ValueError, match="counts from 1"):
            no_answer_wait(schedule, bad)
    with pytest.raises(ValueError, match="must not be empty"):
        no_answer_wait((), 1)
