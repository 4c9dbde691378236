"""Lanes for the treatments besides IVIG, one per treatment, above the score panels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from tracker.web.timeline.scale import TimeScale
from tracker.web.timeline.style import INK, TREATMENT_FILL, TREATMENT_LINE, TREATMENT_ROW, Layout
from tracker.web.timeline.text import esc, fit, fmt_day, num, text_width
from tracker.web.timeline.values import TimelineTreatment

_BAR = 12.0  # bar height inside its row
_ARROW = 7.0  # the open end of an ongoing treatment


def visible_treatments(
    treatments: Sequence[TimelineTreatment], xs: TimeScale
) -> list[TimelineTreatment]:
    """The treatments that overlap the drawn days, by start day (stable)."""
    shown = [
        t
        for t in treatments
        if t.starts_on <= xs.last and (t.ends_on is None or t.ends_on >= xs.first)
    ]
    return sorted(shown, key=lambda t: t.starts_on)


def treatment_tip(t: TimelineTreatment) -> str:
    """E.g. "Rituximab, from 3 Mar 2024 to 10 Apr 2024" or "..., from 3 Mar 2024, ongoing"."""
    until = f"to {fmt_day(t.ends_on)}" if t.ends_on else "ongoing"
    return f"{t.label}, from {fmt_day(t.starts_on)}{' ' if t.ends_on else ', '}{until}"


def draw_treatments(
    out: list[str], treatments: Sequence[TimelineTreatment], xs: TimeScale, lay: Layout
) -> None:
    """A labelled bar per treatment, first to last day; an ongoing one ends in an arrow."""
    if not treatments:
        return
    out.append('<g class="tl-treatments" font-size="11">')
    for row, t in enumerate(treatments):
        top = lay.treatment_top + row * TREATMENT_ROW + (TREATMENT_ROW - _BAR) / 2
        # ends_on is the last day: the bar covers it, as a regimen band covers its last day.
        x0 = xs.clamp_x(t.starts_on)
        x1 = xs.clamp_x(t.ends_on + timedelta(days=1)) if t.ends_on else xs.x1
        x1 = max(x1, x0 + 2)  # a one-day treatment must still show
        tip = f"<title>{esc(treatment_tip(t))}</title>"
        ongoing = t.ends_on is None
        body = x1 - (_ARROW if ongoing else 0)
        shape = (
            f"M{num(x0)} {num(top)}H{num(body)}l{num(_ARROW)} {num(_BAR / 2)}"
            f"l{num(-_ARROW)} {num(_BAR / 2)}H{num(x0)}z"
            if ongoing
            else f"M{num(x0)} {num(top)}H{num(x1)}v{num(_BAR)}H{num(x0)}z"
        )
        kind = f" tl-treatment-{esc(t.kind)}" if t.kind else ""
        state = " tl-ongoing" if ongoing else ""
        out.append(
            f'<g class="tl-treatment{kind}{state}" data-from="{t.starts_on.isoformat()}" '
            f'data-to="{t.ends_on.isoformat() if t.ends_on else ""}">{tip}'
            f'<path d="{shape}" fill="{TREATMENT_FILL}" stroke="{TREATMENT_LINE}" '
            f'stroke-width="1"/>'
        )
        out.append(_label(t.label, x0, body, top, xs))
        out.append("</g>")
    out.append("</g>")


def _label(label: str, x0: float, x1: float, top: float, xs: TimeScale) -> str:
    """The name inside the bar; beside it (right, else left) when the bar is too short."""
    y = num(top + _BAR - 2.5)
    width = text_width(label, 11)
    if width <= x1 - x0 - 8:
        x, anchor, text = x0 + 4, "start", label
    elif x1 + 4 + width <= xs.x1:
        x, anchor, text = x1 + 4, "start", label
    elif x0 - 4 - width >= xs.x0:
        x, anchor, text = x0 - 4, "end", label
    else:  # no room anywhere: cut it inside the bar (the full name is in the tooltip)
        x, anchor, text = x0 + 4, "start", fit(label, max(x1 - x0 - 8, 0), 11)
    return (
        f'<text class="tl-treatment-label" x="{num(x)}" y="{y}" text-anchor="{anchor}" '
        f'fill="{INK}">{esc(text)}</text>'
    )
