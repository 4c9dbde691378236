"""The app's routers: FastAPI's, with a quick refusal of paths none of their routes take,
and endpoints that end their unit of work on their own thread."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Scope

from tracker.web.deps import end_unit_of_work


class Router(APIRouter):
    """An APIRouter that refuses at once a path beginning with none of its routes' fixed
    starts (each route's path up to its first parameter).

    The app tries its routers in turn, and FastAPI tries every route of each router it
    passes over: a write to the API was matched against every page's route first, 165 to
    235 us of a worker's CPU (docs/write-profile.md, round five). A route's pattern can only
    match a path that begins with its fixed start, so the answer is the same, got by one
    `str.startswith` per router.
    """

    _starts: tuple[str, ...] = ("",)
    _starts_of: int = -1  # how many routes _starts was worked out from

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """FastAPI's, with a plain (sync) endpoint run as `in_one_hand_over` runs it."""
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = in_one_hand_over(endpoint)
        super().add_api_route(path, endpoint, **kwargs)

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


def in_one_hand_over(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint run on the thread pool, its unit of work committed on the same thread.

    FastAPI hands a plain endpoint to the thread pool, then the check of its answer against
    the response model, then (from the session's dependency) the commit: three hand-overs
    of some 50 us of CPU each, more with eight requests in flight. Run this way, the answer
    is checked on the event loop, and the commit is made before the thread is left. The
    commit still comes before the answer is sent; an answer that fails its model (a bug)
    is then a 500 for a write that was saved.
    """

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(_then_commit, endpoint, args, kwargs)

    return run


def _then_commit(endpoint: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    answer = endpoint(*args, **kwargs)
    end_unit_of_work()
    return answer
