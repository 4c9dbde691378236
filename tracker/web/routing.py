"""The app's routers: FastAPI's, with a quick refusal of paths none of their routes take."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Scope


class Router(APIRouter):
    """An APIRouter that refuses at once a path beginning with none of its routes' fixed
    starts (each route's path up to its first parameter).

    The app tries its routers in turn, and FastAPI tries every route of a router it passes
    over: a write to the API went through the pages' 150 routes twice (finding its router,
    then its route), about 5% of a worker's CPU with eight clients writing. A route's
    pattern can only match a path that begins with its fixed start, so the answer is the
    same, got by one `str.startswith`.
    """

    _starts: tuple[str, ...] = ("",)
    _starts_of: int = -1  # how many routes _starts was worked out from

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match for a path none of the routes can take; else FastAPI's own answer."""
        if not get_route_path(scope).startswith(self.fixed_starts()):
            return Match.NONE, {}
        return super().matches(scope)

    def fixed_starts(self) -> tuple[str, ...]:
        """What each route's path begins with before any parameter ("" where unknown)."""
        if self._starts_of != len(self.routes):
            self._starts = tuple({start for route in self.routes for start in _starts(route)})
            self._starts_of = len(self.routes)
        return self._starts


def _starts(route: BaseRoute) -> tuple[str, ...]:
    included = getattr(route, "original_router", None)  # a router included in this one
    if included is not None:
        if not isinstance(included, Router):
            return ("",)
        prefix = route.include_context.prefix  # type: ignore[attr-defined]
        return tuple(prefix + start for start in included.fixed_starts())
    path = getattr(route, "path", None)
    return ("",) if path is None else (path.split("{", 1)[0],)
