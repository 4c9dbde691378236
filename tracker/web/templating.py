"""The Jinja2 environment for pages and e-mails (autoescape on, templates/ at the top)."""

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, name: str, context: dict, status_code: int = 200):
    """Render a page with an explicit context plus the logged-in user and CSRF token."""
    base = {
        "user": getattr(request.state, "identity", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
