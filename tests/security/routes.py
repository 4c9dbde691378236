"""The app's routes for the security tests: every (method, path), and a path filled with ids."""

import re

from tracker.web.routes_index import iter_routes

STAFF_ROLES = ("viewer", "nurse", "pharmacist", "admin")
RANK = {role: rank for rank, role in enumerate(STAFF_ROLES)}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MISSING_ID = 999_999


def route_keys(app) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, HEAD aside."""
    return sorted(
        {(m, r.path) for r in iter_routes(app) for m in r.methods - {"HEAD"}},
        key=lambda k: (k[1], k[0]),
    )


def is_api(path: str) -> bool:
    """True for the JSON API (bearer tokens only)."""
    return path.startswith("/api/")


def knows_every_id(path: str, ids: dict) -> bool:
    """True when `ids` has a real value for each {name} in the path."""
    return all(name in ids for name in re.findall(r"\{([^}]+)\}", path))


def fill(path: str, ids: dict | None = None) -> str:
    """The path with each {name} replaced by ids[name], or an id that does not exist."""
    ids = ids or {}
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), MISSING_ID)), path)
