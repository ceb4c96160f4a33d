"""Secure by default: the secrets each service needs, refused when missing or known (pure)."""

from shared.config import DEV_FILE_LINK_SECRET, DEV_WEBCHAT_SECRET, ConfigError, Settings, env_name

PLACEHOLDERS = frozenset(
    {
        DEV_WEBCHAT_SECRET,
        DEV_FILE_LINK_SECRET,
        "changeme",
        "change-me",
        "secret",
        "password",
        "token",
        "test",
        "example",
        "relaydesk",
        # The EncodingAESKey in WeChat's documentation and in countless examples.
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    }
)
"""Values copied from documentation or development set-ups: as good as no secret."""
PLACEHOLDER_PARTS = ("change-me", "changeme", "replace-me", "dev-secret")


def is_weak(value: str) -> bool:
    """Empty, a known placeholder, or one character repeated."""
    lowered = value.strip().lower()
    return (
        not lowered
        or value in PLACEHOLDERS
        or lowered in PLACEHOLDERS
        or any(part in lowered for part in PLACEHOLDER_PARTS)
        or len(set(lowered)) == 1
    )


def weak_secrets(settings: Settings, services: list[str]) -> list[str]:
    """What is missing or a placeholder among the secrets of the services about to start."""
    found = []
    if "webchat_adapter" in services and is_weak(settings.webchat_secret):
        found.append(env_name("webchat_secret"))
    # The agent API signs file links; the adapters holding customers' files check them.
    if {"agent_api", "wechat_adapter", "email_adapter"} & set(services) and is_weak(settings.file_link_secret):
        found.append(env_name("file_link_secret"))
    if "sms_adapter" in services:
        field = "sms_auth_token" if settings.sms_provider == "twilio" else "sms_webhook_secret"
        if is_weak(getattr(settings, field)):
            found.append(f"{env_name(field)} (provider {settings.sms_provider})")
    if "wechat_adapter" in services:
        for account in settings.wechat_accounts:
            if is_weak(account.token):
                found.append(f"{env_name('wechat_accounts')} token of account {account.name}")
            if account.mode == "safe" and is_weak(account.aes_key):
                found.append(f"{env_name('wechat_accounts')} aes_key of account {account.name}")
    return found


def check_secrets(settings: Settings, services: list[str]) -> None:
    """Refuse to start with a missing or development secret, unless RELAYDESK_ENV=development."""
    if settings.env == "development":
        return
    if found := weak_secrets(settings, services):
        # Name the variables, never their values.
        raise ConfigError(
            f"{', '.join(found)}: missing or a development/placeholder value; set a real secret,"
            f" or {env_name('env')}=development for local use only"
        )
