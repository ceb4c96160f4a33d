"""The sms_adapter schema's migrations, applied in order as relaydesk_sms_adapter (shared/migrator.py)."""
