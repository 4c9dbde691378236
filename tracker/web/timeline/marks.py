"""Marks that run across all panels: regimens, due window, time axis, courses, today."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from datetime import date, timedelta

from tracker.formats.display import dose_text
from tracker.rules.vocabulary import CourseStatus
from tracker.web.timeline.scale import TimeScale, month_step, month_ticks, year_starts
from tracker.web.timeline.style import (
    COURSE,
    DOSE_FONT,
    GRID_YEAR,
    HALO,
    INK,
    MUTED,
    NEXT,
    REGIMEN_FILLS,
    WINDOW,
    Layout,
)
from tracker.web.timeline.text import MONTHS, esc, fit, fmt_day, fmt_short, num, text_width
from tracker.web.timeline.values import TimelineCourse, TimelineRegimen

_ROTATED_GAP = DOSE_FONT * 1.15  # rotated labels need one line height between them


def _columns(lay: Layout, x: float) -> str:
    """Path data for a vertical line through every panel's plot area (not the headers)."""
    return "".join(f"M{num(x)} {num(top)}V{num(bottom)}" for top, bottom in lay.plots)


def _through(lay: Layout, x: float, y_from: float) -> str:
    """Path data from y_from down to the last panel, leaving the header rows clear."""
    return f"M{num(x)} {num(y_from)}V{num(lay.plots_top)}" + _columns(lay, x)


def draw_regimens(
    out: list[str], regimens: Sequence[TimelineRegimen], xs: TimeScale, lay: Layout
) -> None:
    """Alternately shaded regimen periods with their label on top and reason on hover."""
    ordered = sorted(regimens, key=lambda r: r.starts_on)
    out.append('<g class="tl-regimens">')
    for i, r in enumerate(ordered):
        if (r.ends_on is not None and r.ends_on < xs.first) or r.starts_on > xs.last:
            continue
        # ends_on is the period's last day: the band runs to the start of the next day, so a
        # period ending the day before the next one starts meets it without a white seam.
        end = r.ends_on + timedelta(days=1) if r.ends_on else xs.last
        x0, x1 = xs.clamp_x(r.starts_on), xs.clamp_x(end)
        until = f"to {fmt_day(r.ends_on)}" if r.ends_on else "current"
        reason = f" Reason: {r.reason}" if r.reason else ""
        tip = f"<title>{esc(f'{r.label}, from {fmt_day(r.starts_on)} {until}.{reason}')}</title>"
        # Shade by position in the full history so zooming does not swap the colours.
        fill = REGIMEN_FILLS[i % 2]
        out.append(
            f'<rect class="tl-regimen" data-from="{r.starts_on.isoformat()}" '
            f'data-to="{r.ends_on.isoformat() if r.ends_on else ""}" x="{num(x0)}" '
            f'y="{num(lay.regimen_top)}" width="{num(max(x1 - x0, 1))}" '
            f'height="{num(lay.plots_bottom - lay.regimen_top)}" fill="{fill}">{tip}</rect>'
        )
        text = fit(r.label, x1 - x0 - 8, 11)
        if text:
            out.append(
                f'<text class="tl-regimen-label" x="{num(x0 + 4)}" '
                f'y="{num(lay.regimen_top + 13)}" font-size="11" fill="{INK}">'
                f"{esc(text)}{tip}</text>"
            )
    out.append("</g>")


def draw_window(
    out: list[str], window: tuple[date, date] | None, xs: TimeScale, lay: Layout
) -> None:
    """The current due window as a highlighted band."""
    if window is None or window[1] < xs.first or window[0] > xs.last:
        return
    x0, x1 = xs.clamp_x(window[0]), xs.clamp_x(window[1])
    if x1 - x0 < 2:  # a one-day window must still show
        x0, x1 = (x0 + x1) / 2 - 1, (x0 + x1) / 2 + 1
    out.append(
        f'<rect class="tl-window" data-from="{window[0].isoformat()}" '
        f'data-to="{window[1].isoformat()}" x="{num(x0)}" y="{num(lay.flag_top)}" '
        f'width="{num(x1 - x0)}" height="{num(lay.plots_bottom - lay.flag_top)}" '
        f'fill="{WINDOW}" fill-opacity="0.22"><title>Next infusion due '
        f"{fmt_day(window[0])} to {fmt_day(window[1])}</title></rect>"
    )


