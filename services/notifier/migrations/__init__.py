"""The notifier schema's migrations, applied in order as relaydesk_notifier (shared/migrator.py)."""
