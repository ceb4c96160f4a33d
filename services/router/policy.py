"""The assignment policy's knobs and its clock rules: stickiness, offers, offline grace, reassignment.

Pure: every rule takes the instants it compares, so the router, a test or a simulation
decides what "now" is.
"""

from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec

Seconds = Annotated[float, msgspec.Meta(ge=0)]


class Policy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the router assigns; every field has the default a wallet support floor starts with."""

    complaint_team: str | None = "complaints"
    """Team that takes every complaint; None routes complaints by skill like any category."""
    skill_fallback_after_s: dict[str, Seconds] = msgspec.field(
        default_factory=lambda: {"urgent": 30.0, "high": 60.0, "normal": 120.0, "low": 300.0}
    )
    """Per priority: a ticket no skilled agent can take goes to any agent who speaks its language
    and works its channel after waiting this long, since a slower answer beats a missed target.
    Urgent falls back well inside its 2-minute target; a priority left out never falls back."""
    sticky_window_s: Seconds = 24 * 3600.0
    """A customer returning within this long after their last conversation goes back to its agent."""
    offer_teams: frozenset[str] = frozenset()
    """Teams that are offered conversations (accept or pass) instead of being assigned them."""
    offer_timeout_s: Seconds = 30.0
    """An offer not accepted within this long moves on to the next eligible agent."""
    offline_grace_s: Seconds = 60.0
    """An agent offline this long has their conversations re-queued; shorter drops are network blips."""
    presence_grace_s: Seconds = 20.0
    """An agent whose last stream closed goes offline after this long without another one: a page
    reload, a network blip or an agent API replica restarting changes nothing. Keep it above the
    replicas' heartbeat interval (`RELAYDESK_AGENT_API_PRESENCE_INTERVAL`)."""
    sla_warning_ratio: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.8
    """Warn the agent and supervisors once this share of an SLA target has passed (1 = no warnings)."""


DEFAULT_POLICY = Policy()


def load_policy(raw: dict[str, Any]) -> Policy:
    """A Policy from plain configuration; unknown keys and negative durations raise msgspec.ValidationError."""
    return msgspec.convert(raw, Policy)


def _elapsed(since: datetime, now: datetime) -> float:
    return (now - since).total_seconds()


def staffed_policy(policy: Policy, complaint_team_staffed: bool) -> Policy:
    """The policy as it applies now: a complaint team nobody belongs to is no team, so complaints
    go by skill like any category (the router's queue and the notifier's callbacks alike)."""
    if policy.complaint_team is None or complaint_team_staffed:
        return policy
    return msgspec.structs.replace(policy, complaint_team=None)


def skill_fallback_open(
    priority: str, queued_at: datetime, now: datetime | None, policy: Policy = DEFAULT_POLICY
) -> bool:
    """Whether a ticket has waited long enough to go to an agent without its skill."""
    wait = policy.skill_fallback_after_s.get(priority)
    return now is not None and wait is not None and _elapsed(queued_at, now) >= wait


def sticky_agent(
    previous_agent: str | None, last_contact_at: datetime | None, now: datetime, policy: Policy = DEFAULT_POLICY
) -> str | None:
    """The customer's previous agent when they return within the stickiness window, else None."""
    if previous_agent is None or last_contact_at is None:
        return None
    return previous_agent if _elapsed(last_contact_at, now) <= policy.sticky_window_s else None


def uses_offers(team: str | None, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether conversations for this team are offered rather than assigned."""
    return team is not None and team in policy.offer_teams


def offer_expired(offered_at: datetime, now: datetime, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether an unanswered offer counts as declined, so the next agent gets it."""
    return _elapsed(offered_at, now) >= policy.offer_timeout_s


def requeue_after_offline(offline_since: datetime, now: datetime, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether an offline agent's conversations should go back to the queue now."""
    return _elapsed(offline_since, now) >= policy.offline_grace_s


def needs_reassignment(
    assigned_at: datetime, first_response_at: datetime | None, now: datetime, sla: timedelta
) -> bool:
    """Whether an assigned agent has left the customer unanswered for longer than the first-response target.

    The clock starts at the assignment, not the queueing: a ticket that waited in the queue
    gets its full target with the agent before being taken away again.
    """
    return first_response_at is None and now - assigned_at >= sla


def warning_lead(target: timedelta, policy: Policy = DEFAULT_POLICY) -> timedelta:
    """How long before a due time its SLA warning goes out."""
    return target * (1 - policy.sla_warning_ratio)


def presence_change(before: str, connected: bool) -> str | None:
    """What a change in an agent's open streams means, from their presence `before`
    ("absent", "connected" or "lingering": gone but within the grace):

    "arrived" starts a session (online), "returned" within the grace changes nothing the agent
    sees, "left" starts the grace; None when nothing changed.
    """
    if connected and before != "connected":
        return "returned" if before == "lingering" else "arrived"
    if not connected and before == "connected":
        return "left"
    return None


def arrival_sets_online(chosen_at: datetime | None, stream_opened_at: datetime) -> bool:
    """A new session makes the agent online, unless they chose a status after opening its stream."""
    return chosen_at is None or chosen_at < stream_opened_at
