"""The app's routers: FastAPI's, with a quick refusal of paths none of their routes take,
and endpoints that end their unit of work on their own thread."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import fastapi.routing
from fastapi import APIRouter
from starlette.routing import BaseRoute, Match, get_route_path
from starlette.types import Scope

from tracker.web.deps import end_unit_of_work
from tracker.web.threads import long_requests_lane

# Which inclusion of a router FastAPI is matching: FastAPI 0.16x keeps it in the scope.
# Another FastAPI without it: no refusal, its own matching only.
_inclusion: Callable[[Scope], Any] = getattr(
    fastapi.routing, "_get_scope_included_router", lambda scope: None
)


class Router(APIRouter):
    """An APIRouter that refuses at once a path beginning with none of its routes' fixed
    starts (each route's full path up to its first parameter).

    The app tries its routers in turn, and FastAPI tries every route of each router it
    passes over: a write to the API was matched against every page's route first, 165 to
    235 us of a worker's CPU (docs/write-profile.md, round five). A route's pattern can only
    match a path that begins with its fixed start, so the answer is the same, got by one
    `str.startswith` per router. Where the start is not known (a prefix with a parameter,
    a FastAPI that does not say which inclusion it matches), FastAPI matches as it would.
    """

    _starts_version: int | None = None
    _starts_by_prefix: dict[str, tuple[str, ...]]

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """FastAPI's, with a plain (sync) function as endpoint run as `in_one_hand_over`
        runs it (any other callable as FastAPI runs it)."""
        if inspect.isfunction(endpoint) and not inspect.iscoroutinefunction(endpoint):
            endpoint = in_one_hand_over(endpoint)
        super().add_api_route(path, endpoint, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match for a path none of the routes can take; else FastAPI's own answer."""
        starts = self._starts_in(scope)
        if starts is not None and not get_route_path(scope).startswith(starts):
            return Match.NONE, {}
        return super().matches(scope)

    def fixed_starts(self, prefix: str = "") -> tuple[str, ...]:
        """What each route's full path begins with before any parameter, this router being
        included under `prefix` ("" where unknown: every path)."""
        version = self._routes_version_now()
        if version != self._starts_version:
            self._starts_by_prefix = {}
            self._starts_version = version
        starts = self._starts_by_prefix.get(prefix)
        if starts is None:
            own = {start for route in self.routes for start in _starts(route)}
            starts = self._starts_by_prefix[prefix] = tuple({prefix + start for start in own})
        return starts

    def _starts_in(self, scope: Scope) -> tuple[str, ...] | None:
        # The inclusion being matched carries the prefix the routes are under (the
        # include's own, and for a router included in another, the outer router's).
        included = _inclusion(scope)
        if getattr(included, "original_router", None) is not self:
            return None
        prefix = included.include_context.prefix
        return None if "{" in prefix else self.fixed_starts(prefix)

    def _routes_version_now(self) -> int:
        # FastAPI's count of changes to these routes and those of the routers included in
        # them (a route added later to an included router must not be refused).
        version = getattr(self, "_get_routes_version", None)
        return version() if version is not None else len(self.routes)


def _starts(route: BaseRoute) -> tuple[str, ...]:
    included = getattr(route, "original_router", None)  # a router included in this one
    if included is not None:
        prefix = route.include_context.prefix  # type: ignore[attr-defined]
        if not isinstance(included, Router) or "{" in prefix:
            return ("",)
        return included.fixed_starts(prefix)
    path = getattr(route, "path", None)
    return ("",) if path is None else (path.split("{", 1)[0],)


def in_one_hand_over(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint run on the thread pool, its unit of work committed on the same thread.

    FastAPI hands a plain endpoint to the thread pool, then the check of its answer against
    the response model, then (from the session's dependency) the commit: three hand-overs
    of some 50 us of CPU each, more with eight requests in flight. Run this way, the answer
    is checked on the event loop, and the commit is made before the thread is left. The
    commit still comes before the answer is sent; an answer that fails its model (a bug)
    is then a 500 for a write that was saved. An endpoint declared @runs_long runs on the
    long requests' own threads (tracker.web.threads).
    """

    long = getattr(endpoint, "runs_long", False)

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        lane = long_requests_lane() if long else None  # None: the worker's request threads
        return await anyio.to_thread.run_sync(_then_commit, endpoint, args, kwargs, limiter=lane)

    return run


def _then_commit(endpoint: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Any:
    # On an error the rollback is made here too: the rows the endpoint wrote stay locked
    # until then, and a request waiting for a thread must not hold a lock.
    try:
        answer = endpoint(*args, **kwargs)
    except BaseException as exc:
        end_unit_of_work(exc)
        raise
    end_unit_of_work()
    return answer
