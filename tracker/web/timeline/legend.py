"""Legend, screen-reader summary and empty state of the SVG timeline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from tracker.web.timeline.panels import Panel
from tracker.web.timeline.style import (
    COURSE,
    FONT,
    HOME_DASH,
    INK,
    LEGEND_ROW,
    MUTED,
    NEXT,
    REGIMEN_FILLS,
    TREATMENT_FILL,
    TREATMENT_LINE,
    WINDOW,
)
from tracker.web.timeline.text import esc, fmt_day, num, text_width

TITLE_ID = "tl-title"
DESC_ID = "tl-desc"
_GLYPH = 22.0  # room for a symbol before its text
_ITEM_GAP = 18.0

Glyph = Callable[[float, float], str]

_GLYPHS: dict[str, tuple[Glyph, str]] = {
    "trough": (
        lambda x, y: (
            f'<path d="M{num(x + 11)} {num(y)}m-4.5-2.6h9l-4.5 7.8z" '
            f'fill="#ffffff" stroke="{INK}" stroke-width="1.5"/>'
        ),
        "before infusion (trough)",
    ),
    "peak": (
        lambda x, y: f'<circle cx="{num(x + 11)}" cy="{num(y)}" r="3.6" fill="{INK}"/>',
        "after infusion (peak)",
    ),
    "plain": (
        lambda x, y: (
            f'<circle cx="{num(x + 11)}" cy="{num(y)}" r="2.6" fill="#ffffff" '
            f'stroke="{INK}" stroke-width="1.2"/>'
        ),
        "score not used as peak or trough",
    ),
    "clinic": (
        lambda x, y: f'<rect x="{num(x + 8)}" y="{num(y - 3)}" width="6" height="6" fill="{INK}"/>',
        "clinic score",
    ),
    "home": (
        lambda x, y: (
            f'<path d="M{num(x)} {num(y)}h20" stroke="{INK}" stroke-width="1.6" '
            f'stroke-dasharray="{HOME_DASH}"/>'
        ),
        "recorded at home (dotted)",
    ),
    "lines": (
        lambda x, y: (
            f'<path d="M{num(x)} {num(y - 2)}h20" stroke="{INK}" '
            f'stroke-width="1.6"/><path d="M{num(x)} {num(y + 3)}h20" stroke="{INK}" '
            f'stroke-opacity="0.45"/>'
        ),
        "troughs joined; peaks lighter",
    ),
    "given": (
        lambda x, y: (
            f'<path d="M{num(x + 11)} {num(y - 7)}v14" stroke="{COURSE}" stroke-width="1.5"/>'
        ),
        "infusion given (dose in g)",
    ),
    "booked": (
        lambda x, y: (
            f'<path d="M{num(x + 11)} {num(y - 7)}v14" stroke="{COURSE}" '
            f'stroke-width="1.5" stroke-dasharray="3 2"/>'
        ),
        "infusion booked",
    ),
    "regimen": (
        lambda x, y: (
            f'<rect x="{num(x)}" y="{num(y - 6)}" width="10" height="12" '
            f'fill="{REGIMEN_FILLS[0]}"/><rect x="{num(x + 10)}" y="{num(y - 6)}" '
            f'width="10" height="12" fill="{REGIMEN_FILLS[1]}"/>'
        ),
        "regimen periods",
    ),
    "treatment": (
        lambda x, y: (
            f'<path d="M{num(x)} {num(y - 5)}h14l6 5-6 5h-14z" '
            f'fill="{TREATMENT_FILL}" stroke="{TREATMENT_LINE}"/>'
        ),
        "other treatment (arrow: ongoing)",
    ),
    "window": (
        lambda x, y: (
            f'<rect x="{num(x + 3)}" y="{num(y - 6)}" width="14" height="12" '
            f'fill="{WINDOW}" fill-opacity="0.35"/>'
        ),
        "due window",
    ),
    "next": (
        lambda x, y: f'<path d="M{num(x + 11)} {num(y - 5)}l5 5-5 5-5-5z" fill="{NEXT}"/>',
        "next booking",
    ),
    "today": (
        lambda x, y: (
            f'<path d="M{num(x + 11)} {num(y - 7)}v14" stroke="{INK}" stroke-width="1.5"/>'
        ),
        "today",
    ),
}


def legend_rows(keys: Sequence[str], width: float) -> list[list[str]]:
    """Legend entries flowed into rows that fit the width."""
    rows: list[list[str]] = [[]]
    used = 0.0
    for key in keys:
        need = _GLYPH + text_width(_GLYPHS[key][1], 11) + _ITEM_GAP
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0.0
        rows[-1].append(key)
        used += need
    return rows


def draw_legend(out: list[str], rows: list[list[str]], left: float, top: float) -> None:
    """The symbol key under the time axis."""
    out.append(f'<g class="tl-legend" font-size="11" fill="{INK}">')
    for r, row in enumerate(rows):
        x, y = left, top + r * LEGEND_ROW + LEGEND_ROW / 2
        for key in row:
            glyph, text = _GLYPHS[key]
            out.append(glyph(x, y))
            out.append(f'<text x="{num(x + _GLYPH + 2)}" y="{num(y + 4)}">{text}</text>')
            x += _GLYPH + text_width(text, 11) + _ITEM_GAP
    out.append("</g>")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary(
    *,
    first: date,
    last: date,
    panels: Sequence[Panel],
    given: int,
    booked: int,
    regimens: int,
    current: str | None,
    window: tuple[date, date] | None,
    next_booking: date | None,
    today: date,
    treatments: Sequence[str] = (),
) -> str:
    """Plain-text summary for the <desc> (unescaped); first/last are the drawn data's span."""
    series = [s for p in panels for s in p.series]
    scores = sum(len(s.points) for s in series)
    parts = [
        f"Courses and scores from {fmt_day(first)} to {fmt_day(last)}.",
        f"{_plural(given, 'infusion course')} given, {booked} booked.",
    ]
    detail = "; ".join(f"{s.series.label} {len(s.points)}" for s in series)
    parts.append(
        f"{_plural(scores, 'score')} in {_plural(len(series), 'series', 'series')}"
        + (f": {detail}." if detail else ".")
    )
    inverted = [p.heading for p in panels if p.inverted]
    if inverted:
        parts.append(
            "Lower-is-better scores are drawn with the axis inverted, so up is always better."
        )
    parts.append(
        f"{_plural(regimens, 'regimen period')}"
        + (f"; current regimen {current}." if current else ".")
    )
    if treatments:
        parts.append(f"Other treatments: {'; '.join(treatments)}.")
    if window:
        parts.append(f"Next infusion due {fmt_day(window[0])} to {fmt_day(window[1])}.")
    if next_booking:
        parts.append(f"Next booking {fmt_day(next_booking)}.")
    parts.append(f"Today is {fmt_day(today)}.")
    return " ".join(parts)


