"""How pressing a conversation is: four priorities, most pressing first, and the one order they sort in.

The order is written once, here: the router's queue plan, its triage floors and its SQL drain, and
the agent API's statistics all rank priorities by `PRIORITY_RANK` (in SQL through `rank_sql`).
"""

from typing import Literal, get_args

Priority = Literal["urgent", "high", "normal", "low"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)
"""Most pressing first."""
PRIORITY_RANK: dict[str, int] = {priority: rank for rank, priority in enumerate(PRIORITIES)}
"""0 for the most pressing."""
UNKNOWN_RANK = len(PRIORITIES)
"""Where a priority this version does not know sorts: after every known one."""


def rank(priority: str) -> int:
    """A priority's place in the queue: 0 drains first."""
    return PRIORITY_RANK.get(priority, UNKNOWN_RANK)


def more_urgent(current: str, incoming: str) -> str:
    """The higher of two priorities: a conversation's priority only ever rises."""
    return min(current, incoming, key=rank)


def rank_sql(column: str) -> str:
    """`rank` as a SQL expression over a text column, so a query sorts exactly as the code does."""
    whens = " ".join(f"WHEN '{priority}' THEN {place}" for priority, place in PRIORITY_RANK.items())
    return f"CASE {column} {whens} ELSE {UNKNOWN_RANK} END"