def draw_time_axis(out: list[str], xs: TimeScale, lay: Layout) -> None:
    """Year gridlines through the panels, tick marks and labels for months or years."""
    # No month gridlines on purpose: course markers already rule the panels every few weeks,
    # and a second set of vertical lines would be mistaken for them.
    step = month_step(xs.first, xs.last, xs.x1 - xs.x0)
    ticks = month_ticks(xs.first, xs.last, step)
    years = "".join(_columns(lay, xs.x(t)) for t in year_starts(xs.first, xs.last))
    marks = "".join(f"M{num(xs.x(t))} {num(lay.axis_top)}v4" for t in ticks)
    out.append(f'<g class="tl-axis" font-size="10" fill="{MUTED}" text-anchor="middle">')
    out.append(f'<path d="{years}" stroke="{GRID_YEAR}" stroke-width="1" fill="none"/>')
    out.append(f'<path d="{marks}" stroke="{GRID_YEAR}" stroke-width="1" fill="none"/>')
    label_y = num(lay.axis_top + 14)
    for t in ticks:
        text = str(t.year) if step >= 12 else MONTHS[t.month - 1]
        out.append(f'<text x="{num(xs.x(t))}" y="{label_y}">{text}</text>')
    if step < 12:
        # Years centred on their visible stretch, under the month labels.
        for year in range(xs.first.year, xs.last.year + 1):
            x0 = xs.clamp_x(date(year, 1, 1))
            x1 = xs.clamp_x(date(year + 1, 1, 1))
            if x1 - x0 >= 60:  # a sliver of a year would put its label under the wrong one
                out.append(
                    f'<text x="{num((x0 + x1) / 2)}" y="{num(lay.axis_top + 29)}" '
                    f'font-size="11" font-weight="600" fill="{INK}">{year}</text>'
                )
    out.append("</g>")


def _dose_text(course: TimelineCourse) -> str:
    return dose_text(course.dose_g) if course.dose_g is not None else ""


def dose_labels_rotated(courses: Sequence[TimelineCourse], xs: TimeScale) -> bool:
    """Whether dose labels must stand on end because side by side they would collide."""
    xs_sorted = [xs.x(c.day) for c in courses]
    widest = max((text_width(_dose_text(c), DOSE_FONT) for c in courses), default=0)
    gaps = [b - a for a, b in zip(xs_sorted, xs_sorted[1:], strict=False)]
    return bool(gaps) and min(gaps) < widest + 6


def dose_row_height(courses: Sequence[TimelineCourse], rotated: bool) -> float:
    """Height of the row holding dose labels."""
    if not courses:
        return 4.0
    if not rotated:
        return DOSE_FONT + 6
    return max(text_width(_dose_text(c), DOSE_FONT) for c in courses) + 6


def _dose_changes(texts: list[str]) -> set[int]:
    """Courses whose dose differs from the course before (the first one counts too)."""
    return {i for i, t in enumerate(texts) if t and (i == 0 or t != texts[i - 1])}


def _shown_labels(xs_list: list[float], texts: list[str], changes: set[int]) -> set[int]:
    """Which labels to draw: dose changes first, then repeats where there is air."""
    taken: list[float] = []
    shown: set[int] = set()

    def room(x: float, gap: float) -> bool:
        i = bisect_left(taken, x)
        return all(abs(taken[j] - x) >= gap for j in (i - 1, i) if 0 <= j < len(taken))

    # Repeats get wider spacing than changes: a wall of identical "70 g" reads as noise.
    passes = (
        (sorted(changes), _ROTATED_GAP),
        ([i for i, t in enumerate(texts) if t and i not in changes], _ROTATED_GAP * 1.5),
    )
    for order, gap in passes:
        for i in order:
            if room(xs_list[i], gap):
                insort(taken, xs_list[i])
                shown.add(i)
    return shown


