"""Every route of the app, flattened (for the login, role and CSRF tests and the docs)."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute


def iter_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Each APIRoute of the app, including those of included routers."""
    yield from _walk(app.routes)


def _walk(routes) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI >= 0.160 keeps included routers
            yield from _walk(route.original_router.routes)
