"""The wechat_adapter schema's migrations, applied in order as relaydesk_wechat_adapter (shared/migrator.py)."""
