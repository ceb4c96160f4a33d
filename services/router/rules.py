"""Pure checks on agent commands: may this agent act on this conversation now?"""


def command_refusal(status: str | None, assignee: str | None, agent_id: str) -> str | None:
    """Why the agent may not reply to, resolve or transfer the conversation; None if allowed."""
    if status is None:
        return "conversation_not_found"
    if status == "resolved":
        return "conversation_resolved"
    if assignee != agent_id:
        return "not_assigned_to_you"
    return None
