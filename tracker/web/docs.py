"""The OpenAPI schema and the interactive docs, both behind a login, assets served locally."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from tracker.web.deps import AnyUser

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi_schema(request: Request, _user: AnyUser) -> JSONResponse:
    """The OpenAPI schema of the JSON API."""
    app = request.app
    if app.openapi_schema is None:
        app.openapi_schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
    return JSONResponse(app.openapi_schema)


@router.get("/docs")
def swagger_ui(_user: AnyUser):
    """Interactive API docs (Swagger UI from our own static files, never a CDN)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="ivig-tracker API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
