"""Site settings, read once from TRACKER_* environment variables (and an optional .env)."""

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

PLACEHOLDER_SECRET = "change-me"
ENV_FILE = ".env"


def env_file_path() -> Path:
    """The .env file the settings read, if it exists: in the working directory."""
    return Path.cwd() / ENV_FILE


class Settings(BaseSettings):
    """Every TRACKER_ variable of the API contract, plus a few of our own."""

    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=ENV_FILE, extra="ignore")

    # The contract's variables.
    database_url: str = "sqlite:///./tracker.db"
    secret_key: str = PLACEHOLDER_SECRET
    timezone: str = "UTC"
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Neutral on purpose: a patient's mailbox shows the sender, so it names no treatment.
    mail_from: str = "clinic@localhost"
    pharmacy_email: str | None = None

    # Our own.
    env: Literal["development", "production", "test"] = "development"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_hours: int = Field(default=12, ge=1, le=72)
    api_token_hours: int = Field(default=8, ge=1, le=24 * 30)
    sweep_time: str = "06:00"
    # Processes that evaluate the sweep's batches (0: one per core the tracker may use).
    sweep_processes: int = Field(default=0, ge=0, le=64)
    # Threads per web worker for requests' database work (0: one on PostgreSQL, anyio's
    # default of 40 on SQLite; tracker/web/threads.py says why).
    web_threads: int = Field(default=0, ge=0, le=200)
    # The infusion suite's day, for free-chair suggestions.
    clinic_opens: str = "08:00"
    clinic_closes: str = "18:00"
    max_body_bytes: int = Field(default=2_000_000, ge=10_000)
    # The caseload import page alone (POST /import) takes bodies up to this size.
    max_import_bytes: int = Field(default=50_000_000, ge=10_000, le=2_000_000_000)

    # E-mail and the scheduler's jobs.
    site_name: str = "Infusion unit"
    pharmacy_phone: str = ""
    mail_backend: Literal["smtp", "log"] = "smtp"
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=300)
    dispatch_interval_seconds: int = Field(default=60, ge=1, le=3600)
    outbox_batch_size: int = Field(default=20, ge=1, le=1000)
    # A row left 'sending' this long by a dispatcher that died is taken up again; keep it
    # well above the SMTP timeout, or a slow send may be made twice.
    outbox_claim_timeout_seconds: int = Field(default=300, ge=1, le=24 * 3600)
    outbox_retry_hours: float = Field(default=24, gt=0, le=24 * 7)
    # The text of finished e-mails (it names patients) is cleared this many days on.
    outbox_keep_days: int = Field(default=90, ge=1, le=3650)
    scheduler_lease_seconds: int = Field(default=90, ge=3, le=3600)

    # The audit trail's checkpoints: its head (count, newest HMAC), signed and appended to a
    # file outside the database, so that entries cut off the end of the trail are seen.
    # Unset, the file sits beside a SQLite database (or in the working directory); a site
    # sets it to a place off the database server.
    audit_checkpoint_file: str = ""
    # Unset, derived from TRACKER_SECRET_KEY (a separate key, never the chain's own).
    audit_checkpoint_key: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("sweep_time", "clinic_opens", "clinic_closes")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("must be a time as HH:MM")
        return value

    @model_validator(mode="after")
    def _real_secret_outside_development(self) -> "Settings":
        # A placeholder secret would make the audit chain's HMAC forgeable by anyone who read
        # the source, so production refuses to start with one.
        if self.env == "production" and (
            self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError("TRACKER_SECRET_KEY must be set to a random value of 32+ characters")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The site time zone, in which clinical days are counted."""
        return ZoneInfo(self.timezone)

    @property
    def checkpoint_path(self) -> Path:
        """Where the audit trail's checkpoints are appended."""
        if self.audit_checkpoint_file:
            return Path(self.audit_checkpoint_file)
        if self.is_sqlite:
            database = make_url(self.database_url).database
            if database and database != ":memory:":
                return Path(database).parent / "audit-checkpoint.json"
        return Path("audit-checkpoint.json")

    @property
    def checkpoint_key(self) -> bytes:
        """The key that signs checkpoints: its own setting, or one derived from the secret."""
        if self.audit_checkpoint_key:
            return self.audit_checkpoint_key.encode()
        return hmac.new(
            self.secret_key.encode(), b"ivig-tracker audit checkpoint v1", hashlib.sha256
        ).digest()

    @property
    def is_sqlite(self) -> bool:
        """True when the store is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings (cached; tests clear the cache after changing the environment)."""
    return Settings()
