"""The OpenAPI schema and the interactive docs, both behind a login, assets served locally."""

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from tracker.web.deps import AnyUser

router = APIRouter(include_in_schema=False)

# Swagger UI from our own static files, never a CDN, started by a static script rather than
# FastAPI's inline one, which the Content-Security-Policy would block.
SWAGGER_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ivig-tracker API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/static/swagger-init.js"></script>
</body>
</html>
"""


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
def swagger_ui(_user: AnyUser) -> HTMLResponse:
    """Interactive API docs."""
    return HTMLResponse(SWAGGER_PAGE)
