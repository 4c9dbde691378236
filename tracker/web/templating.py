"""The Jinja2 environment of the pages (autoescape on, templates/ at the top) and its filters.

Every page writes a date, an instant, a figure or a dose through one filter each (`date`,
`datetime`, `number`, `dose`, `clock`), the same functions the e-mails use
(`tracker/formats/display.py`), so nothing is formatted inside a template.
"""

from datetime import UTC, date, datetime, time
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from tracker.formats.display import (
    clock_text,
    date_text,
    datetime_text,
    dose_text,
    duration_text,
    number_text,
)
from tracker.rules import HeightUnit, WeightUnit, height_text, weight_text
from tracker.web.labels import FLAG_LABELS, PATTERN_LABELS
from tracker.web.permissions import can_for

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def render(request: Request, name: str, context: dict, status_code: int = 200):
    """Render a page with an explicit context plus the logged-in user, what they may do
    (`can`, see `tracker.web.permissions`) and the CSRF token."""
    user = getattr(request.state, "identity", None)
    base = {
        "user": user,
        "can": can_for(user["role"] if user else None),
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
    shown = f"{number_text(round(kg, 2))} kg"
    return shown if unit == WeightUnit.KG else f"{shown} ({weight_text(kg, unit)})"


@pass_context
def height(context, cm: float | None) -> str:
    """A height in the site's unit ("165 cm", "65 in")."""
    if cm is None:
        return ""
    return height_text(cm, _unit(context, "height", HeightUnit.CM))


def day(value: date | None, weekday: bool = False) -> str:
    """A day: "04 Dec 2026" ("Fri 04 Dec 2026" with weekday=true); "" for none."""
    return "" if value is None else date_text(value, weekday=weekday)


@pass_context
def instant(context, value: datetime | None, seconds: bool = False, utc: bool = False) -> str:
    """An instant on the site's wall clock: "04 Dec 2026 14:05"; in UTC where a page says so
    (the audit trail, whose filter counts UTC days); "" for none."""
    if value is None:
        return ""
    return datetime_text(value, UTC if utc else _site_zone(context), seconds=seconds)


def _site_zone(context):
    request = context.get("request")
    return request.app.state.settings.zone if request is not None else UTC


def number(value: float | None, places: int | None = None, sign: bool = False) -> str:
    """A figure as staff write it ("2", "0.4", "+1.5"; `places` fixes the decimals)."""
    return "" if value is None else number_text(value, places=places, sign=sign)


def dose(value: float | None, unit: str = "g") -> str:
    """A dose with its unit ("140 g", "2 g/kg"); "" for none."""
    return "" if value is None else dose_text(value, unit)


def clock(value: time | int | None) -> str:
    """A time of day ("09:30"), from a time or minutes after midnight; "" for none."""
    return "" if value is None else clock_text(value)


templates.env.filters.update(
    {
        "date": day,
        "datetime": instant,
        "clock": clock,
        "duration": duration_text,
        "number": number,
        "dose": dose,
        "weight": weight,
        "dosing_weight": dosing_weight,
        "height": height,
    }
)
templates.env.globals.update(
    {
        "weight_units": [u.value for u in WeightUnit],
        "height_units": [u.value for u in HeightUnit],
        # Read by the flag chip (_flag.html) on whichever page draws it.
        "flag_labels": FLAG_LABELS,
        "pattern_labels": PATTERN_LABELS,
    }
)
