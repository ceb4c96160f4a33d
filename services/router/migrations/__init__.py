"""The router schema's migrations, applied in order as relaydesk_router (shared/migrator.py)."""
