"""The email_adapter schema's migrations, applied in order as relaydesk_email_adapter (shared/migrator.py)."""
