"""Text helpers for the SVG timeline: escaping, number and date formats, width estimates."""

from __future__ import annotations

from datetime import date

from markupsafe import escape

# The pages' own writers (and month names: strftime("%b") follows the process locale), so the
# timeline's dates and figures read as the page around it does.
from tracker.formats.display import MONTHS, date_text, number_text

__all__ = ["MONTHS", "esc", "fit", "fmt_day", "fmt_short", "fmt_value", "num", "text_width"]

# Glyph advances of a wide sans-serif face (DejaVu Sans, the widest fallback we are likely to
# meet) as shares of the font size. Only used to keep labels from colliding, so erring wide
# is safer than erring narrow.
_NARROW = frozenset(" .,:;'!|()[]/-ijlrtf")
_WIDE = frozenset("MWmw@%<>=+~#&")


def esc(text: object) -> str:
    """Text escaped for SVG/XML content and double-quoted attributes."""
    return str(escape(str(text)))


def num(x: float) -> str:
    """A coordinate with one decimal, without a trailing ".0" (keeps the SVG small)."""
    s = f"{x:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def fmt_value(value: float) -> str:
    """A score as staff write it: 62, 62.5, 0.25."""
    return number_text(round(value, 2))


def fmt_day(day: date) -> str:
    """A date as every page writes it: 07 Mar 2024."""
    return date_text(day)


def fmt_short(day: date) -> str:
    """A date as 07 Mar (for labels where the year is on the axis)."""
    return f"{day.day:02d} {MONTHS[day.month - 1]}"


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Rough rendered width of text in pixels (a little on the wide side)."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.9
        elif ch.isupper() or ch.isdigit():
            em += 0.68
        else:
            em += 0.6
    return em * size * (1.15 if bold else 1.0)


def fit(text: str, room: float, size: float, bold: bool = False) -> str:
    """The text, cut with an ellipsis so it fits in room pixels ("" if nothing fits)."""
    if text_width(text, size, bold) <= room:
        return text
    keep = len(text)
    while keep > 3 and text_width(text[:keep] + "…", size, bold) > room:
        keep -= 1
    return text[:keep].rstrip() + "…" if keep > 3 else ""
