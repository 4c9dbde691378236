"""Who is acting: staff roles and what each may do."""

from dataclasses import dataclass

ROLE_RANK = {"viewer": 0, "nurse": 1, "pharmacist": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    """The person (or job) behind a unit of work, as the audit trail records it."""

    id: int | None
    username: str
    role: str
    ip_address: str | None = None

    def can(self, role: str) -> bool:
        """True when this actor's role is `role` or above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


SYSTEM = Actor(id=None, username="system", role="admin")
