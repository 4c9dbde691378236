"""Where each score falls among the completed cycles: one pass over the scores in date order.

Both the full response (every cycle, for the patient's page) and the sweep's summary are
built from these marks, so the rules of section 5 that place a score in a cycle are written
once, here. A cycle k runs from given[k] to given[k+1] (day numbers):

- a post-infusion score after the last day of course k and before given[k+1] may be the
  cycle's peak (the best one, the first of equals); one on a course day is no peak, since
  the IVIG has not acted yet;
- a pre-infusion score on a day in [given[k+1] - trough window, given[k+1]], never on
  given[k] itself, may be its trough (the last one recorded);
- a patient-reported wear-off day recorded in (given[k], given[k+1]] belongs to it (the
  earliest reported day counts).

In a cycle whose course was given under an SC regimen (section 9) levels are steady: it has
no peak, and every score of a series in it, whatever its timing, may be its trough (the last
one recorded), a score on a course day belonging to the cycle that ends there.

A series is (measure, side, source): home readings are never compared with clinic ones
(section 10), but take part exactly as they do.

A cycle that is not evaluated (a late course: longer than the interval then prescribed
plus the tolerance; or one that spans a return from hold) gets no marks at all.

The pass runs once per patient per day for the whole cohort, so it is written for speed:
marks are keyed by one integer, `series << CYCLE_BITS | cycle`, and the cycle is found by
walking along the sorted course days rather than by searching for each score.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice, repeat
from math import inf
from operator import add, sub

from tracker.rules.facts import KindName, RegimenFact, ScoreColumns
from tracker.rules.measures import _EPSILON, MEASURES
from tracker.rules.vocabulary import MeasureCode, Route, Source, Timing

PRE_INFUSION = Timing.PRE_INFUSION
POST_INFUSION = Timing.POST_INFUSION
WEAR_OFF_DAY = MeasureCode.WEAR_OFF_DAY
SIDES = (None, "left", "right")

CYCLE_BITS = 20
CYCLE_MASK = (1 << CYCLE_BITS) - 1
PEAK, TROUGH, REPORT, IGNORED = 1, 2, 3, 0

Series = tuple[str, str | None, str]  # (measure code, side, source)


@dataclass(frozen=True)
class SeriesInfo:
    """A series and what comparing its scores needs."""

    key: Series
    higher_is_better: bool
    mcid_floor: float  # a change of at least this reaches the MCID (float dust allowed for)


# Series and score kinds get small numbers the first time they are seen; the known ones at
# import. The web server evaluates in several threads, hence the lock on the rare new one.
SERIES: list[SeriesInfo] = []
_SERIES_IDS: dict[Series, int] = {}
_ROLES: dict[KindName, tuple[int, int]] = {}
_LOCK = threading.Lock()


def series_id(key: Series) -> int:
    """The number of a (measure, side, source) series of a measure with an MCID."""
    found = _SERIES_IDS.get(key)
    if found is not None:
        return found
    with _LOCK:
        if key not in _SERIES_IDS:
            measure = MEASURES[key[0]]
            if measure.mcid is None:
                raise ValueError(f"{key[0]} has no MCID, so its scores form no series")
            SERIES.append(SeriesInfo(key, measure.higher_is_better, measure.mcid - _EPSILON))
            _SERIES_IDS[key] = len(SERIES) - 1
        return _SERIES_IDS[key]


def role(name: KindName) -> tuple[int, int]:
    """(PEAK, TROUGH, REPORT or IGNORED; the series number or -1) of a score kind.

    A clinic-timed score of a measure with an MCID is IGNORED in an IV cycle but still has
    its series: in an SC cycle it may be a trough."""
    found = _ROLES.get(name)
    if found is not None:
        return found
    measure, side, timing, source = name
    known = MEASURES.get(measure)
    # Unknown measures say nothing; a measure without an MCID forms no series.
    if known is None:
        found = (IGNORED, -1)
    elif measure == WEAR_OFF_DAY:
        found = (REPORT, -1)
    elif known.mcid is None:
        found = (IGNORED, -1)
    elif timing not in (PRE_INFUSION, POST_INFUSION):
        found = (IGNORED, series_id((measure, side, source)))
    else:
        found = (PEAK if timing == POST_INFUSION else TROUGH, series_id((measure, side, source)))
    _ROLES[name] = found
    return found


for _code, _measure in MEASURES.items():
    for _side in SIDES:
        for _timing in Timing:
            for _source in Source:
                role((_code, _side, _timing, _source))


@dataclass(frozen=True)
class CycleMarks:
    """The completed cycles' peaks and troughs as indexes into the (date-ordered) columns.

    Dicts keep insertion order, and scores are marked in date order, so each series'
    entries come in cycle order.
    """

    plan: CyclePlan
    scores: ScoreColumns  # in date order
    peaks: dict[int, int]  # series << CYCLE_BITS | cycle -> score index
    troughs: dict[int, int]
    reported: dict[int, int]  # cycle -> earliest reported wear-off day
    trough_series: frozenset[int] = frozenset()  # series with a trough in some cycle

    @property
    def given(self) -> list[int]:
        """The distinct given day numbers up to the evaluation day, in order."""
        return self.plan.given

    @property
    def cycle_count(self) -> int:
        """How many completed cycles there are."""
        return self.plan.cycle_count

    def name(self, i: int) -> KindName:
        """(measure, side, timing, source) of score i."""
        return self.scores.name(self.scores.kinds[i])


@dataclass(frozen=True)
class CyclePlan:
    """The completed cycles before any score is read: where each starts, from which day a
    peak may be taken, the interval prescribed on its first day, and whether it counts."""

    given: list[int]  # distinct first days of the given courses, up to the evaluation day
    peak_from: list[int]  # per cycle: the day after its course's last day
    interval_days: list[int]  # per cycle: the interval of the regimen current on its first day
    evaluated: list[bool]  # per cycle: False for a late cycle or one spanning a hold
    # per cycle: True when its course was given under an SC regimen (steady levels)
    steady: list[bool] = field(default_factory=list)

    @property
    def cycle_count(self) -> int:
        """How many completed cycles there are."""
        return max(0, len(self.given) - 1)

    def length_days(self, k: int) -> int:
        """Days from course k to course k+1."""
        return self.given[k + 1] - self.given[k]


def plan_cycles(
    courses: Iterable[tuple[int, int]],
    *,
    regimens: Sequence[RegimenFact],
    on_ordinal: int,
    tolerance_days: int,
    resumed_on: date | None = None,
    sc_tolerance_days: int | None = None,
) -> CyclePlan:
    """The cycles of the given courses (first day number, length in days) up to a day.

    A cycle under an SC regimen is late beyond its interval plus `sc_tolerance_days` (the
    IV tolerance when None)."""
    # Sorted by first day, then length: of two courses on one first day (one course) the
    # longer one, coming last, says when it ends.
    pairs = sorted(courses)
    if pairs and pairs[-1][0] > on_ordinal:
        del pairs[bisect_right(pairs, (on_ordinal, inf)) :]
    ends = dict(pairs)
    given = list(ends)
    cycles = max(0, len(given) - 1)
    # Per cycle: the day after its course's last day (a course lasts at least its first day).
    peak_from = list(map(add, given, map(max, ends.values(), repeat(1, cycles))))
    lengths = list(map(sub, islice(given, 1, None), given))
    starts = sorted(
        (r.starts_on.toordinal(), r.id, r.interval_days, r.route == Route.SC) for r in regimens
    )
    sc_tolerance = tolerance_days if sc_tolerance_days is None else sc_tolerance_days
    intervals: list[int] = []
    steady: list[bool] = []
    evaluated: list[bool] = []
    if not starts:
        # A course given before any regimen was written: its own length is its interval.
        intervals, steady, evaluated = lengths, [False] * cycles, [True] * cycles
    # Each regimen covers the cycles from the first one starting on or after its own start to
    # the next regimen's (the first also covers those before it); of regimens starting on
    # one day the last in (day, id) order, leaving the others none. A cycle is late when it
    # runs longer than the interval then prescribed plus the tolerance.
    for n, (_day, _id, interval, sc) in enumerate(starts):
        upto = bisect_left(given, starts[n + 1][0], 0, cycles) if n + 1 < len(starts) else cycles
        count = upto - len(intervals)
        if count <= 0:
            continue
        limit = interval + (sc_tolerance if sc else tolerance_days)
        intervals += [interval] * count
        steady += [sc] * count
        evaluated += map(limit.__ge__, islice(lengths, len(evaluated), upto))
    if resumed_on is not None:
        # The one cycle spanning the return from hold, start < back <= end, is not evaluated.
        k = bisect_left(given, resumed_on.toordinal()) - 1
        if 0 <= k < cycles:
            evaluated[k] = False
    return CyclePlan(given, peak_from, intervals, evaluated, steady)


def mark_cycles(scores: ScoreColumns, plan: CyclePlan, trough_window_days: int) -> CycleMarks:
    """Mark each score as a peak, trough or reported wear-off of its cycle, or as nothing."""
    scores = scores.in_date_order()
    peaks: dict[int, int] = {}
    troughs: dict[int, int] = {}
    reported: dict[int, int] = {}
    given = plan.given
    completed = plan.cycle_count
    if completed < 1:
        return CycleMarks(plan, scores, peaks, troughs, reported)
    days, values = scores.days, scores.values
    kinds = _kind_table(scores)
    # Only scores between the first and the last given course fall in a cycle.
    lo, hi = bisect_left(days, given[0]), bisect_right(days, given[-1])
    ends = [*given, given[-1] + 1]  # ends[k + 1] is where cycle k stops (a sentinel last)
    k, start, nxt = 0, given[0], ends[1]  # start = given[k] <= day < nxt = given[k + 1]
    peak_from, evaluated = plan.peak_from, [*plan.evaluated, False]
    steady = [*(plan.steady or [False] * completed), False]
    window = zip(range(lo, hi), islice(days, lo, hi), islice(scores.kinds, lo, hi), strict=True)
    for i, day, kind in window:
        while day >= nxt:
            k += 1
            start, nxt = nxt, ends[k + 1]
        what, series, higher = kinds[kind]
        # A peak is never on a course day (the IVIG has not acted): such a score may still
        # be the trough of an SC cycle ending there.
        if what == PEAK and not steady[k] and day != start:
            if evaluated[k] and day >= peak_from[k]:
                key = series | k
                best = peaks.get(key)
                # Strictly better replaces: of equal peaks the first is kept.
                if best is None or (
                    values[i] > values[best] if higher else values[i] < values[best]
                ):
                    peaks[key] = i
        elif what or series >= 0:
            # Troughs and reports belong to the cycle that ends on or after their day: on a
            # course day itself, the cycle that ends there.
            j = k if day == start else k + 1
            if not j or not evaluated[j - 1]:
                continue
            if what != REPORT:
                # In an SC cycle every score of a series is a trough, the last recorded
                # winning; in an IV cycle a pre-infusion score in the trough window.
                if steady[j - 1] or (what == TROUGH and day >= given[j] - trough_window_days):
                    troughs[series | (j - 1)] = i  # the last recorded wins
            else:
                reported_day = int(values[i])
                if j - 1 not in reported or reported_day < reported[j - 1]:
                    reported[j - 1] = reported_day
    trough_series = frozenset(map(CYCLE_BITS.__rrshift__, troughs))  # key >> CYCLE_BITS
    return CycleMarks(plan, scores, peaks, troughs, reported, trough_series)


KindEntry = tuple[int, int, bool]  # (role, series << CYCLE_BITS, higher is better)
# Kind tables of shared `names` mappings (the sweep's one-character kinds), by the mapping's
# id, with the mapping itself held so that its id is not reused while it is here.
_KIND_TABLES: dict[int, tuple[Mapping[Hashable, KindName], dict[Hashable, KindEntry]]] = {}


def _kind_table(scores: ScoreColumns) -> Mapping[Hashable, KindEntry]:
    # Per kind, what mark_cycles' loop needs: its role, its series already shifted into a
    # key, and whether higher is better (the loop runs for every score of every patient).
    # For a shared names mapping the table is made once, for all its kinds, rather than
    # for each patient's kinds at each evaluation.
    names = scores.names
    if names is None:
        return {kind: _kind_entry(kind) for kind in set(scores.kinds)}  # type: ignore[arg-type]  # kinds are names
    held = _KIND_TABLES.get(id(names))
    if held is not None and held[0] is names:
        return held[1]
    if len(_KIND_TABLES) >= 8:  # only tests make mappings of their own
        _KIND_TABLES.clear()
    table = {kind: _kind_entry(name) for kind, name in names.items()}
    _KIND_TABLES[id(names)] = (names, table)
    return table


def _kind_entry(name: KindName) -> KindEntry:
    what, sid = role(name)
    return what, sid << CYCLE_BITS, sid >= 0 and SERIES[sid].higher_is_better


def series_key(mark_key: int) -> Series:
    """The (measure, side, source) of a mark's key."""
    return SERIES[mark_key >> CYCLE_BITS].key
