"""The app's routers: FastAPI's, with a quick refusal of paths none of their routes take,
and endpoints that end their unit of work on their own thread."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, ClassVar

import anyio.to_thread
import fastapi.routing
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute, compile_path, get_route_path
from starlette.types import Scope

from tracker.web.deps import end_unit_of_work
from tracker.web.threads import long_requests_lane

# Which inclusion of a router FastAPI is matching: FastAPI 0.16x keeps it in the scope.
# Another FastAPI without it: no refusal, its own matching only.
_inclusion: Callable[[Scope], Any] = getattr(
    fastapi.routing, "_get_scope_included_router", lambda scope: None
)


class Router(APIRouter):
    """An APIRouter that refuses at once a path none of its routes can take: one match of
    a pattern made of all its routes' paths (each under its full prefix).

    The app tries its routers in turn, and FastAPI tries every route of each router it
    passes over: a write to the API was matched against every page's route first, 165 to
    235 us of a worker's CPU (docs/write-profile.md, round five), and then against each
    route of every API router whose paths begin as its own does (round ten). The answer
    is the same, got by one regular expression per router: FastAPI's own matching runs
    for a path the pattern takes. Where the pattern is not known (a route of another kind
    than a path's, a router not of this class, a FastAPI that does not say which inclusion
    it matches), FastAPI matches as it would.
    """

    _patterns_version: int | None = None
    _patterns_by_prefix: dict[str, re.Pattern[str] | None]
    # Bumped at every change to any Router's routes (see _get_routes_version).
    _changes: ClassVar[int] = 0
    _foreign_checked: int | None = None
    _foreign: bool = False

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """FastAPI's, with a plain (sync) function as endpoint run as `in_one_hand_over`
        runs it (any other callable as FastAPI runs it)."""
        if inspect.isfunction(endpoint) and not inspect.iscoroutinefunction(endpoint):
            endpoint = in_one_hand_over(endpoint)
        super().add_api_route(path, endpoint, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match for a path none of the routes can take; else FastAPI's own answer."""
        pattern = self._pattern_in(scope)
        if pattern is not None and pattern.match(get_route_path(scope)) is None:
            return Match.NONE, {}
        return super().matches(scope)

    def path_pattern(self, prefix: str = "") -> re.Pattern[str] | None:
        """A pattern that every path one of the routes takes matches, this router being
        included under `prefix`; None where that is not known (any path may match)."""
        version = self._routes_version_now()
        if version != self._patterns_version:
            self._patterns_by_prefix = {}
            self._patterns_version = version
        if prefix not in self._patterns_by_prefix:
            parts = [_path_regex(route, prefix) for route in self.routes]
            self._patterns_by_prefix[prefix] = (
                None
                if None in parts
                else re.compile("|".join(f"(?:{part})" for part in parts) or _NOTHING)
            )
        return self._patterns_by_prefix[prefix]

    def _pattern_in(self, scope: Scope) -> re.Pattern[str] | None:
        # The inclusion being matched carries the prefix the routes are under (the
        # include's own, and for a router included in another, the outer router's).
        included = _inclusion(scope)
        if getattr(included, "original_router", None) is not self:
            return None
        return self.path_pattern(included.include_context.prefix)

    def _routes_version_now(self) -> int:
        # FastAPI's count of changes to these routes and those of the routers included in
        # them (a route added later to an included router must not be refused).
        return self._get_routes_version() if _COUNTS_CHANGES else len(self.routes)

    def _mark_routes_changed(self) -> None:
        """FastAPI's, and the count of changes to any Router's routes."""
        super()._mark_routes_changed()
        Router._changes += 1

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        """A number that changes whenever these routes or those of a router included in
        them change: the count of changes to any Router's routes.

        FastAPI asks for it at each level of inclusion at every match, twice, and its own
        walks every router included below (some 100 us of a worker's CPU a request);
        a count bumped by every change answers at once. Below a router of another class,
        whose changes it does not see, FastAPI's own sum is given."""
        if self._foreign_below():
            return super()._get_routes_version(seen)
        return Router._changes

    def _foreign_below(self) -> bool:
        # Whether a router not of this class is included here or below. Kept until the
        # count changes: only an inclusion in a Router (counted) can make it true, and
        # once true it stays so.
        if self._foreign_checked != Router._changes:
            self._foreign = any(
                (inner := getattr(route, "original_router", None)) is not None
                and (not isinstance(inner, Router) or inner._foreign_below())
                for route in self.routes
            )
            self._foreign_checked = Router._changes
        return self._foreign


# FastAPI 0.16x counts the changes to a router's routes; before it, the number of routes
# stands in for that count.
_COUNTS_CHANGES = hasattr(APIRouter, "_mark_routes_changed")
_NOTHING = "(?!)"  # a router with no routes takes no path


def _path_regex(route: BaseRoute, prefix: str) -> str | None:
    # The regular expression of the paths a route takes under `prefix` (a router included
    # here: of all of its routes'); None for a kind of route whose paths are not known.
    included = getattr(route, "original_router", None)
    if included is not None:
        if not isinstance(included, Router):
            return None
        inner = included.path_pattern(prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        return None if inner is None else inner.pattern
    if not isinstance(route, APIRoute | Route | WebSocketRoute):
        return None  # a mount, a host: paths beyond their own
    # Its parameters' groups unnamed: a name may not be used twice in one pattern.
    return _NAMED_GROUP.sub("(?:", compile_path(prefix + route.path)[0].pattern)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


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
