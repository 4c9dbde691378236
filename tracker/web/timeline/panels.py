"""Score panels of the SVG timeline: grouping series, y axes, trend lines and points."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.web.timeline.scale import TimeScale, ValueScale, value_scale
from tracker.web.timeline.style import (
    DASHES,
    FRAME,
    GRID,
    HOME_DASH,
    INK,
    KIND_NAMES,
    MUTED,
    PALETTE,
    PANEL_ORDER,
    PANEL_TITLES,
)
from tracker.web.timeline.text import esc, fit, fmt_day, fmt_value, num, text_width
from tracker.web.timeline.values import TimelinePoint, TimelineSeries


@dataclass(frozen=True)
class StyledSeries:
    """A series with only its drawn points (sorted by day) and its colour and dash."""

    series: TimelineSeries
    points: tuple[TimelinePoint, ...]
    colour: str
    dash: str


@dataclass(frozen=True)
class Panel:
    """One stacked panel: its series share the y axis."""

    key: str
    heading: str
    series: tuple[StyledSeries, ...]
    inverted: bool
    whole: bool


def group_panels(series: Sequence[TimelineSeries], scale: TimeScale) -> list[Panel]:
    """Series grouped into panels in clinical order, keeping points inside the time domain."""
    by_panel: dict[str, list[tuple[TimelineSeries, tuple[TimelinePoint, ...]]]] = {}
    for s in series:
        for p in s.points:
            if p.kind not in KIND_NAMES:
                raise ValueError(f"unknown point kind {p.kind!r} in series {s.key!r}")
        # sorted() is stable, so points on the same day keep the caller's order.
        points = tuple(sorted((p for p in s.points if scale.contains(p.day)), key=lambda p: p.day))
        if points:
            by_panel.setdefault(s.panel, []).append((s, points))
    order = [k for k in PANEL_ORDER if k in by_panel]
    order += sorted(k for k in by_panel if k not in PANEL_ORDER)
    panels, colour_index = [], 0
    for key in order:
        styled = []
        for i, (s, points) in enumerate(by_panel[key]):
            colour = PALETTE[colour_index % len(PALETTE)]
            dash = HOME_DASH if s.home else DASHES[i % len(DASHES)]
            styled.append(StyledSeries(s, points, colour, dash))
            colour_index += 1
        panels.append(_panel(key, tuple(styled)))
    return panels


def _panel(key: str, styled: tuple[StyledSeries, ...]) -> Panel:
    lower = [not s.series.higher_is_better for s in styled]
    # Up must always mean better: invert when the panel's scores are lower-is-better.
    inverted = all(lower)
    units = " / ".join(dict.fromkeys(s.series.unit for s in styled))
    names = " / ".join(s.series.label for s in styled)
    title = names if len(names) <= 28 else PANEL_TITLES.get(key, key.replace("_", " "))
    notes = [units] if units else []
    if inverted:
        notes.append("lower is better, axis inverted")
    elif any(lower):
        notes.append("higher is up, but some series are lower-is-better")
    whole = all(float(p.value).is_integer() for s in styled for p in s.points)
    heading = f"{title} ({'; '.join(notes)})" if notes else title
    return Panel(key, heading, styled, inverted, whole)


def panel_scale(panel: Panel, top: float, bottom: float) -> ValueScale:
    """The panel's y scale from its drawn points."""
    values = [p.value for s in panel.series for p in s.points]
    return value_scale(values, top, bottom, inverted=panel.inverted, whole=panel.whole)


def draw_panel_frame(
    out: list[str], panel: Panel, ys: ValueScale, left: float, right: float
) -> None:
    """Horizontal gridlines, y tick labels and the frame of one panel."""
    grid = "".join(f"M{num(left)} {num(ys.y(t))}H{num(right)}" for t in ys.ticks)
    out.append(f'<g class="tl-panel" data-panel="{esc(panel.key)}">')
    out.append(f'<path class="tl-grid" d="{grid}" stroke="{GRID}" stroke-width="0.8" fill="none"/>')
    out.append(f'<g class="tl-yticks" fill="{MUTED}" font-size="10" text-anchor="end">')
    for t in ys.ticks:
        out.append(f'<text x="{num(left - 6)}" y="{num(ys.y(t) + 3.5)}">{fmt_value(t)}</text>')
    out.append("</g>")
    out.append(
        f'<rect class="tl-frame" x="{num(left)}" y="{num(ys.top)}" '
        f'width="{num(right - left)}" height="{num(ys.bottom - ys.top)}" '
        f'fill="none" stroke="{FRAME}" stroke-width="1"/></g>'
    )


