"""The OpenAPI schema and the API reference drawn from it, both behind a login.

The reference at `/docs` is our own page (`templates/api_docs.html`, the same header and
landmarks as every other page, no JavaScript), built from the schema by
`tracker.web.api_reference`.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from tracker.web.api_reference import Reference, build_reference
from tracker.web.deps import AnyUser
from tracker.web.routing import Router
from tracker.web.templating import render

router = Router(include_in_schema=False)


def openapi_of(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI schema, made once and kept."""
    if app.openapi_schema is None:
        app.openapi_schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
    return app.openapi_schema


def reference_of(app: FastAPI) -> Reference:
    """The page's view of the schema, made once per schema and kept."""
    schema = openapi_of(app)
    kept = getattr(app.state, "api_reference", None)
    if kept is None or kept[0] is not schema:
        kept = (schema, build_reference(schema))
        app.state.api_reference = kept
    return kept[1]


@router.get("/openapi.json")
def openapi_schema(request: Request, _user: AnyUser) -> JSONResponse:
    """The OpenAPI schema of the JSON API."""
    return JSONResponse(openapi_of(request.app))


@router.get("/docs")
def api_docs(request: Request, _user: AnyUser):
    """The API reference: every operation by tag, its parameters, body and answers."""
    return render(request, "api_docs.html", {"api": reference_of(request.app)})
