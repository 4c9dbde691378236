"""The Jinja2 environment for pages and e-mails (autoescape on, templates/ at the top)."""

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from tracker.rules import HeightUnit, WeightUnit, height_text, weight_text

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, name: str, context: dict, status_code: int = 200):
    """Render a page with an explicit context plus the logged-in user and CSRF token."""
    base = {
        "user": getattr(request.state, "identity", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def _unit(context, kind: str, default: str) -> str:
    # The page's `units` (services.policy.display_units); kg and cm where a page passes none.
    units = context.get("units")
    return getattr(units, kind, default) if units is not None else default


@pass_context
def weight(context, kg: float | None) -> str:
    """A weight in the site's unit, to a tenth ("70 kg", "154.3 lb")."""
    if kg is None:
        return ""
    return weight_text(kg, _unit(context, "weight", WeightUnit.KG))


@pass_context
def dosing_weight(context, kg: float | None) -> str:
    """A dosing weight in kg to 2 decimals, as multiplied (section 3), and the site's unit."""
    if kg is None:
        return ""
    unit = _unit(context, "weight", WeightUnit.KG)
    shown = f"{round(kg, 2):g} kg"
    return shown if unit == WeightUnit.KG else f"{shown} ({weight_text(kg, unit)})"


@pass_context
def height(context, cm: float | None) -> str:
    """A height in the site's unit ("165 cm", "65 in")."""
    if cm is None:
        return ""
    return height_text(cm, _unit(context, "height", HeightUnit.CM))


templates.env.filters["weight"] = weight
templates.env.globals["weight_units"] = [u.value for u in WeightUnit]
templates.env.globals["height_units"] = [u.value for u in HeightUnit]
templates.env.filters["dosing_weight"] = dosing_weight
templates.env.filters["height"] = height
