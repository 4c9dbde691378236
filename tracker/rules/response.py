"""Response to treatment: cycles, peaks and troughs, wear-off and waning (section 5).

Under an SC regimen (section 9) levels are steady: its cycles have troughs only (cycles.py)
and end-of-dose waning is not evaluated; progressive waning is, as for IV. Each series is
(measure, side, source): home readings form their own series (section 10).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from tracker.rules.cycles import (  # noqa: F401 (the timing and measure codes live there)
    CYCLE_BITS,
    CYCLE_MASK,
    POST_INFUSION,
    PRE_INFUSION,
    SERIES,
    WEAR_OFF_DAY,
    CycleMarks,
    CyclePlan,
    mark_cycles,
    series_key,
)
from tracker.rules.facts import ScoreColumns, ScoreFact
from tracker.rules.measures import AT_HOME, MEASURES, improvement, reaches_mcid, series_label
from tracker.rules.policy import SitePolicy
from tracker.rules.vocabulary import Source, WaningPattern
from tracker.rules.wording import date_text

END_OF_DOSE = WaningPattern.END_OF_DOSE
PROGRESSIVE = WaningPattern.PROGRESSIVE
# Progressive waning compares the last two troughs (fixed by the rules, not a policy value).
PROGRESSIVE_TROUGHS = 2

Series = tuple[str, str | None, str]  # (measure code, side, source)


@dataclass(frozen=True)
class Reading:
    """One score of a series on a day."""

    measure: str
    side: str | None
    value: float
    taken_on: date
    source: str = "clinic"

    @property
    def series(self) -> Series:
        """The (measure, side, source) this reading belongs to."""
        return (self.measure, self.side, self.source)


@dataclass(frozen=True)
class Swing:
    """Peak and trough of one series within one cycle."""

    peak: Reading
    trough: Reading

    @property
    def drop(self) -> float:
        """How much worse the trough is than the peak, in the measure's unit (>0 = worse)."""
        return improvement(self.peak.measure, self.trough.value, self.peak.value)

    @property
    def wore_off(self) -> bool:
        """True when the peak beats the trough by at least the MCID."""
        return reaches_mcid(self.peak.measure, self.drop)


@dataclass(frozen=True)
class Cycle:
    """From the first day of course k to the first day of course k+1."""

    number: int  # 1-based, over all given courses
    starts_on: date
    ends_on: date  # the next course's first day
    counting: bool  # started on or after the current regimen's start
    swings: tuple[Swing, ...]
    troughs: tuple[Reading, ...]
    reported_wear_off_day: int | None  # earliest reported in the cycle
    reported_wear_off: bool
    interval_days: int = 0  # the interval prescribed on the cycle's first day
    evaluated: bool = True  # False for a late cycle or one spanning a hold: no marks
    peaks: tuple[Reading, ...] = ()  # every series' peak, with a trough or not
    reported_at_home: bool = False  # the earliest report came from the patient's diary

    @property
    def length_days(self) -> int:
        """Days from this course to the next."""
        return (self.ends_on - self.starts_on).days

    @property
    def has_data(self) -> bool:
        """True when some series has both a peak and a trough, or wear-off was reported."""
        return bool(self.swings) or self.reported_wear_off_day is not None

    @property
    def wore_off_swings(self) -> tuple[Swing, ...]:
        """The series that fell from peak to trough by at least the MCID."""
        return tuple(s for s in self.swings if s.wore_off)

    @property
    def wear_off(self) -> bool:
        """True when this cycle shows wear-off by a measured series or by the patient's report."""
        return self.reported_wear_off or bool(self.wore_off_swings)


