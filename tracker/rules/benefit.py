"""Did the patient get better after IVIG started? Baseline against best, per series.

Two rules ask this with different spans: no response (section 11: any score after the
first course, up to the day evaluated) and the diagnostic criterion "improved after IVIG"
(section 7: the best score 1 to 42 days after the first course). Both compare each series'
baseline, its latest score on or before the first course's day, with its best score in a
span after it, against the measure's MCID; scores of any timing count.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress, islice
from operator import itemgetter

from tracker.rules.facts import ScoreColumns
from tracker.rules.measures import MEASURES, Measure, reaches_mcid

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
    scores = scores.in_date_order()
    series_of: dict[Hashable, Series] = {}
    for kind in set(scores.kinds):
        measure, side, _timing, source = scores.name(kind)
        series_of[kind] = (measure, side, source)
    return _changes(
        scores.days,
        scores.kinds,
        scores.values,
        series_of,
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
    # By day, same-day readings kept in their recorded order (a stable sort).
    ordered = sorted(readings, key=itemgetter(0))
    kinds = [series for _day, series, _value in ordered]
    return _changes(
        [day for day, _series, _value in ordered],
        kinds,
        [value for _day, _series, value in ordered],
        {series: series for series in set(kinds)},
        baseline_on=baseline_on,
        first_day=first_day,
        last_day=last_day,
    )


def _changes(
    days: Sequence[int],
    kinds: Sequence[Hashable],
    values: Sequence[float],
    series_of: Mapping[Hashable, Series],
    *,
    baseline_on: date,
    first_day: date,
    last_day: date,
) -> tuple[SeriesChange, ...]:
    # The scores are in date order, same-day ones as recorded: each series' baseline is its
    # last score up to the baseline day, and the candidates for its best lie in one slice
    # found by bisection. Each kind's best is then taken in C (compress, max) rather than
    # in a loop over every score, which was 7% of the sweep's evaluation.
    measured: dict[Hashable, tuple[Series, Measure]] = {}
    for kind, series in series_of.items():
        measure = MEASURES.get(series[0])
        if measure is not None and measure.mcid is not None:
            measured[kind] = (series, measure)
    baselines: dict[Series, float] = {}
    upto = bisect_right(days, baseline_on.toordinal())
    for kind, value in zip(islice(kinds, upto), islice(values, upto), strict=True):
        found = measured.get(kind)
        if found is not None:
            baselines[found[0]] = value  # the later one wins
    start = bisect_left(days, first_day.toordinal())
    stop = bisect_right(days, last_day.toordinal())
    span_kinds, span_values = kinds[start:stop], values[start:stop]
    best: dict[Series, float] = {}
    for kind in set(span_kinds):
        found = measured.get(kind)
        if found is None or found[0] not in baselines:
            continue
        series, measure = found
        pick = max if measure.higher_is_better else min
        value = pick(compress(span_values, map(kind.__eq__, span_kinds)))
        # Kinds of one series (its timings) are merged.
        best[series] = pick(best[series], value) if series in best else value
    return tuple(
        SeriesChange(series, baselines[series], best[series]) for series in sorted(best, key=_order)
    )


def _order(series: Series) -> tuple[str, ...]:
    return tuple(part or "" for part in series)
