"""Staff accounts, their web sessions and API tokens, and login attempts."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from tracker.store.types import UTCDateTime, utcnow

ROLES = ("viewer", "nurse", "pharmacist", "admin")


class StaffUser(SQLModel, table=True):
    """A member of staff who can log in."""

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'nurse', 'pharmacist', 'admin')", name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=120)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(max_length=12)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A server-side login session for the web pages; the cookie holds only its token."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the cookie token: a stolen database copy cannot be replayed as a cookie.
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", ondelete="CASCADE", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip_address: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API: short-lived from a login, or an integration token."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("kind IN ('login', 'integration')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", ondelete="CASCADE", index=True)
    kind: str = Field(default="login", max_length=12)
    name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """A login attempt, kept to throttle guessing per account and per address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_login_attempt_ip_at", "ip_address", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    ip_address: str | None = Field(default=None, max_length=45)
    succeeded: bool = False
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