@dataclass(frozen=True)
class ProgressiveFinding:
    """A series whose last two troughs are each worse than its best recent trough."""

    troughs: tuple[Reading, Reading]
    reference: Reading

    @property
    def shortfalls(self) -> tuple[float, float]:
        """How much worse each trough is than the reference, in the measure's unit."""
        ref = self.reference
        first, second = self.troughs
        return (
            improvement(ref.measure, first.value, ref.value),
            improvement(ref.measure, second.value, ref.value),
        )

    def describe(self) -> str:
        """E.g. "MRC sum trough 52 and 51 points, 4 and 5 below the best trough of 56 ..."."""
        ref = self.reference
        measure = MEASURES[ref.measure]
        first, second = self.troughs
        below = "below" if measure.higher_is_better else "above"
        a, b = self.shortfalls
        return (
            f"{series_label(ref.measure, ref.side, ref.source)} trough {_n(first.value)} and "
            f"{_n(second.value)} {measure.unit}, {_n(a)} and {_n(b)} {below} the best trough "
            f"of {_n(ref.value)} in the year before"
        )


@dataclass(frozen=True)
class ResponseAssessment:
    """The cycles and the waning patterns found in them."""

    cycles: tuple[Cycle, ...]
    end_of_dose: bool
    end_of_dose_cycles: tuple[Cycle, ...]  # the last counting cycles with data, examined
    progressive: tuple[ProgressiveFinding, ...]
    recent_wear_off: bool = False  # a counting cycle that ended in the stable period wore off

    @property
    def patterns(self) -> tuple[str, ...]:
        """The waning patterns found, end_of_dose before progressive."""
        return _patterns(self.end_of_dose, self.progressive)

    @property
    def counting_cycles(self) -> tuple[Cycle, ...]:
        """Completed cycles that started under the current regimen."""
        return tuple(c for c in self.cycles if c.counting)

    @property
    def counting_with_data(self) -> int:
        """How many counting cycles have data (a peak and a trough, or a report)."""
        return sum(1 for c in self.counting_cycles if c.has_data)

    def describe_end_of_dose(self) -> str:
        """Say how the last counting cycles wore off, e.g. "right grip ... fell 12 kPa ..."."""
        return describe_wear_off(self.end_of_dose_cycles)

    def describe_progressive(self) -> str:
        """One sentence per series that waned progressively."""
        return "; ".join(f.describe() for f in self.progressive)


@dataclass(frozen=True)
class ResponseSummary:
    """What the flags and the recommendation need of the cycles, without every cycle.

    The daily sweep asks for this instead of a ResponseAssessment: building each cycle of
    each patient, with its swings and readings, cost more than everything else it does.
    """

    end_of_dose: bool
    end_of_dose_cycles: tuple[Cycle, ...]  # the last counting cycles, when they wore off
    progressive: tuple[ProgressiveFinding, ...]
    recent_wear_off: bool  # a counting cycle that ended in the stable period wore off
    counting_with_data: int  # counting cycles with data

    @property
    def patterns(self) -> tuple[str, ...]:
        """The waning patterns found, end_of_dose before progressive."""
        return _patterns(self.end_of_dose, self.progressive)

    def describe_end_of_dose(self) -> str:
        """As ResponseAssessment.describe_end_of_dose."""
        return describe_wear_off(self.end_of_dose_cycles)

    def describe_progressive(self) -> str:
        """As ResponseAssessment.describe_progressive."""
        return "; ".join(f.describe() for f in self.progressive)


def assess_response(
    *,
    scores: Iterable[ScoreFact],
    plan: CyclePlan,
    regimen_starts_on: date | None,
    on: date,
    policy: SitePolicy,
    steady: bool = False,
) -> ResponseAssessment:
    """Build the completed cycles and find end-of-dose and progressive waning.

    `steady`: the current regimen is SC, so end-of-dose waning is not evaluated."""
    marks = mark_cycles(ScoreColumns.of(scores), plan, policy.trough_window_days)
    first_counting = _first_counting(plan.given, regimen_starts_on)
    peaks = _by_cycle(marks.peaks)
    troughs = _by_cycle(marks.troughs)
    cycles = tuple(
        _cycle(marks, k, peaks.get(k, {}), troughs.get(k, {}), k >= first_counting, policy)
        for k in range(marks.cycle_count)
    )
    with_data = [c for c in cycles if c.counting and c.has_data]
    need = policy.wear_off_cycles
    last = tuple(with_data[-need:]) if len(with_data) >= need and not steady else ()
    return ResponseAssessment(
        cycles=cycles,
        end_of_dose=bool(last) and all(c.wear_off for c in last),
        end_of_dose_cycles=last,
        progressive=_progressive(marks, first_counting, policy),
        recent_wear_off=any(
            c.wear_off and c.ends_on >= on - timedelta(days=policy.taper_stable_days)
            for c in with_data
        ),
    )