def draw_panel_header(out: list[str], panel: Panel, top: float, left: float, right: float) -> None:
    """The panel heading on the left and its series key (line sample, label) on the right."""
    y = num(top - 7)
    # The key may take at most half the row; long labels are cut (full text in the legend
    # of the page and in every point's tooltip).
    room = (right - left) / 2 / len(panel.series) - 27 - 14
    labels = [fit(s.series.label, room, 11) for s in panel.series]
    widths = [22 + 5 + text_width(label, 11) for label in labels]
    x = right - sum(widths) - 14 * (len(widths) - 1)
    heading = fit(panel.heading, x - 16 - left, 12, bold=True)
    out.append(
        f'<g class="tl-panel-header" font-size="11"><text class="tl-panel-title" '
        f'x="{num(left)}" y="{y}" font-size="12" font-weight="600" fill="{INK}">'
        f"{esc(heading)}<title>{esc(panel.heading)}</title></text>"
    )
    for s, label, w in zip(panel.series, labels, widths, strict=True):
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(
            f'<path d="M{num(x)} {num(top - 11)}h22" stroke="{s.colour}" '
            f'stroke-width="2"{dash} fill="none"/><text x="{num(x + 27)}" y="{y}" '
            f'fill="{INK}">{esc(label)}<title>{esc(s.series.label)}</title></text>'
        )
        x += w + 14
    out.append("</g>")


# Marker shapes per kind, centred on (x, y) and scaled by k. A trough is a hollow downward
# triangle: the white fill keeps it visibly hollow yet hoverable (fill="none" would not
# catch the pointer). A plain score (one the evaluation did not use) is a small ring: there,
# but quieter than the peaks and troughs the rules counted.
def _shape(kind: str, x: float, y: float, colour: str, k: float) -> str:
    if kind == "plain":
        return (
            f'circle cx="{num(x)}" cy="{num(y)}" r="{num(2.6 * k)}" fill="#ffffff" '
            f'stroke="{colour}" stroke-width="1.2"'
        )
    if kind == "trough":
        return (
            f'path d="M{num(x)} {num(y)}m{num(-4.5 * k)} {num(-2.6 * k)}h{num(9 * k)}'
            f'l{num(-4.5 * k)} {num(7.8 * k)}z" fill="#ffffff" stroke="{colour}" '
            f'stroke-width="1.5"'
        )
    if kind == "peak":
        return (
            f'circle cx="{num(x)}" cy="{num(y)}" r="{num(3.6 * k)}" fill="{colour}" '
            f'stroke="#ffffff" stroke-width="0.8"'
        )
    side = 6 * k
    return (
        f'rect x="{num(x - side / 2)}" y="{num(y - side / 2)}" width="{num(side)}" '
        f'height="{num(side)}" fill="{colour}"'
    )


def _marker_scale(panel: Panel, width: float) -> float:
    """Smaller markers when a series is dense, so years of troughs do not merge into a band."""
    counts = [sum(p.kind == kind for p in s.points) for s in panel.series for kind in KIND_NAMES]
    spacing = width / max(max(counts), 1)
    return min(1.0, max(0.6, spacing / 12))


# How each kind's joining line looks: troughs are the trend clinicians watch. Plain scores are
# not joined: they are no series of their own.
_LINE_STYLE = {
    "trough": 'stroke-width="1.6"',
    "peak": 'stroke-width="1" stroke-opacity="0.45"',
    "clinic": 'stroke-width="1.2" stroke-opacity="0.6"',
}


def draw_series(out: list[str], panel: Panel, ys: ValueScale, xs: TimeScale) -> None:
    """Trend lines per kind, then every point with its tooltip."""
    k = _marker_scale(panel, xs.x1 - xs.x0)
    for s in panel.series:
        key = esc(s.series.key)
        label = esc(s.series.label)
        unit = esc(s.series.unit)
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<g class="tl-series" data-series="{key}">')
        for kind, style in _LINE_STYLE.items():
            coords = [
                f"{num(xs.x(p.day))},{num(ys.y(p.value))}" for p in s.points if p.kind == kind
            ]
            if len(coords) > 1:
                out.append(
                    f'<polyline class="tl-line tl-line-{kind}" points="{" ".join(coords)}" '
                    f'fill="none" stroke="{s.colour}" {style}{dash}/>'
                )
        for p in s.points:
            x, y = xs.x(p.day), ys.y(p.value)
            shape = _shape(p.kind, x, y, s.colour, k)
            tag = shape.split(" ", 1)[0]
            day = p.day.isoformat()
            what = f"{esc(p.note)}, {KIND_NAMES[p.kind]}" if p.note else KIND_NAMES[p.kind]
            out.append(
                f'<{shape} class="tl-point tl-{p.kind}" data-series="{key}" '
                f'data-day="{day}"><title>{fmt_day(p.day)} · {label}: '
                f"{fmt_value(p.value)} {unit} · {what}</title></{tag}>"
            )
        out.append("</g>")
