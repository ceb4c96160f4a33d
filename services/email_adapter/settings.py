"""The email adapter's settings: its slice of the environment (the SMTP door, mailbox polling,
sender checks, the relay replies leave through)."""

from shared.config import Common, Settings, slice_of


class EmailSettings(Common, frozen=True, kw_only=True):
    file_link_secret: str
    agent_api_public_url: str
    email_smtp_port: int
    email_addresses: str
    email_max_size: int
    email_smtp_tls_cert: str
    email_smtp_tls_key: str
    email_smtp_auth: str
    email_imap_url: str
    email_imap_interval: float
    email_imap_idle_renewal: float
    email_dns: str
    email_trust_authres: str
    email_from: str
    email_relay_host: str
    email_relay_port: int
    email_relay_starttls: bool
    email_relay_username: str
    email_relay_password: str


def settings_slice(settings: Settings) -> EmailSettings:
    return slice_of(settings, EmailSettings, port=settings.email_port)
