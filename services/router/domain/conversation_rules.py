"""Pure router rules: may an agent act on a conversation, does a message open one."""


def command_refusal(status: str | None, assignee: str | None, agent_id: str) -> str | None:
    """Why the agent may not reply to, resolve or transfer the conversation; None if allowed."""
    if status is None:
        return "conversation_not_found"
    if status == "resolved":
        return "conversation_resolved"
    if assignee != agent_id:
        return "not_assigned_to_you"
    return None


def opens_conversation(kind: str, details: dict[str, str]) -> bool:
    """Whether an inbound message asks for help: every message does; an event only when a
    menu click carries an intent ("talk to a person", an FAQ topic)."""
    return kind != "event" or bool(details.get("intent"))


def reachability(event: str) -> bool | None:
    """What a channel event says about reaching the customer there: follow or opt in, unfollow or
    opt out (the flag broadcasts and replies check), or nothing."""
    return {"subscribe": True, "unsubscribe": False, "opt_in": True, "opt_out": False}.get(event)
