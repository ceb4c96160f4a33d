"""Whether an agent may reply to, resolve or transfer a conversation, and why not."""

import pytest

from services.router.domain.conversation_rules import command_refusal

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("status", "assignee", "agent_id", "expected"),
    [
        ("assigned", "agent-a", "agent-a", None),
        (None, None, "agent-a", "conversation_not_found"),
        (None, "agent-a", "agent-a", "conversation_not_found"),
        ("resolved", "agent-a", "agent-a", "conversation_resolved"),
        ("resolved", None, "agent-a", "conversation_resolved"),
        ("resolved", "agent-b", "agent-a", "conversation_resolved"),
        ("assigned", "agent-b", "agent-a", "not_assigned_to_you"),
        ("queued", None, "agent-a", "not_assigned_to_you"),
    ],
    ids=[
        "own-assigned-conversation-allowed",
        "unknown-conversation",
        "unknown-wins-over-assignee",
        "own-but-resolved",
        "resolved-unassigned",
        "resolved-wins-over-someone-else",
        "assigned-to-someone-else",
        "still-queued",
    ],
)
def test_command_refusal(status, assignee, agent_id, expected):
    assert command_refusal(status, assignee, agent_id) == expected
