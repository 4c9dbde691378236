"""The renewal packet's arithmetic (clinical rules 8): per series, the baseline against the
latest score of an authorisation's period, the change and whether it reaches the MCID; and
which regimen changes were attempts at a lower dose (tapers).

Pure: readings and regimens as plain values in, figures out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from tracker.rules.measures import MEASURES, improvement, reaches_mcid

__all__ = ["PeriodChange", "Reading", "TaperStep", "period_changes", "taper_steps"]

# (measure, side): a series.
Series = tuple[str, str | None]
# A score: its day, its series and its value, in recorded order (a later record of one day
# counts as later).
Reading = tuple[date, Series, float]


@dataclass(frozen=True)
class PeriodChange:
    """One series over a period: the baseline, the latest score after it, the change
    (signed as an improvement: positive is better) and what it means against the MCID.

    `verdict`: "improved" (better by at least the MCID), "worse" (worse by at least it),
    "within MCID", "no MCID" (a measure without one), or "no later score".
    """

    series: Series
    mcid: float | None
    baseline_on: date
    baseline: float
    latest_on: date | None = None
    latest: float | None = None
    change: float | None = None
    verdict: str = "no later score"

    @property
    def reaches_mcid(self) -> bool:
        """True when the change is an improvement of at least the MCID."""
        return self.verdict == "improved"


def period_changes(
    readings: Iterable[Reading],
    *,
    first_course_on: date | None,
    period_start: date,
    period_end: date,
) -> tuple[PeriodChange, ...]:
    """Each series' baseline against its latest score on or before `period_end`.

    The baseline is the last score before the first course of the period
    (`first_course_on`), else, with no course in the period or no score before it, the
    earliest score in [period_start, period_end]. A series with neither forms no line.
    Unknown measures are left out; those without an MCID are shown with the verdict
    "no MCID".
    """
    by_series: dict[Series, list[tuple[date, float]]] = {}
    for day, series, value in readings:
        if series[0] in MEASURES and day <= period_end:
            by_series.setdefault(series, []).append((day, value))
    out = []
    for series, scores in by_series.items():
        # A stable sort keeps recorded order within a day.
        scores.sort(key=lambda s: s[0])
        before = (
            [i for i, (day, _v) in enumerate(scores) if day < first_course_on]
            if first_course_on is not None
            else []
        )
        inside = [i for i, (day, _v) in enumerate(scores) if period_start <= day]
        if before:
            base = before[-1]
        elif inside:
            base = inside[0]
        else:
            continue
        measure = MEASURES[series[0]]
        base_on, base_value = scores[base]
        last = len(scores) - 1
        if last == base:
            out.append(PeriodChange(series, measure.mcid, base_on, base_value))
            continue
        latest_on, latest_value = scores[last]
        change = round(improvement(measure, base_value, latest_value), 2)
        if measure.mcid is None:
            verdict = "no MCID"
        elif reaches_mcid(measure, change):
            verdict = "improved"
        elif reaches_mcid(measure, -change):
            verdict = "worse"
        else:
            verdict = "within MCID"
        out.append(
            PeriodChange(
                series,
                measure.mcid,
                base_on,
                base_value,
                latest_on,
                latest_value,
                change,
                verdict,
            )
        )
    order = list(MEASURES)
    return tuple(sorted(out, key=lambda c: (order.index(c.series[0]), c.series[1] or "")))


@dataclass(frozen=True)
class TaperStep:
    """A regimen that lowered the intensity (g/kg per 28 days) from the one before it."""

    starts_on: date
    before: float
    after: float

    @property
    def percent(self) -> float:
        """How much lower, in percent of the intensity before."""
        return round((self.before - self.after) / self.before * 100, 1) if self.before else 0.0


def taper_steps(regimens: Sequence[tuple[date, float | None]]) -> tuple[TaperStep, ...]:
    """The regimen changes that lowered the intensity: (first day, intensity) in order of
    first day; a regimen without a known intensity is passed over."""
    steps = []
    previous: float | None = None
    for starts_on, intensity in regimens:
        if intensity is None:
            continue
        if previous is not None and intensity < previous - 1e-9:
            steps.append(TaperStep(starts_on, previous, intensity))
        previous = intensity
    return tuple(steps)
