"""The FastAPI application: pages, the JSON API, health and error handling."""

import gc
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker import __version__
from tracker.services.errors import ServiceError
from tracker.services.health import database_answers
from tracker.settings import Settings, get_settings
from tracker.store.engine import get_engine
from tracker.web.api import admin as api_admin
from tracker.web.api import auth as api_auth
from tracker.web.api import authorizations as api_authorizations
from tracker.web.api import diagnosis as api_diagnosis
from tracker.web.api import infusions as api_infusions
from tracker.web.api import opening as api_opening
from tracker.web.api import other_treatments as api_other_treatments
from tracker.web.api import patients as api_patients
from tracker.web.api import worklist as api_worklist
from tracker.web.deps import LoginRequired
from tracker.web.interop_routes import router as interop_router
from tracker.web.openapi_answers import TrackerAPI, also_answers
from tracker.web.pages import admin as admin_pages
from tracker.web.pages import admin_chairs as admin_chair_pages
from tracker.web.pages import admin_products as admin_product_pages
from tracker.web.pages import auth as page_auth
from tracker.web.pages import authorizations as authorization_pages
from tracker.web.pages import (
    booking,
    diagnosis,
    home,
    nurse,
    nurse_week,
    patient,
    patient_forms,
    worklist,
)
from tracker.web.pages import other_treatments as other_treatment_pages
from tracker.web.pages import outbox as outbox_page
from tracker.web.pages import self_course as self_course_pages
from tracker.web.routes_index import methods_allowed
from tracker.web.routing import Router
from tracker.web.security import add_security_middleware
from tracker.web.templating import render, templates
from tracker.web.threads import request_threads, set_request_threads

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    settings: Settings | None = None,
    engine: Engine | Connection | None = None,
    *,
    lifespan=None,
) -> FastAPI:
    """Build the app for these settings and engine (default: the process's own)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def _lifespan(app: FastAPI):
        # Everything made at start-up (modules, mappers, templates: some 100,000 objects)
        # lives as long as the process; frozen, the collector stops walking them, which
        # otherwise took 100 ms and more now and then in the middle of a request.
        gc.freeze()
        set_request_threads(request_threads(settings.web_threads, app.state.engine.dialect.name))
        if lifespan is None:
            yield
        else:
            async with lifespan(app):
                yield

    app = TrackerAPI(
        title="ivig-tracker",
        version=__version__,
        description="Maintenance IVIG tracking around each patient's measured response.",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine()
    # Checking every template's file for changes on each render was 4% of a worker's time
    # under load: only while developing.
    templates.env.auto_reload = settings.env == "development"

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(_json_api())
    app.include_router(page_auth.router)
    app.include_router(worklist.router)
    app.include_router(home.router)
    app.include_router(patient_forms.router)  # before /patients/{id}: "new" is not an id
    app.include_router(patient.router)
    app.include_router(other_treatment_pages.router)
    app.include_router(authorization_pages.router)
    app.include_router(diagnosis.router)
    app.include_router(booking.router)
    app.include_router(nurse.router)
    app.include_router(self_course_pages.router)
    app.include_router(nurse_week.router)
    app.include_router(outbox_page.router)
    app.include_router(admin_pages.router)
    app.include_router(admin_chair_pages.router)
    app.include_router(admin_product_pages.router)
    app.include_router(interop_router)  # FHIR, CSV, recall, review report, calendars
    from tracker.web import docs  # after the routers: the schema must see every route

    app.include_router(docs.router)
    _add_health(app)
    _add_error_handlers(app)
    _add_server_timing(app)
    add_security_middleware(app, settings)  # outermost: headers and the body cap on all
    return app


def _add_server_timing(app: FastAPI) -> None:
    # Server-Timing lets a browser's devtools and the benchmarks see the time spent in the
    # app itself, apart from the network. A plain ASGI wrapper, not @app.middleware("http"):
    # that one runs every request through an extra task and memory streams, which cost
    # about as much as a whole trivial request.
    app.add_middleware(ServerTiming)


class ServerTiming:
    """Adds `Server-Timing: app;dur=MS` (time until the answer's headers) to HTTP answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={elapsed_ms:.1f}".encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_timing)


class Health(BaseModel):
    """Whether the database answers."""

    status: Literal["ok", "unavailable"]


def _json_api() -> Router:
    """The JSON API's routers (every path under /api/v1/) as one, tried first.

    The app tries its routers in turn until one takes the path: an API call was tried
    against the sixteen page routers first, 90 to 120 us of a worker's CPU to find its
    route (docs/write-profile.md, round ten). As one router, the API is refused a page's
    path at once (no page path begins with /api/v1/, so the order changes no answer)."""
    api = Router()
    for router in (
        api_auth.router,
        api_patients.router,
        api_diagnosis.router,
        api_infusions.router,
        api_authorizations.router,
        api_opening.router,
        api_other_treatments.router,
        api_worklist.router,
        api_admin.router,
    ):
        api.include_router(router)
    return api


def _add_health(app: FastAPI) -> None:
    unavailable = also_answers(503)
    unavailable[503]["model"] = Health

    @app.get("/healthz", tags=["health"], responses=unavailable)
    def healthz() -> Health:
        """200 when the database answers, 503 when it does not; no login needed."""
        if not database_answers(app.state.engine):
            return JSONResponse(  # type: ignore[return-value]
                {"status": "unavailable"}, status_code=503
            )
        return Health(status="ok")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/openapi.json", "/healthz")


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 405:
            # The route that answered lists only its own methods: name every method of
            # every route at this path (RFC 9110 wants them all).
            allowed = methods_allowed(request.app, request.scope)
            exc = StarletteHTTPException(405, exc.detail, headers={"Allow": ", ".join(allowed)})
        if _wants_json(request):
            return await http_exception_handler(request, exc)
        page = render(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.detail},
            status_code=exc.status_code,
        )
        page.headers.update(exc.headers or {})
        return page

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        if not _wants_json(request):
            return render(
                request,
                "error.html",
                {"status": exc.status_code, "message": exc.message},
                status_code=exc.status_code,
            )
        detail: list[dict[str, Any]] | dict[str, str] | str
        if exc.status_code == 422:  # the documented shape, even with no one field to name
            # Where the field came from, as FastAPI's own errors say it: a query parameter
            # refused by a service (the worklist's flag) is no part of a body.
            where = (
                "query"
                if exc.field in request.query_params
                else "path"
                if exc.field in request.path_params
                else "body"
            )
            loc = [where, exc.field] if exc.field else ["body"]
            detail = [{"loc": loc, "msg": exc.message, "type": "value_error"}]
        elif exc.field:
            detail = {"msg": exc.message, "field": exc.field}
        else:
            detail = exc.message
        return JSONResponse({"detail": detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        # FastAPI's own shape, minus the echoed input (it may hold health information).
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)
