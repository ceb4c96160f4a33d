"""The router's own pure rules (what a message does before anyone is chosen, who may act on a
conversation, which FAQ answers to suggest). Rules other services share live in the `domain` package."""
