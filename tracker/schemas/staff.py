"""Staff accounts, integration tokens and the audit trail as the admin API shows them."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from tracker.schemas.common import Email, Given, Input, Output, StrictBool
from tracker.services.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

Role = Literal["viewer", "nurse", "pharmacist", "admin"]
# Case does not matter in usernames: they are kept lowercase (the pattern checks as typed).
Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._@-]+$",
    ),
]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
# The password rules (services.passwords) name what is wrong; the length is declared here.
Password = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH),
    WithJsonSchema(
        {"type": "string", "minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}
    ),
]


class StaffUserCreate(Input):
    """A new staff account; the password must meet the rules (12+ characters, not common)."""

    username: Username
    role: Role
    password: Password
    full_name: FullName = ""
    email: Email | None = None


class StaffUserUpdate(Input):
    """A change to an account: only the fields given are changed."""

    role: Given[Role] = None
    is_active: Given[StrictBool] = None
    full_name: Given[FullName] = None
    email: Email | None = None


class StaffUserRead(Output):
    """A staff account (never its password hash)."""

    id: int
    username: str
    full_name: str
    email: str | None
    role: str
    is_active: bool
    password_changed_at: datetime
    created_at: datetime
    live_sessions: int = 0


class SessionsEnded(Output):
    """How many sessions and login tokens were ended."""

    ended: int


class PasswordReset(Output):
    """A new random password, shown this once."""

    password: str


class IntegrationTokenCreate(Input):
    """A long-lived bearer token for another system, acting as one account."""

    user_id: Annotated[int, Field(ge=1, le=2_147_483_647)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    days: Annotated[int, Field(ge=1, le=730)] = 365


class ApiTokenRead(Output):
    """A bearer token's record (never the token itself)."""

    id: int
    user_id: int
    username: str
    kind: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    status: Literal["live", "expired", "revoked"]


class IssuedToken(ApiTokenRead):
    """A token just issued: `token` is shown this once and cannot be read again."""

    token: str


class AuditEntryRead(Output):
    """One entry of the audit trail."""

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: str | None
    patient_id: int | None
    changes: dict
    ip_address: str | None
    prev_hmac: str
    hmac: str


class AuditPage(Output):
    """A page of audit entries, newest first."""

    total: int
    items: list[AuditEntryRead]