def svg_open(width: float, height: float, title: str, desc: str) -> str:
    """The root element with its accessible name and description."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tl" role="img" '
        f'aria-labelledby="{TITLE_ID} {DESC_ID}" width="{num(width)}" '
        f'height="{num(height)}" viewBox="0 0 {num(width)} {num(height)}" '
        f'font-family="{FONT}" font-size="11"><title id="{TITLE_ID}">{esc(title)}</title>'
        f'<desc id="{DESC_ID}">{esc(desc)}</desc>'
    )


def empty_state(width: int, next_booking: date | None) -> str:
    """A small, calm box for a patient with no courses or scores yet."""
    height = 72
    extra = f"Next booking {fmt_day(next_booking)}." if next_booking else ""
    desc = "No infusion courses or scores recorded yet." + (f" {extra}" if extra else "")
    parts = [
        svg_open(width, height, "Infusion and score timeline", desc),
        f'<rect class="tl-empty" x="1" y="1" width="{width - 2}" height="{height - 2}" '
        f'rx="6" fill="#f3f6f8" stroke="#a9b6c0" stroke-dasharray="4 3"/>',
        f'<text x="{num(width / 2)}" y="{32 if extra else 41}" text-anchor="middle" '
        f'font-size="14" font-weight="600" fill="{INK}">No courses or scores yet</text>',
    ]
    if extra:
        parts.append(
            f'<text x="{num(width / 2)}" y="54" text-anchor="middle" '
            f'fill="{MUTED}">{esc(extra)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
