"""What the agent API writes itself (agents, tokens, sessions, customers, notes, audit) and the pure
rules those writes follow (passwords, lock-out, canned responses)."""
