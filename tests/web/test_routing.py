"""The routers' quick refusal (tracker.web.routing): never of a path one of their routes takes."""

import re

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
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
        pattern = router.path_pattern()
        assert pattern is not None  # known for every router of the app: each one refuses
        for route in _leaf_routes(router):
            path = _concrete(route.path)
            assert pattern.match(path), (route.path, pattern.pattern[:200])
            checked += 1
    assert checked > 100  # the pages and the API, every one of them (145 today)


def _items_router() -> Router:
    router = Router(prefix="/items")

    @router.get("/{item_id}")
    def item(item_id: int) -> dict:
        return {"item": item_id}

    return router


def _served(app: FastAPI, path: str) -> int:
    with TestClient(app) as client:
        return client.get(path).status_code


def test_a_path_no_route_can_take_is_refused_without_trying_the_routes(monkeypatch):
    app = FastAPI()
    app.include_router(_items_router())
    (included,) = [r for r in app.router.routes if getattr(r, "original_router", None)]
    tried: list[str] = []
    real = APIRouter.matches

    def counted(self, scope):
        tried.append(scope["path"])
        return real(self, scope)

    monkeypatch.setattr(APIRouter, "matches", counted)
    assert included.matches(_scope("/patients/7"))[0] == Match.NONE
    assert included.matches(_scope("/item/7"))[0] == Match.NONE
    # Beginning as a route's path does is not enough: the whole path must fit one.
    assert included.matches(_scope("/items/7/more"))[0] == Match.NONE
    assert tried == []
    # A path that may match goes to FastAPI's own matching.
    assert included.matches(_scope("/items/7"))[0] == Match.FULL
    assert tried == ["/items/7"]


def test_routers_included_under_a_prefix_still_serve_their_paths():
    # The prefix of the inclusion, and that of a router included in another, come before
    # the routes' own paths: a refusal that forgot them would answer 404 here.
    app = FastAPI()
    app.include_router(_items_router(), prefix="/v2")
    outer = Router(prefix="/p")
    outer.include_router(_items_router())
    app.include_router(outer)
    nested = Router()
    nested.include_router(_items_router(), prefix="/c")
    app.include_router(nested)
    with_parameter = Router()
    with_parameter.include_router(_items_router(), prefix="/sites/{site}")
    app.include_router(with_parameter)
    for path in ("/v2/items/3", "/p/items/3", "/c/items/3", "/sites/x/items/3"):
        assert _served(app, path) == 200, path
    assert _served(app, "/items/3") == 404  # no inclusion serves it without its prefix


def test_a_route_added_later_is_let_through():
    app = FastAPI()
    inner = Router()
    outer = Router()

    @inner.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {"item": item_id}

    outer.include_router(inner)
    app.include_router(outer)
    assert _served(app, "/items/1") == 200
    assert _served(app, "/orders/1") == 404  # the routers' starts are worked out now

    @inner.get("/orders/{order_id}")  # to the included router, after the first requests
    def order(order_id: int) -> dict:
        return {"order": order_id}

    assert _served(app, "/orders/1") == 200

    @outer.get("/recall/{day}")
    def recall(day: str) -> dict:
        return {"day": day}

    assert _served(app, "/recall/2026-12-06") == 200
    pattern = outer.path_pattern()
    assert pattern is not None
    assert all(pattern.match(path) for path in ("/items/1", "/orders/1", "/recall/x"))


def test_the_app_still_routes_to_the_api_and_past_it_to_the_pages(client):
    # The API's routers, as one, come before the pages': a pass that refused wrongly would
    # answer 404 here instead of asking for a login.
    assert client.get("/api/v1/patients/7").status_code == 401
    assert client.get("/api/v1/worklist").status_code == 401
    assert client.get("/patients/7", follow_redirects=False).status_code in (302, 303)
    assert client.get("/api/v1/patients/7/infusions/x").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    # A path of the API asked with another method: 405, as FastAPI answers it.
    assert client.delete("/api/v1/worklist").status_code == 405


def test_a_router_with_a_route_of_unknown_paths_refuses_nothing():
    router = Router()
    router.mount("/files", FastAPI())  # a mount takes paths beyond its own
    assert router.path_pattern() is None
    assert Router().path_pattern().match("/any") is None  # no routes: no path


def test_a_routers_version_changes_with_any_route_added_below_it():
    # FastAPI keeps what it worked out of a router's routes while their version stays the
    # same: a change anywhere below must change it, a router of FastAPI's own below too.
    outer, inner, plain = Router(), Router(), APIRouter()
    outer.include_router(inner)
    seen = outer._get_routes_version()
    inner.add_api_route("/a", lambda: None)
    assert outer._get_routes_version() != seen
    seen = outer._get_routes_version()
    assert outer._get_routes_version() == seen  # asked again, nothing changed
    outer.include_router(plain)
    seen = outer._get_routes_version()
    plain.add_api_route("/b", lambda: None)  # FastAPI's own router: not counted by Router
    assert outer._get_routes_version() != seen
