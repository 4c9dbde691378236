"""Every route of the app, flattened (for the login, role and CSRF tests and the docs)."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, get_route_path
from starlette.types import Scope

# The only routes that are not FastAPI routes: the static files (no PHI, public).
STATIC_MOUNTS = ("/static",)


def iter_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Each APIRoute of the app, including those of included routers, with the path and
    methods it answers on (any prefix given when its router was included applied)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context  # type: ignore[misc]  # reads as the route, at its effective path


def unchecked_routes(app: FastAPI) -> list[str]:
    """Routes that iter_routes cannot see (a Starlette Route, a websocket, a mount other than
    the static files): each would escape the role, login and CSRF walkers, so none may exist."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            continue
        if isinstance(route, Mount) and context.path in STATIC_MOUNTS:
            continue
        found.append(f"{type(route).__name__} {context.path}")
    return found


def methods_allowed(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route answers at the request's path, sorted (for `Allow` on 405)."""
    path = get_route_path(scope)
    allowed: set[str] = set()
    for route in iter_routes(app):
        if route.path_regex.match(path):
            allowed |= route.methods or set()
    return sorted(allowed)