def summarize_response(
    *,
    scores: ScoreColumns,
    plan: CyclePlan,
    regimen_starts_on: date | None,
    on: date,
    policy: SitePolicy,
    steady: bool = False,
) -> ResponseSummary:
    """The same findings as assess_response, from columns, building only the cycles that
    the flags' and the recommendation's texts quote."""
    marks = mark_cycles(scores, plan, policy.trough_window_days)
    given = plan.given
    first = _first_counting(given, regimen_starts_on)
    values, peaks, troughs = marks.scores.values, marks.peaks, marks.troughs
    # Counting cycles where some series has both a peak and a trough (Cycle.swings).
    swings = [key for key in peaks.keys() & troughs.keys() if key & CYCLE_MASK >= first]
    with_data = {key & CYCLE_MASK for key in swings}
    wore_off: set[int] = set()
    for key in swings:
        # Swing.drop and Swing.wore_off, on plain numbers.
        series = SERIES[key >> CYCLE_BITS]
        peak, trough = values[peaks[key]], values[troughs[key]]
        if (peak - trough if series.higher_is_better else trough - peak) >= series.mcid_floor:
            wore_off.add(key & CYCLE_MASK)
    for k, reported_day in marks.reported.items():
        if k >= first:
            with_data.add(k)
            if reported_day <= _report_limit(plan, k, policy):
                wore_off.add(k)
    need = policy.wear_off_cycles
    ordered = sorted(with_data)
    last = ordered[-need:] if len(ordered) >= need and not steady else []
    end_of_dose = bool(last) and all(k in wore_off for k in last)
    since = (on - timedelta(days=policy.taper_stable_days)).toordinal()
    return ResponseSummary(
        end_of_dose=end_of_dose,
        # Only quoted when they wore off: built then, and only those.
        end_of_dose_cycles=tuple(
            _cycle(marks, k, _of_cycle(marks.peaks, k), _of_cycle(marks.troughs, k), True, policy)
            for k in last
        )
        if end_of_dose
        else (),
        progressive=_progressive(marks, first, policy),
        recent_wear_off=any(given[k + 1] >= since for k in wore_off),
        counting_with_data=len(with_data),
    )


def _report_limit(plan: CyclePlan, k: int, policy: SitePolicy) -> int:
    # A reported wear-off day counts when it came a margin before the next course was due:
    # due by the cycle's own length, or by the interval then prescribed if that is shorter
    # (a course given late does not make an early wear-off look timely).
    length = min(plan.length_days(k), plan.interval_days[k])
    return length - policy.reported_wear_off_margin_days


