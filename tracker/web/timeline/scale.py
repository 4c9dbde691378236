"""Scales for the SVG timeline: days to x, scores to y, and readable ticks for both."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# Steps between time ticks, in months; the smallest that leaves room for its labels wins.
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)
_MIN_TICK_GAP_PX = 64  # "Sep" or "2024" plus air


@dataclass(frozen=True)
class TimeScale:
    """Maps days onto x between x0 and x1 (first to last day of the domain)."""

    first: date
    last: date
    x0: float
    x1: float

    def x(self, day: date) -> float:
        """The x position of a day."""
        span = (self.last - self.first).days
        return self.x0 + (day - self.first).days * (self.x1 - self.x0) / span

    def contains(self, day: date) -> bool:
        """Whether a day lies inside the drawn domain."""
        return self.first <= day <= self.last

    def clamp_x(self, day: date) -> float:
        """The x of a day, held to the drawn domain (for periods that run past it)."""
        return min(max(self.x(day), self.x0), self.x1)


@dataclass(frozen=True)
class ValueScale:
    """Maps scores onto y within one panel; inverted puts low values at the top."""

    lo: float
    hi: float
    top: float
    bottom: float
    inverted: bool
    ticks: tuple[float, ...]

    def y(self, value: float) -> float:
        """The y position of a score (SVG y grows downwards)."""
        share = (value - self.lo) / (self.hi - self.lo)
        if self.inverted:
            return self.top + share * (self.bottom - self.top)
        return self.bottom - share * (self.bottom - self.top)


def time_domain(days: Iterable[date], start: date | None, end: date | None) -> tuple[date, date]:
    """First and last drawn day: the given bounds, else the data with a little air."""
    days = list(days)
    lo = start or min(days)
    hi = end or max(days)
    if start is None or end is None:
        # Air so that markers on the first or last day are not cut in half by the frame.
        pad = timedelta(days=max(7, (hi - lo).days // 60))
        lo = lo - pad if start is None else lo
        hi = hi + pad if end is None else hi
    if hi <= lo:
        raise ValueError(f"timeline start {lo} must be before its end {hi}")
    return lo, hi


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _from_index(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_step(first: date, last: date, width_px: float) -> int:
    """Months between time ticks so that the labels do not crowd."""
    months = max((last - first).days / 30.44, 1)
    for step in _MONTH_STEPS:
        if months / step * _MIN_TICK_GAP_PX <= width_px:
            return step
    return _MONTH_STEPS[-1]


def month_ticks(first: date, last: date, step: int) -> list[date]:
    """First days of months inside the domain, every step months, aligned on January."""
    index = _month_index(first)
    if _from_index(index) < first:
        index += 1
    index += (-index) % step  # multiples of step from January of year 0 line up on years
    ticks = []
    while (day := _from_index(index)) <= last:
        ticks.append(day)
        index += step
    return ticks


def year_starts(first: date, last: date) -> list[date]:
    """1 January of every year inside the domain."""
    return [d for y in range(first.year, last.year + 1) if first <= (d := date(y, 1, 1)) <= last]


def _nice_step(raw: float, whole: bool) -> float:
    exponent = math.floor(math.log10(raw))
    base = 10.0**exponent
    for multiple in (1, 2, 2.5, 5, 10):
        step = multiple * base
        if step >= raw:
            break
    # Whole-number scores (MRC, INCAT) read badly with ticks at 2.5 or 0.5.
    if whole:
        step = max(1.0, float(math.ceil(step)))
    return step


def value_scale(
    values: Iterable[float], top: float, bottom: float, *, inverted: bool, whole: bool
) -> ValueScale:
    """A y scale for a panel: the data with some padding, rounded out to tick steps."""
    values = list(values)
    lo, hi = min(values), max(values)
    spread = hi - lo
    pad = spread * 0.1 if spread > 0 else max(abs(hi) * 0.1, 1.0)
    step = _nice_step((spread + 2 * pad) / 5, whole)  # five to seven gridlines
    lo_tick = math.floor((lo - pad) / step) * step
    hi_tick = math.ceil((hi + pad) / step) * step
    if min(values) >= 0:
        lo_tick = max(lo_tick, 0.0)  # no score we draw is negative: no axis below zero
    count = round((hi_tick - lo_tick) / step)
    ticks = tuple(round(lo_tick + i * step, 6) for i in range(count + 1))
    return ValueScale(lo_tick, hi_tick, top, bottom, inverted, ticks)
