"""Did the patient get better after IVIG started? Baseline against best, per series.

Two rules ask this with different spans: no response (section 11: any score after the
first course, up to the day evaluated) and the diagnostic criterion "improved after IVIG"
(section 7: the best score 1 to 42 days after the first course). Both compare each series'
baseline, its latest score on or before the first course's day, with its best score in a
span after it, against the measure's MCID; scores of any timing count.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date

from tracker.rules.facts import ScoreColumns
from tracker.rules.measures import MEASURES, reaches_mcid

# (measure, side) or (measure, side, source): the measure first
Series = tuple[str, *tuple[str | None, ...]]


@dataclass(frozen=True)
class SeriesChange:
    """One series' baseline and best score after it (values in the measure's unit)."""

    series: Series
    baseline: float
    best: float

    @property
    def improved(self) -> bool:
        """True when the best is better than the baseline by at least the MCID."""
        measure = MEASURES[self.series[0]]
        change = (
            self.best - self.baseline if measure.higher_is_better else self.baseline - self.best
        )
        return reaches_mcid(measure, change)


def changes_after(
    scores: ScoreColumns, *, baseline_on: date, first_day: date, last_day: date
) -> tuple[SeriesChange, ...]:
    """changes_in for scores as columns, each (measure, side, source) a series."""
    names: dict[Hashable, tuple[str, str | None, str]] = {}
    for kind in set(scores.kinds):
        measure, side, _timing, source = scores.name(kind)
        names[kind] = (measure, side, source)
    return changes_in(
        zip(scores.days, map(names.__getitem__, scores.kinds), scores.values, strict=True),
        baseline_on=baseline_on,
        first_day=first_day,
        last_day=last_day,
    )


def changes_in(
    readings: Iterable[tuple[int, Series, float]],
    *,
    baseline_on: date,
    first_day: date,
    last_day: date,
) -> tuple[SeriesChange, ...]:
    """Each series with both a baseline (its latest score on or before `baseline_on`) and a
    score in [first_day, last_day]: the baseline and the best of those scores.

    `readings` are (day number, series, value) in recorded order; a series is a tuple whose
    first item is the measure code, such as (measure, side) or (measure, side, source).
    Measures without an MCID (the wear-off day) and unknown ones form no series.
    """
    base_day, lo, hi = baseline_on.toordinal(), first_day.toordinal(), last_day.toordinal()
    baselines: dict[Series, tuple[int, float]] = {}  # series -> (day, value); later wins
    best: dict[Series, float] = {}
    for day, series, value in readings:
        measure = MEASURES.get(series[0])
        if measure is None or measure.mcid is None:
            continue
        if day <= base_day:
            seen = baselines.get(series)
            if seen is None or day >= seen[0]:  # the same day: the later record wins
                baselines[series] = (day, value)
        if lo <= day <= hi:
            current = best.get(series)
            if current is None or (
                value > current if measure.higher_is_better else value < current
            ):
                best[series] = value
    return tuple(
        SeriesChange(series, baselines[series][1], best[series])
        for series in sorted(baselines.keys() & best.keys(), key=_order)
    )


def _order(series: Series) -> tuple[str, ...]:
    return tuple(part or "" for part in series)