def describe_wear_off(cycles: Sequence[Cycle]) -> str:
    """Say how each of these cycles wore off, as briefly as the evidence allows."""
    if not cycles:
        return ""
    n = len(cycles)
    # The same series in every cycle reads best as one sentence; pick the clearest one.
    shared = _series_in_all(cycles)
    if shared:
        drops = [_swing_of(c, shared).drop for c in cycles]
        unit = MEASURES[shared[0]].unit
        verb = "fell" if MEASURES[shared[0]].higher_is_better else "rose"
        label = series_label(*shared)
        if len({round(d, 6) for d in drops}) == 1:
            amount, span = f"{_n(drops[0])} {unit}", f"in each of the last {n} cycles"
        else:
            amount, span = f"{_list(drops)} {unit}", f"in the last {n} cycles"
        return f"{label} {verb} {amount} from peak to trough {span}"
    if all(c.reported_wear_off for c in cycles):
        reported = [c.reported_wear_off_day or 0 for c in cycles]
        lengths = [c.length_days for c in cycles]
        long = f"each {lengths[0]}" if len(set(lengths)) == 1 else _list(lengths)
        home = sum(c.reported_at_home for c in cycles)
        where = ""
        if home:
            where = f", recorded {AT_HOME}" if home == n else f", {home} of them recorded {AT_HOME}"
        return (
            f"the patient reported the effect wearing off on day {_list(reported)} of the "
            f"last {n} cycles ({long} days long){where}"
        )
    parts = []
    for c in cycles:
        swings = sorted(c.wore_off_swings, key=_mcid_ratio, reverse=True)
        if swings:
            s = swings[0]
            m = MEASURES[s.peak.measure]
            verb = "fell" if m.higher_is_better else "rose"
            what = f"{series_label(*s.peak.series)} {verb} {_n(s.drop)} {m.unit}"
        else:
            where = f" {AT_HOME}" if c.reported_at_home else ""
            what = f"wear-off reported{where} on day {c.reported_wear_off_day} of {c.length_days}"
        parts.append(f"cycle from {date_text(c.starts_on)}: {what}")
    return "; ".join(parts)


def _first_counting(given: list[int], regimen_starts_on: date | None) -> int:
    # Cycles that start on or after the current regimen's start count (a new regimen starts
    # a fresh evaluation); without a regimen none do.
    if regimen_starts_on is None:
        return len(given)
    return bisect_left(given, regimen_starts_on.toordinal())


def _by_cycle(marked: dict[int, int]) -> dict[int, dict[Series, int]]:
    out: dict[int, dict[Series, int]] = {}
    for key, index in marked.items():
        out.setdefault(key & CYCLE_MASK, {})[series_key(key)] = index
    return out


def _of_cycle(marked: dict[int, int], k: int) -> dict[Series, int]:
    # In marking order, as _by_cycle: sorting by series keeps it for equal keys.
    return {series_key(key): index for key, index in marked.items() if key & CYCLE_MASK == k}


def _cycle(
    marks: CycleMarks,
    k: int,
    peaks: dict[Series, int],
    troughs: dict[Series, int],
    counting: bool,
    policy: SitePolicy,
) -> Cycle:
    plan = marks.plan
    start, end = plan.given[k], plan.given[k + 1]
    both = sorted((key for key in peaks if key in troughs), key=_series_order)
    swings = tuple(
        Swing(_reading(marks, peaks[key]), _reading(marks, troughs[key])) for key in both
    )
    earliest = marks.reported.get(k)
    return Cycle(
        number=k + 1,
        starts_on=_day(start),
        ends_on=_day(end),
        counting=counting,
        swings=swings,
        troughs=tuple(_reading(marks, troughs[key]) for key in sorted(troughs, key=_series_order)),
        reported_wear_off_day=earliest,
        reported_wear_off=earliest is not None and earliest <= _report_limit(plan, k, policy),
        interval_days=plan.interval_days[k],
        evaluated=plan.evaluated[k],
        peaks=tuple(_reading(marks, peaks[key]) for key in sorted(peaks, key=_series_order)),
        reported_at_home=_reported_at_home(marks, k, earliest),
    )


def _reported_at_home(marks: CycleMarks, k: int, earliest: int | None) -> bool:
    # The marks keep only each cycle's earliest reported day, not its source: look it up
    # among the cycle's reports, (S_k, S_k+1]. Only quoted cycles get here, so the hot loop
    # that marks every patient's scores stays as it was.
    if earliest is None:
        return False
    days, values = marks.scores.days, marks.scores.values
    start, end = marks.plan.given[k], marks.plan.given[k + 1]
    for i in range(bisect_right(days, start), bisect_right(days, end)):
        measure, _side, _timing, source = marks.name(i)
        if measure == WEAR_OFF_DAY and source == Source.HOME and int(values[i]) == earliest:
            return True
    return False


