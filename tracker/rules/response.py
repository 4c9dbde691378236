"""Response to treatment: cycles, peaks and troughs, wear-off and waning (section 5)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tracker.rules.facts import ScoreFact
from tracker.rules.measures import MEASURES, improvement, is_better, reaches_mcid, series_label
from tracker.rules.policy import SitePolicy

END_OF_DOSE = "end_of_dose"
PROGRESSIVE = "progressive"
PRE_INFUSION = "pre_infusion"
POST_INFUSION = "post_infusion"
WEAR_OFF_DAY = "wear_off_day"
# Progressive waning compares the last two troughs (fixed by the rules, not a policy value).
PROGRESSIVE_TROUGHS = 2

Series = tuple[str, str | None]  # (measure code, side)


@dataclass(frozen=True)
class Reading:
    """One score of a series on a day."""

    measure: str
    side: str | None
    value: float
    taken_on: date

    @property
    def series(self) -> Series:
        """The (measure, side) pair this reading belongs to."""
        return (self.measure, self.side)


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
            f"{series_label(ref.measure, ref.side)} trough {_n(first.value)} and "
            f"{_n(second.value)} {measure.unit}, {_n(a)} and {_n(b)} {below} the best trough "
            f"of {_n(ref.value)} in the year before"
        )


@dataclass(frozen=True)
class ResponseAssessment:
    """The cycles and the waning patterns found in them."""

    cycles: tuple[Cycle, ...]
    end_of_dose: bool
    end_of_dose_cycles: tuple[Cycle, ...]  # the last counting cycles that were examined
    progressive: tuple[ProgressiveFinding, ...]

    @property
    def patterns(self) -> tuple[str, ...]:
        """The waning patterns found, end_of_dose before progressive."""
        found = []
        if self.end_of_dose:
            found.append(END_OF_DOSE)
        if self.progressive:
            found.append(PROGRESSIVE)
        return tuple(found)

    @property
    def counting_cycles(self) -> tuple[Cycle, ...]:
        """Completed cycles that started under the current regimen."""
        return tuple(c for c in self.cycles if c.counting)

    def describe_end_of_dose(self) -> str:
        """Say how the last counting cycles wore off, e.g. "right grip ... fell 12 kPa ..."."""
        return describe_wear_off(self.end_of_dose_cycles)

    def describe_progressive(self) -> str:
        """One sentence per series that waned progressively."""
        return "; ".join(f.describe() for f in self.progressive)


def assess_response(
    *,
    scores: Iterable[ScoreFact],
    given_days: Sequence[date],
    regimen_starts_on: date | None,
    on: date,
    policy: SitePolicy,
) -> ResponseAssessment:
    """Build the completed cycles and find end-of-dose and progressive waning."""
    days = sorted({d for d in given_days if d <= on})
    # Scores of unknown measures or dated after `on` say nothing about the cycles as of `on`.
    # Sorting is stable, so same-day scores keep their recorded order.
    known = sorted(
        (s for s in scores if s.taken_on <= on and s.measure in MEASURES),
        key=lambda s: s.taken_on,
    )
    taken = [s.taken_on for s in known]
    # Years of history are common: each cycle reads only the scores dated within it.
    cycles = tuple(
        _cycle(
            number,
            start,
            end,
            known[bisect_left(taken, start) : bisect_right(taken, end)],
            counting=regimen_starts_on is not None and start >= regimen_starts_on,
            policy=policy,
        )
        for number, (start, end) in enumerate(zip(days, days[1:], strict=False), start=1)
    )
    counting = [c for c in cycles if c.counting]
    need = policy.wear_off_cycles
    last = tuple(counting[-need:]) if len(counting) >= need else ()
    end_of_dose = bool(last) and all(c.wear_off for c in last)
    return ResponseAssessment(
        cycles=cycles,
        end_of_dose=end_of_dose,
        end_of_dose_cycles=last,
        progressive=_progressive(cycles, policy),
    )


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
        return (
            f"the patient reported the effect wearing off on day {_list(reported)} of the "
            f"last {n} cycles ({long} days long)"
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
            what = f"wear-off reported on day {c.reported_wear_off_day} of {c.length_days}"
        parts.append(f"cycle from {c.starts_on.isoformat()}: {what}")
    return "; ".join(parts)


def _cycle(
    number: int,
    start: date,
    end: date,
    scores: Sequence[ScoreFact],  # dated within [start, end], in date order
    *,
    counting: bool,
    policy: SitePolicy,
) -> Cycle:
    # Post-infusion scores are taken on the course day itself, right after the infusion, so
    # the peak window includes S_k and stops before S_k+1 (whose post score is the next peak).
    peaks: dict[Series, Reading] = {}
    for s in scores:
        if s.timing == POST_INFUSION and start <= s.taken_on < end and _is_series(s):
            r = _reading(s)
            best = peaks.get(r.series)
            if best is None or is_better(r.measure, r.value, best.value):
                peaks[r.series] = r
    # The trough window never reaches back to S_k itself: a pre-infusion score on S_k is the
    # previous cycle's trough, even in a cycle shorter than the window.
    trough_from = max(end - timedelta(days=policy.trough_window_days), start + timedelta(days=1))
    troughs: dict[Series, Reading] = {}
    for s in scores:  # in date order, same-day scores in recorded order
        if s.timing == PRE_INFUSION and trough_from <= s.taken_on <= end and _is_series(s):
            troughs[(s.measure, s.side)] = _reading(s)  # the last such wins
    both = sorted((key for key in peaks if key in troughs), key=_series_order)
    swings = tuple(Swing(peaks[key], troughs[key]) for key in both)
    # A wear-off day is usually reported at the next visit, on S_k+1 before the infusion:
    # it belongs to the cycle that just ended, so the report window is (S_k, S_k+1].
    reported = [
        int(s.value) for s in scores if s.measure == WEAR_OFF_DAY and start < s.taken_on <= end
    ]
    earliest = min(reported) if reported else None
    length = (end - start).days
    return Cycle(
        number=number,
        starts_on=start,
        ends_on=end,
        counting=counting,
        swings=swings,
        troughs=tuple(troughs[k] for k in sorted(troughs, key=_series_order)),
        reported_wear_off_day=earliest,
        reported_wear_off=(
            earliest is not None and earliest <= length - policy.reported_wear_off_margin_days
        ),
    )


def _progressive(cycles: Sequence[Cycle], policy: SitePolicy) -> tuple[ProgressiveFinding, ...]:
    # Every completed cycle's troughs may serve as the reference, including cycles from before
    # the current regimen: the rules say "the best trough taken in the year before", and a
    # decline is measured against the patient's best recent state, whatever the regimen was.
    all_troughs: dict[Series, list[Reading]] = {}
    counting_troughs: dict[Series, list[Reading]] = {}
    for c in cycles:
        for t in c.troughs:
            all_troughs.setdefault(t.series, []).append(t)
            if c.counting:
                counting_troughs.setdefault(t.series, []).append(t)
    findings = []
    for key in sorted(counting_troughs, key=_series_order):
        recent = counting_troughs[key][-PROGRESSIVE_TROUGHS:]
        if len(recent) < PROGRESSIVE_TROUGHS:
            continue
        earlier = recent[0].taken_on
        since = earlier - timedelta(days=policy.progressive_lookback_days)
        candidates = [t for t in all_troughs[key] if since <= t.taken_on < earlier]
        if not candidates:
            continue
        reference = candidates[0]
        for t in candidates[1:]:
            if is_better(t.measure, t.value, reference.value):
                reference = t
        if all(
            reaches_mcid(t.measure, improvement(t.measure, t.value, reference.value))
            for t in recent
        ):
            findings.append(ProgressiveFinding((recent[0], recent[1]), reference))
    return tuple(findings)


def _is_series(s: ScoreFact) -> bool:
    return MEASURES[s.measure].mcid is not None


def _reading(s: ScoreFact) -> Reading:
    return Reading(s.measure, s.side, float(s.value), s.taken_on)


def _series_order(key: Series) -> tuple[str, str]:
    return (key[0], key[1] or "")


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
