"""Settings for the mail and job tests."""

from tracker.settings import Settings

PHARMACY = "pharmacy@hospital.example"


def mail_settings(smtp_port: int = 25, **changes) -> Settings:
    """Test settings for a site in London with an SMTP server on loopback."""
    values = {
        "env": "test",
        "secret_key": "test-secret-key-for-the-suite-0123456789",
        "timezone": "Europe/London",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "mail_from": "Infusion Suite <infusions@hospital.example>",
        "pharmacy_email": PHARMACY,
        "pharmacy_phone": "0161 555 0100",
        "site_name": "Northside Infusion Suite",
        "base_url": "https://tracker.hospital.example",
        "smtp_timeout_seconds": 10,
    }
    return Settings(**(values | changes))
