"""The email adapter's settings: its slice of the environment (the SMTP door, mailbox polling,
sender checks, the relay replies leave through)."""

from shared.config import Common, Settings, slice_of


class EmailSettings(Common, frozen=True, kw_only=True):
    file_link_secret: str
    agent_api_public_url: str = "http://localhost:8000"
    email_smtp_port: int = 2525
    email_addresses: str = "support@localhost"
    email_max_size: int = 25 * 1024 * 1024
    email_smtp_tls_cert: str = ""
    email_smtp_tls_key: str = ""
    email_smtp_auth: str = ""
    email_imap_url: str = ""
    email_imap_interval: float = 30.0
    email_imap_idle_renewal: float = 25 * 60.0
    email_dns: str = ""
    email_trust_authres: str = ""
    email_from: str = "Relaydesk Support <support@localhost>"
    email_relay_host: str = "localhost"
    email_relay_port: int = 25
    email_relay_starttls: bool = False
    email_relay_username: str = ""
    email_relay_password: str = ""


def settings_slice(settings: Settings) -> EmailSettings:
    return slice_of(settings, EmailSettings, port=settings.email_port)
