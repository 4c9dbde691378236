"""The patient timeline: infusion courses, regimens and scores as one server-side SVG.

Staff read it to judge whether the effect of IVIG wears off before the next infusion: the
troughs (scores just before an infusion) against the peaks (just after), exactly those the
evaluation counted, with every course, regimen change, other treatment and the next due
window on the same time axis.

The output is plain SVG markup: no scripts and no inline styles (the site's CSP forbids
both), every text escaped, and the same input always gives the same bytes. Marks carry
classes and data-* attributes so tests can count and locate them:

- ``.tl-course.tl-given`` / ``.tl-course.tl-booked`` with ``data-day``, one per course;
- ``.tl-point.tl-trough|tl-peak|tl-plain|tl-clinic`` with ``data-series`` and ``data-day``
  (trough and peak: scores the evaluation used as such; plain: the other scores taken
  before or after an infusion);
- ``.tl-treatment`` lanes (``.tl-ongoing`` when open) with ``data-from`` and ``data-to``;
- ``.tl-regimen`` bands, ``.tl-window``, ``.tl-next-booking``, ``.tl-today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup

from tracker.rules.vocabulary import CourseStatus
from tracker.web.timeline import marks
from tracker.web.timeline.lanes import draw_treatments, treatment_tip, visible_treatments
from tracker.web.timeline.legend import draw_legend, empty_state, legend_rows, summary, svg_open
from tracker.web.timeline.panels import (
    Panel,
    draw_panel_frame,
    draw_panel_header,
    draw_series,
    group_panels,
    panel_scale,
)
from tracker.web.timeline.scale import TimeScale, time_domain
from tracker.web.timeline.style import (
    FRAME,
    LEFT,
    MIN_WIDTH,
    MUTED,
    RIGHT_PAD,
    Layout,
    make_layout,
)
from tracker.web.timeline.text import num
from tracker.web.timeline.values import (
    COURSE_STATUSES,
    TimelineCourse,
    TimelineRegimen,
    TimelineSeries,
    TimelineTreatment,
)


def _legend_keys(
    panels: list[Panel],
    courses: Sequence[TimelineCourse],
    regimens: bool,
    window: tuple[date, date] | None,
    next_booking: date | None,
    today: date,
    xs: TimeScale,
    treatments: bool = False,
) -> list[str]:
    """Legend entries for what is actually drawn, in a fixed order."""
    kinds = {p.kind for panel in panels for s in panel.series for p in s.points}
    keys: list[str] = [k for k in ("trough", "peak", "plain", "clinic") if k in kinds]
    if kinds & {"trough", "peak"}:
        keys.append("lines")
    if any(s.series.home for panel in panels for s in panel.series):
        keys.append("home")
    keys += [
        s for s in (CourseStatus.GIVEN, CourseStatus.BOOKED) if any(c.status == s for c in courses)
    ]
    if regimens:
        keys.append("regimen")
    if treatments:
        keys.append("treatment")
    if window is not None and window[0] <= xs.last and window[1] >= xs.first:
        keys.append("window")
    if next_booking is not None and xs.contains(next_booking):
        keys.append("next")
    if xs.contains(today):
        keys.append("today")
    return keys


def render_timeline(
    *,
    series: Sequence[TimelineSeries],
    courses: Sequence[TimelineCourse],
    regimens: Sequence[TimelineRegimen],
    window: tuple[date, date] | None,
    next_booking: date | None,
    today: date,
    start: date | None = None,
    end: date | None = None,
    width: int = 1100,
    treatments: Sequence[TimelineTreatment] = (),
) -> Markup:
    """The patient's timeline as an inline SVG (safe markup, every text escaped)."""
    if width < MIN_WIDTH:
        raise ValueError(f"timeline width must be at least {MIN_WIDTH}px, not {width}")
    for c in courses:
        if c.status not in COURSE_STATUSES:
            raise ValueError(f"unknown course status {c.status!r} on {c.day}")
    for t in treatments:
        if t.ends_on is not None and t.ends_on < t.starts_on:
            raise ValueError(f"treatment {t.label!r} ends on {t.ends_on}, before it starts")
    data_days = (
        [p.day for s in series for p in s.points]
        + [c.day for c in courses]
        + [d for t in treatments for d in (t.starts_on, t.ends_on) if d]
    )
    if not data_days:
        return Markup(empty_state(width, next_booking))

    extra = [today] + list(window or ()) + ([next_booking] if next_booking else [])
    first, last = time_domain(data_days + extra, start, end)
    xs = TimeScale(first, last, LEFT, width - RIGHT_PAD)
    panels = group_panels(series, xs)
    # Stable sort by day: same-day courses keep the caller's order (determinism).
    shown = sorted((c for c in courses if xs.contains(c.day)), key=lambda c: c.day)
    visible = [
        r for r in regimens if r.starts_on <= last and (r.ends_on is None or r.ends_on >= first)
    ]
    lanes = visible_treatments(treatments, xs)
    rotated = marks.dose_labels_rotated(shown, xs)
    rows = legend_rows(
        _legend_keys(panels, shown, bool(visible), window, next_booking, today, xs, bool(lanes)),
        xs.x1 - xs.x0,
    )
    lay = make_layout(
        width,
        regimen_row=bool(visible),
        dose_row=marks.dose_row_height(shown, rotated),
        panels=len(panels),
        legend_rows=len(rows),
        treatment_rows=len(lanes),
    )
    current = next(
        (
            r.label
            for r in sorted(regimens, key=lambda r: r.starts_on, reverse=True)
            if r.ends_on is None
        ),
        None,
    )
    drawn = [c.day for c in shown] + [p.day for pa in panels for s in pa.series for p in s.points]
    desc = summary(
        first=min(drawn, default=first),
        last=max(drawn, default=last),
        panels=panels,
        given=sum(c.status == CourseStatus.GIVEN for c in shown),
        booked=sum(c.status == CourseStatus.BOOKED for c in shown),
        regimens=len(visible),
        current=current,
        window=window,
        next_booking=next_booking,
        today=today,
        treatments=[treatment_tip(t) for t in lanes],
    )

    out = [
        svg_open(width, lay.height, "Infusion and score timeline", desc),
        f'<rect class="tl-bg" width="{width}" height="{num(lay.height)}" fill="#ffffff"/>',
    ]
    marks.draw_regimens(out, regimens, xs, lay)
    marks.draw_window(out, window, xs, lay)
    draw_treatments(out, lanes, xs, lay)
    _draw_panels(out, panels, xs, lay, series)
    marks.draw_time_axis(out, xs, lay)
    marks.draw_courses(out, shown, xs, lay, rotated)
    marks.draw_today(out, today, xs, lay)
    marks.draw_next_booking(out, next_booking, xs, lay)
    _draw_data(out, panels, xs, lay)
    draw_legend(out, rows, xs.x0, lay.legend_top)
    out.append("</svg>")
    return Markup("".join(out))


