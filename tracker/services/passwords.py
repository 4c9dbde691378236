"""Password hashing with argon2id, and the rules a new password must meet."""

import re
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's low-memory choice (argon2id, t=3, m=64 MiB, p=4), above OWASP's minimum for
# argon2id (m=19 MiB, t=2, p=1). Spelled out so a library upgrade cannot lower them quietly;
# hashes made with other parameters are upgraded at the next login (needs_rehash).
TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 4
_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"
# Words that every guesser tries first against this system.
_SITE_WORDS = ("ivig", "tracker")
_TRAILING_DIGITS_OR_SYMBOLS = re.compile(r"[\d\W_]+$")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash (constant time within argon2)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercase."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(
            line.rstrip("\n").lower()
            for line in lines
            if line.strip() and not line.startswith("#!")
        )


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why this password may not be used, or None when it may (NIST 800-63B, ASVS V6.2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    common = common_passwords()
    # "password1234!" is as guessable as "password": strip what people add to a common word.
    stem = _TRAILING_DIGITS_OR_SYMBOLS.sub("", lowered)
    if lowered in common or (len(stem) >= 4 and stem in common):
        return "this password is on the list of common passwords; choose another"
    if len(set(lowered)) < 5:
        return "this password repeats too few characters; choose another"
    name = username.strip().lower()
    if (len(name) >= 3 and name in lowered) or any(word in lowered for word in _SITE_WORDS):
        return "the password must not contain your username or the name of this system"
    return None


# A fixed hash to verify against when the username is unknown, so that a missing account
# takes as long to refuse as a wrong password.
DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")
