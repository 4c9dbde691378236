"""How dates, times, numbers and doses are written for people: one style for every page and e-mail.

The template filters of the pages (`tracker/web/templating.py`) and of the e-mails
(`tracker/formats/email.py`) are these functions, so a date never reads two ways. ISO dates
(`day.isoformat()`) stay where a machine reads them: the `value` of a date input, a link's
query, a data attribute. Pure, standard library only (like the rest of `tracker.formats`), so
services may use it too, for the sentences they write into subject lines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo

# Defined once, in the rules' wording (their refusals write days as the pages do).
from tracker.rules.wording import MONTHS as MONTHS
from tracker.rules.wording import WEEKDAYS as WEEKDAYS
from tracker.rules.wording import date_text as date_text

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The units a dose is written in; anything else is a mistake in a template.
DOSE_UNITS = ("g", "g/kg")
# Decimals kept before trailing zeros are dropped: doses go to 0.5 g and 0.01 g/kg, scores to
# 0.5; four places keep every figure we store without ever writing 1e+06 as '%g' did.
_PLACES = 4


def long_date(day: date) -> str:
    """A day as a letter to a patient writes it: "Thursday 5 March 2026"."""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def clock_text(moment: time | int) -> str:
    """A time of day as HH:MM, from a `time` or from minutes after midnight (past 24 h wraps)."""
    if isinstance(moment, int):
        return f"{(moment // 60) % 24:02d}:{moment % 60:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def duration_text(minutes: int) -> str:
    """A span of time in whole minutes: "2 h 05 min"."""
    return f"{minutes // 60} h {minutes % 60:02d} min"


def datetime_text(moment: datetime, zone: tzinfo, *, seconds: bool = False) -> str:
    """An instant on the wall clock of `zone`: "04 Dec 2026 14:05" (":07" with seconds)."""
    # Stored instants are aware UTC; a naive one can only be UTC too (never the server's zone).
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    clock = (
        f"{clock_text(local.time())}:{local.second:02d}" if seconds else clock_text(local.time())
    )
    return f"{date_text(local.date())} {clock}"


def number_text(value: float, *, places: int | None = None, sign: bool = False) -> str:
    """A figure without trailing zeros ("2", "0.4", "1200"), or to fixed `places` ("1.33")."""
    if places is not None:
        text = f"{value:.{places}f}"
    else:
        text = f"{round(float(value), _PLACES):.{_PLACES}f}".rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")  # never "-0"
    return f"+{text}" if sign and not text.startswith("-") else text


def dose_text(value: float, unit: str = "g") -> str:
    """A dose with its unit: "140 g", "2 g/kg"."""
    if unit not in DOSE_UNITS:
        raise ValueError(f"unknown dose unit {unit!r} (one of {', '.join(DOSE_UNITS)})")
    return f"{number_text(value)} {unit}"
