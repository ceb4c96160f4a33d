"""The SMS adapter's settings: its slice of the environment, checked once at start."""

from typing import Literal

from shared.config import Common, ConfigError, Settings, slice_of


class SmsSettings(Common, frozen=True, kw_only=True):
    sms_provider: Literal["twilio", "generic"]
    sms_api_base: str
    sms_account_sid: str
    sms_auth_token: str
    sms_webhook_secret: str
    sms_sender: str
    sms_public_url: str
    sms_default_region: str


def settings_slice(settings: Settings) -> SmsSettings:
    if settings.sms_provider == "generic" and len(settings.sms_webhook_secret) < 16:
        raise ConfigError("RELAYDESK_SMS_WEBHOOK_SECRET must be set (at least 16 characters) for the generic provider")
    return slice_of(settings, SmsSettings, port=settings.sms_port)
