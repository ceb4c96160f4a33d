"""Service-level targets per priority: when a first response and a resolution are due, and breaches.

Defaults, first response: urgent 2 min, high 5 min, normal 30 min, low 4 h (issue 4).
Resolution: urgent 4 h (a frozen or stolen account is fixed the same morning), high 8 h
(within the working day), normal 24 h, low 72 h (a feature question can wait a weekend).
Pure: the caller passes every instant, and a configuration dict can override any target.
"""

import re
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from domain.priority import PRIORITIES

Kind = Literal["first_response", "resolution"]
KINDS: tuple[Kind, ...] = ("first_response", "resolution")
FALLBACK_PRIORITY = "normal"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def _minutes(**targets: float) -> dict[str, timedelta]:
    return {priority: timedelta(minutes=minutes) for priority, minutes in targets.items()}


class SlaConfigError(ValueError):
    """An SLA override names an unknown kind or priority, or a duration that is not positive."""


class SlaTargets(msgspec.Struct, frozen=True, kw_only=True):
    """How long each priority may wait for a first response and for a resolution."""

    first_response: dict[str, timedelta] = msgspec.field(
        default_factory=lambda: _minutes(urgent=2, high=5, normal=30, low=4 * 60)
    )
    resolution: dict[str, timedelta] = msgspec.field(
        default_factory=lambda: _minutes(urgent=4 * 60, high=8 * 60, normal=24 * 60, low=72 * 60)
    )

    def target(self, kind: Kind, priority: str) -> timedelta:
        """The target for a kind and priority; an unknown priority is held to the normal one."""
        targets: dict[str, timedelta] = getattr(self, kind)
        return targets.get(priority, targets[FALLBACK_PRIORITY])


DEFAULT_TARGETS = SlaTargets()


class Breach(msgspec.Struct, frozen=True):
    """A missed target: what was due when, and by how much it was (or still is) late."""

    kind: Kind
    priority: str
    due_at: datetime
    late_by: timedelta
    still_open: bool
    """True while the customer is still waiting, so the caller escalates rather than only records."""


def due_at(kind: Kind, priority: str, started_at: datetime, targets: SlaTargets = DEFAULT_TARGETS) -> datetime:
    """When the response or resolution is due for a clock started at `started_at`."""
    return started_at + targets.target(kind, priority)


def first_response_due(priority: str, queued_at: datetime, targets: SlaTargets = DEFAULT_TARGETS) -> datetime:
    """When the first agent response is due for a conversation queued at `queued_at`."""
    return due_at("first_response", priority, queued_at, targets)


def resolution_due(priority: str, opened_at: datetime, targets: SlaTargets = DEFAULT_TARGETS) -> datetime:
    """When the resolution is due for a conversation opened at `opened_at`."""
    return due_at("resolution", priority, opened_at, targets)


def breach(
    kind: Kind,
    priority: str,
    started_at: datetime,
    answered_at: datetime | None,
    now: datetime,
    targets: SlaTargets = DEFAULT_TARGETS,
) -> Breach | None:
    """The breach, if the answer came after the due time or is still missing past it; on time is no breach."""
    due = due_at(kind, priority, started_at, targets)
    finished = answered_at if answered_at is not None else now
    if finished <= due:
        return None
    return Breach(kind, priority, due, finished - due, still_open=answered_at is None)


def parse_duration(value: float | int | str) -> timedelta:
    """A duration from seconds (a number) or text like "90s", "2m", "4h", "3d"; it must be positive."""
    if isinstance(value, bool):
        raise SlaConfigError(f"duration {value!r} is not a number of seconds or like '2m'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match[1]) * _UNITS[match[2] or "s"]
    else:
        raise SlaConfigError(f"duration {value!r} is not a number of seconds or like '2m'")
    if seconds <= 0:
        raise SlaConfigError(f"duration {value!r} must be positive")
    return timedelta(seconds=seconds)


def load_sla_targets(raw: dict[str, Any] | None, base: SlaTargets = DEFAULT_TARGETS) -> SlaTargets:
    """Targets from `{"first_response": {"urgent": "90s", ...}, "resolution": {...}}` over the defaults."""
    overrides: dict[str, dict[str, timedelta]] = {}
    for kind, per_priority in (raw or {}).items():
        if kind not in KINDS:
            raise SlaConfigError(f"unknown SLA kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not isinstance(per_priority, dict):
            raise SlaConfigError(f"SLA {kind} must map priorities to durations")
        unknown = set(per_priority) - set(PRIORITIES)
        if unknown:
            raise SlaConfigError(f"unknown priority {sorted(unknown)[0]!r} in SLA {kind}")
        merged = dict(getattr(base, kind))
        merged.update({priority: parse_duration(value) for priority, value in per_priority.items()})
        overrides[kind] = merged
    return msgspec.structs.replace(base, **overrides)
