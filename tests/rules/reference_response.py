"""The response assessment written plainly, sentence by sentence of section 5: the oracle.

First a verbatim copy of the original `assess_response`, which built every cycle by slicing
the sorted scores; revised with the clinical rules of 2026-12-04 (no peak on a course day,
the interval then prescribed, late cycles not evaluated, "the last 2 cycles with data").
Revised again for clinical rules 9 and 10: a series is (measure, side, source), and a
cycle given under an SC regimen has no peak, every score of a series in it being a trough
(the last one wins), with end-of-dose waning not evaluated when the current regimen is SC.
The tests check that the fast code gives equal results.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from tracker.rules.facts import CourseFact, RegimenFact, ScoreFact
from tracker.rules.measures import MEASURES, improvement, is_better, reaches_mcid
from tracker.rules.policy import SitePolicy
from tracker.rules.response import (
    POST_INFUSION,
    PRE_INFUSION,
    PROGRESSIVE_TROUGHS,
    WEAR_OFF_DAY,
    Cycle,
    ProgressiveFinding,
    Reading,
    ResponseAssessment,
    Series,
    Swing,
)


def assess_response(
    *,
    scores: Iterable[ScoreFact],
    courses: Iterable[CourseFact],
    regimens: Sequence[RegimenFact],
    regimen_starts_on: date | None,
    on: date,
    policy: SitePolicy,
    resumed_on: date | None = None,
    steady: bool = False,
) -> ResponseAssessment:
    """Build the completed cycles and find end-of-dose and progressive waning."""
    lengths: dict[date, int] = {}
    for c in courses:
        if c.status == "given" and c.starts_on <= on:
            lengths[c.starts_on] = max(c.days, lengths.get(c.starts_on, 1))
    days = sorted(lengths)
    # Scores of unknown measures or dated after `on` say nothing about the cycles as of `on`.
    # Sorting is stable, so same-day scores keep their recorded order.
    known = sorted(
        (s for s in scores if s.taken_on <= on and s.measure in MEASURES),
        key=lambda s: s.taken_on,
    )
    taken = [s.taken_on for s in known]
    ordered = sorted(regimens, key=lambda r: (r.starts_on, r.id))

    def regimen_on(day: date) -> RegimenFact:
        started = [r for r in ordered if r.starts_on <= day]
        return started[-1] if started else ordered[0]

    cycles = []
    for number, (start, end) in enumerate(zip(days, days[1:], strict=False), start=1):
        interval = regimen_on(start).interval_days if ordered else (end - start).days
        sc = bool(ordered) and regimen_on(start).route == "sc"
        tolerance = policy.sc_tolerance_days if sc else policy.due_tolerance_days
        late = (end - start).days > interval + tolerance
        spans_hold = resumed_on is not None and start < resumed_on <= end
        evaluated = not late and not spans_hold
        cycles.append(
            _cycle(
                number,
                start,
                end,
                known[bisect_left(taken, start) : bisect_right(taken, end)] if evaluated else [],
                counting=regimen_starts_on is not None and start >= regimen_starts_on,
                policy=policy,
                last_course_day=start + timedelta(days=lengths[start] - 1),
                interval=interval,
                evaluated=evaluated,
                sc=sc,
            )
        )
    with_data = [c for c in cycles if c.counting and c.has_data]
    need = policy.wear_off_cycles
    last = tuple(with_data[-need:]) if len(with_data) >= need and not steady else ()
    since = on - timedelta(days=policy.taper_stable_days)
    return ResponseAssessment(
        cycles=tuple(cycles),
        end_of_dose=bool(last) and all(c.wear_off for c in last),
        end_of_dose_cycles=last,
        progressive=_progressive(cycles, policy),
        recent_wear_off=any(c.wear_off and c.ends_on >= since for c in with_data),
    )


def _cycle(
    number: int,
    start: date,
    end: date,
    scores: Sequence[ScoreFact],  # dated within [start, end], in date order
    *,
    counting: bool,
    policy: SitePolicy,
    last_course_day: date,
    interval: int,
    evaluated: bool,
    sc: bool = False,
) -> Cycle:
    # The peak: the best post-infusion score after the course's last day and before S_k+1
    # (none under SC, where levels are steady).
    peaks: dict[Series, Reading] = {}
    for s in scores:
        if sc:
            break
        if s.timing == POST_INFUSION and last_course_day < s.taken_on < end and _is_series(s):
            r = _reading(s)
            best = peaks.get(r.series)
            if best is None or is_better(r.measure, r.value, best.value):
                peaks[r.series] = r
    # The trough window never reaches back to S_k itself: a pre-infusion score on S_k is the
    # previous cycle's trough, even in a cycle shorter than the window.
    trough_from = max(end - timedelta(days=policy.trough_window_days), start + timedelta(days=1))
    troughs: dict[Series, Reading] = {}
    for s in scores:  # in date order, same-day scores in recorded order
        if sc:
            # Under SC every score of a series in (S_k, S_k+1] is a trough; the last wins.
            if start < s.taken_on <= end and _is_series(s):
                troughs[_reading(s).series] = _reading(s)
        elif s.timing == PRE_INFUSION and trough_from <= s.taken_on <= end and _is_series(s):
            troughs[_reading(s).series] = _reading(s)  # the last such wins
    both = sorted((key for key in peaks if key in troughs), key=_series_order)
    swings = tuple(Swing(peaks[key], troughs[key]) for key in both)
    # A wear-off day is usually reported at the next visit, on S_k+1 before the infusion:
    # it belongs to the cycle that just ended, so the report window is (S_k, S_k+1].
    reports = [s for s in scores if s.measure == WEAR_OFF_DAY and start < s.taken_on <= end]
    reported = [int(s.value) for s in reports]
    earliest = min(reported) if reported else None
    # The earliest day counts; it came from home when some report of that day did.
    at_home = any(int(s.value) == earliest and s.source == "home" for s in reports)
    limit = min((end - start).days, interval) - policy.reported_wear_off_margin_days
    return Cycle(
        number=number,
        starts_on=start,
        ends_on=end,
        counting=counting,
        swings=swings,
        troughs=tuple(troughs[k] for k in sorted(troughs, key=_series_order)),
        reported_wear_off_day=earliest,
        reported_wear_off=earliest is not None and earliest <= limit,
        interval_days=interval,
        evaluated=evaluated,
        peaks=tuple(peaks[k] for k in sorted(peaks, key=_series_order)),
        reported_at_home=at_home,
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
    return Reading(s.measure, s.side, float(s.value), s.taken_on, s.source)


def _series_order(key: Series) -> tuple[str, str, str]:
    return (key[0], key[1] or "", "" if key[2] == "clinic" else key[2])