def draw_courses(
    out: list[str], courses: Sequence[TimelineCourse], xs: TimeScale, lay: Layout, rotated: bool
) -> None:
    """A marker through all panels for every course, dose labels where they fit."""
    xs_list = [xs.x(c.day) for c in courses]
    texts = [_dose_text(c) for c in courses]
    changes = _dose_changes(texts)
    shown = (
        _shown_labels(xs_list, texts, changes) if rotated else {i for i, t in enumerate(texts) if t}
    )
    # Dense histories (years at a glance) get fainter markers so the scores stay readable.
    spacing = (xs.x1 - xs.x0) / max(len(courses), 1)
    opacity = "0.55" if spacing >= 14 else "0.35"
    out.append(f'<g class="tl-courses" font-size="{num(DOSE_FONT)}">')
    for i, c in enumerate(courses):
        x, day = xs_list[i], c.day.isoformat()
        given = c.status == CourseStatus.GIVEN
        what = c.label or texts[i] or "dose not recorded"
        tip = f"{'Given' if given else 'Booked'} {fmt_day(c.day)}: {what}"
        dash = "" if given else ' stroke-dasharray="3 3"'
        out.append(
            f'<g class="tl-course tl-{c.status}" data-day="{day}"><title>{esc(tip)}</title>'
            f'<path d="{_through(lay, x, lay.dose_bottom)}" stroke="{COURSE}" '
            f'stroke-width="1" stroke-opacity="{opacity}"{dash} fill="none"/>'
        )
        if i in shown:
            look = f'fill="{INK}" font-weight="600"' if i in changes else f'fill="{MUTED}"'
            base = num(lay.dose_bottom - 3)
            if rotated:
                # Stands on the line, reading upwards; +3.5 centres the glyphs on x.
                out.append(
                    f'<text x="{num(x + 3.5)}" y="{base}" transform="rotate(-90 '
                    f'{num(x + 3.5)} {base})" {look}>{esc(texts[i])}</text>'
                )
            else:
                out.append(
                    f'<text x="{num(x)}" y="{base}" text-anchor="middle" '
                    f"{look}>{esc(texts[i])}</text>"
                )
        out.append("</g>")
    out.append("</g>")


def _flag_label(x: float, y: float, text: str, colour: str, lay: Layout) -> str:
    """A bold label ending just left of x (so it never runs off the right edge)."""
    width = text_width(text, 11, bold=True)
    anchor, tx = ("end", x - 4) if x - 4 - width >= 2 else ("start", x + 4)
    return (
        f'<text x="{num(tx)}" y="{num(y)}" text-anchor="{anchor}" font-size="11" '
        f'font-weight="600" fill="{colour}" stroke="{HALO}" stroke-width="3" '
        f'stroke-linejoin="round" paint-order="stroke">{esc(text)}</text>'
    )


def draw_today(out: list[str], today: date, xs: TimeScale, lay: Layout) -> None:
    """A solid dark line for today, labelled in the lower flag row."""
    if not xs.contains(today):
        return
    x = xs.x(today)
    label = _flag_label(x, lay.flag_top + 24, "today", INK, lay)
    out.append(
        f'<g class="tl-today" data-day="{today.isoformat()}"><title>Today, '
        f'{fmt_day(today)}</title><path d="{_through(lay, x, lay.flag_top + 15)}" '
        f'stroke="{INK}" stroke-width="1.5" fill="none"/>{label}</g>'
    )


def draw_next_booking(
    out: list[str], next_booking: date | None, xs: TimeScale, lay: Layout
) -> None:
    """A blue dashed line under a diamond for the next booked infusion (upper flag row)."""
    if next_booking is None or not xs.contains(next_booking):
        return
    x = xs.x(next_booking)
    y = lay.flag_top + 7
    label = _flag_label(x - 3, y + 4, f"next {fmt_short(next_booking)}", NEXT, lay)
    # The line starts under the dose labels, where the booked course's own label stands.
    line = _through(lay, x, lay.dose_bottom)
    out.append(
        f'<g class="tl-next-booking" data-day="{next_booking.isoformat()}"><title>Next '
        f'booking {fmt_day(next_booking)}</title><path d="{line}" '
        f'stroke="{NEXT}" stroke-width="1.5" stroke-dasharray="5 3" fill="none"/>'
        f'<path d="M{num(x)} {num(y - 5)}l5 5-5 5-5-5z" fill="{NEXT}"/>{label}</g>'
    )
