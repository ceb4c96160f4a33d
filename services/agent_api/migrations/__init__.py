"""The agent_api schema's migrations, applied in order as relaydesk_agent_api (shared/migrator.py)."""