# Painter's order, back to front: regimen shading and the due window, other-treatment lanes,
# panel grids, the time axis, course/today/booking markers, then trend lines, points and
# panel headings on top.
def _draw_panels(
    out: list[str],
    panels: list[Panel],
    xs: TimeScale,
    lay: Layout,
    series: Sequence[TimelineSeries],
) -> None:
    """Each panel's frame and y grid, or a placeholder strip when there are no panels."""
    for p, (top, bottom) in zip(panels, lay.plots, strict=False):
        draw_panel_frame(out, p, panel_scale(p, top, bottom), xs.x0, xs.x1)
    if panels:
        return
    top, bottom = lay.plots[0]
    text = (
        "No scores in this period" if any(s.points for s in series) else ("No scores recorded yet")
    )
    # A framed strip, so that course markers still have somewhere to stand.
    out.append(
        f'<rect class="tl-frame" x="{num(xs.x0)}" y="{num(top)}" '
        f'width="{num(xs.x1 - xs.x0)}" height="{num(bottom - top)}" fill="none" '
        f'stroke="{FRAME}"/><text class="tl-no-scores" x="{num((xs.x0 + xs.x1) / 2)}" '
        f'y="{num((top + bottom) / 2 + 4)}" text-anchor="middle" fill="{MUTED}">'
        f"{text}</text>"
    )


def _draw_data(out: list[str], panels: list[Panel], xs: TimeScale, lay: Layout) -> None:
    """Trend lines and points of every panel, then the headings over them."""
    for p, (top, bottom) in zip(panels, lay.plots, strict=False):
        draw_series(out, p, panel_scale(p, top, bottom), xs)
    for p, (top, _bottom) in zip(panels, lay.plots, strict=False):
        draw_panel_header(out, p, top, xs.x0, xs.x1)