def _progressive(
    marks: CycleMarks, first_counting: int, policy: SitePolicy
) -> tuple[ProgressiveFinding, ...]:
    # Every completed cycle's troughs may serve as the reference, including cycles from before
    # the current regimen: the rules say "the best trough taken in the year before", and a
    # decline is measured against the patient's best recent state, whatever the regimen was.
    days, values = marks.scores.days, marks.scores.values
    given, troughs = marks.given, marks.troughs
    findings = []
    for sid in sorted(marks.trough_series, key=lambda sid: _series_order(SERIES[sid].key)):
        base = sid << CYCLE_BITS
        # The last two counting cycles with a trough in this series, latest first.
        recent: list[tuple[int, int]] = []
        k = marks.cycle_count - 1
        while k >= first_counting and len(recent) < PROGRESSIVE_TROUGHS:
            index = troughs.get(base | k)
            if index is not None:
                recent.append((k, index))
            k -= 1
        if len(recent) < PROGRESSIVE_TROUGHS:
            continue
        (_, newer), (k, older) = recent
        earlier = days[older]
        since = earlier - policy.progressive_lookback_days
        # Troughs before it in the lookback: cycle k's trough lies in (given[k], given[k + 1]].
        candidates = []
        k -= 1
        while k >= 0 and given[k + 1] >= since:
            index = troughs.get(base | k)
            if index is not None and days[index] >= since:
                candidates.append(index)
            k -= 1
        if not candidates:
            continue
        candidates.reverse()
        series = SERIES[sid]
        # The first of the best troughs (a strict "is better" keeps the first).
        pick = max if series.higher_is_better else min
        best = values[reference := pick(candidates, key=values.__getitem__)]
        if all(
            (best - values[i] if series.higher_is_better else values[i] - best) >= series.mcid_floor
            for i in (older, newer)
        ):
            findings.append(
                ProgressiveFinding(
                    (_reading(marks, older), _reading(marks, newer)), _reading(marks, reference)
                )
            )
    return tuple(findings)


def _reading(marks: CycleMarks, i: int) -> Reading:
    scores = marks.scores
    measure, side, _timing, source = scores.name(scores.kinds[i])
    return Reading(measure, side, scores.values[i], _day(scores.days[i]), source)


@lru_cache(maxsize=20_000)
def _day(day_number: int) -> date:
    return date.fromordinal(day_number)


def _patterns(end_of_dose: bool, progressive: Sequence[ProgressiveFinding]) -> tuple[str, ...]:
    found = []
    if end_of_dose:
        found.append(END_OF_DOSE)
    if progressive:
        found.append(PROGRESSIVE)
    return tuple(found)


def _series_order(key: Series) -> tuple[str, str, str]:
    # Clinic before home.
    return (key[0], key[1] or "", "" if key[2] == "clinic" else key[2])


def _swing_of(cycle: Cycle, key: Series) -> Swing:
    return next(s for s in cycle.swings if s.peak.series == key)


def _mcid_ratio(swing: Swing) -> float:
    return swing.drop / (MEASURES[swing.peak.measure].mcid or 1)


def _series_in_all(cycles: Sequence[Cycle]) -> Series | None:
    common = set.intersection(*({s.peak.series for s in c.wore_off_swings} for c in cycles))
    if not common:
        return None
    # The clearest evidence: the series whose smallest drop is the largest in MCID units.
    return max(
        sorted(common, key=_series_order),
        key=lambda k: min(_mcid_ratio(_swing_of(c, k)) for c in cycles),
    )


def _n(value: float) -> str:
    return f"{round(value, 2):g}"


def _list(values: Sequence[float]) -> str:
    shown = [_n(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
