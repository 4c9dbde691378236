"""Did the patient get better after IVIG started? Baseline against best, per series.

Two rules ask this with different spans: no response (section 11: any score after the
first course, up to the day evaluated) and the diagnostic criterion "improved after IVIG"
(section 7: the best score 1 to 42 days after the first course). Both compare each series'
baseline, its latest score on or before the first course's day, with its best score in a
span after it, against the measure's MCID; scores of any timing count.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date

from tracker.rules.facts import ScoreColumns
from tracker.rules.measures import MEASURES, reaches_mcid

Series = tuple[str, str | None]  # (measure, side)


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
        change = self.best - self.baseline if measure.higher_is_better else \
            self.baseline - self.best
        return reaches_mcid(measure, change)


def changes_after(
    scores: ScoreColumns, *, baseline_on: date, first_day: date, last_day: date
) -> tuple[SeriesChange, ...]:
    """Each series with both a baseline (latest score on or before `baseline_on`) and a
    score in [first_day, last_day]: the baseline and the best of those scores."""
    base_day, lo, hi = baseline_on.toordinal(), first_day.toordinal(), last_day.toordinal()
    baselines: dict[Series, tuple[int, int]] = {}  # series -> (day, index); later wins
    best: dict[Series, int] = {}
    series_of: dict[Hashable, Series | None] = {}
    values = scores.values
    for i, (day, kind) in enumerate(zip(scores.days, scores.kinds, strict=True)):
        if kind not in series_of:
            measure, side, _timing = scores.name(kind)
            known = MEASURES.get(measure)
            # A measure without an MCID (the wear-off day) forms no series here.
            series_of[kind] = (measure, side) if known and known.mcid is not None else None
        series = series_of[kind]
        if series is None:
            continue
        if day <= base_day:
            seen = baselines.get(series)
            if seen is None or day >= seen[0]:  # the same day: the later record wins
                baselines[series] = (day, i)
        if lo <= day <= hi:
            current = best.get(series)
            higher = MEASURES[series[0]].higher_is_better
            if current is None or (values[i] > values[current] if higher
                                   else values[i] < values[current]):
                best[series] = i
    return tuple(
        SeriesChange(series, values[baselines[series][1]], values[best[series]])
        for series in sorted(baselines.keys() & best.keys(), key=lambda s: (s[0], s[1] or ""))
    )
