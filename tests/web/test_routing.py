"""The routers' quick refusal (tracker.web.routing): never of a path one of their routes takes."""

import re

from fastapi import APIRouter
from starlette.routing import BaseRoute, Match

from tracker.web.app import create_app
from tracker.web.routing import Router


def _scope(path: str, method: str = "GET") -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _concrete(path: str) -> str:
    # A path the route's pattern takes: each parameter given a value of its kind.
    return re.sub(r"\{[^}:]+(:path)?[^}]*\}", lambda m: "a/b" if m.group(1) else "7", path)


def _leaf_routes(router: APIRouter) -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for route in router.routes:
        included = getattr(route, "original_router", None)
        out.extend(_leaf_routes(included) if included is not None else [route])
    return out


def test_every_route_of_the_app_passes_its_own_routers_refusal():
    app = create_app()
    routers = [getattr(r, "original_router", None) for r in app.router.routes]
    routers = [r for r in routers if r is not None]
    assert routers and all(isinstance(r, Router) for r in routers)
    checked = 0
    for router in routers:
        for route in _leaf_routes(router):
            path = _concrete(route.path)
            assert path.startswith(router.fixed_starts()), (route.path, router.fixed_starts())
            checked += 1
    assert checked > 100  # the pages and the API, every one of them (145 today)


def test_a_path_no_route_can_take_is_refused_without_trying_the_routes(monkeypatch):
    router = Router(prefix="/api/v1/patients")

    @router.get("/{patient_id}")
    def one(patient_id: int) -> None: ...

    @router.get("/login-help")
    def other() -> None: ...

    assert set(router.fixed_starts()) == {"/api/v1/patients/", "/api/v1/patients/login-help"}
    tried: list[str] = []
    monkeypatch.setattr(
        APIRouter, "matches", lambda self, scope: tried.append(scope["path"]) or (Match.FULL, {})
    )
    assert router.matches(_scope("/patients/7")) == (Match.NONE, {})
    assert router.matches(_scope("/api/v1/patient")) == (Match.NONE, {})
    assert tried == []
    # A path that may match goes to FastAPI's own matching.
    assert router.matches(_scope("/api/v1/patients/7"))[0] == Match.FULL
    assert tried == ["/api/v1/patients/7"]


def test_a_route_added_later_is_let_through():
    router = Router()

    @router.get("/outbox")
    def outbox() -> None: ...

    assert router.fixed_starts() == ("/outbox",)

    @router.get("/recall/{day}")
    def recall(day: str) -> None: ...

    assert set(router.fixed_starts()) == {"/outbox", "/recall/"}


def test_the_app_still_routes_past_the_pages_to_the_api(client):
    # The API's routers come after the pages': a pass that refused wrongly would answer
    # 404 here instead of asking for a login.
    assert client.get("/api/v1/patients/7").status_code == 401
    assert client.get("/api/v1/worklist").status_code == 401
    assert client.get("/no/such/page").status_code == 404
