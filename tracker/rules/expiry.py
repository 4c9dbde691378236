"""When a stored evaluation stops being true by the calendar alone (issue 20).

An evaluation of day D, stored as a patient's state, stays right for the days after D
until one of these days comes, even if nobody touches the patient's data:

- a booked course's day passes (day + 1: it no longer counts as the next booking);
- a course recorded as given on a later day is reached (it stops being a booking and
  moves the window, the review and the cycles);
- a regimen recorded to start later starts; a return from hold recorded for a later day
  comes;
- a review, a weight or a score dated later than D comes into view (everything dated
  after the day evaluated is ignored until then);
- the taper's look-back moves: a regimen becomes 180 days old, or a cycle that wore off
  leaves the last 180 days (each given course's day + 181, for an active patient without a
  waning response, whose recommendation the taper cannot change);
- an authorisation starts, ends, enters its notice period, or its projected exhaustion
  enters the notice; and while a course is due but unbooked (due day on or before D), the
  projection and the missing-authorisation day start from the day evaluated, so a patient
  with authorisations (or under `authorizations_required`) then expires the next day.

The date-driven flags (needs_booking, overdue, review_due, weight_stale) are *not* in that
list on purpose: the state stores them as the days they begin (`needs_booking_from`,
`overdue_from`, ...), so their stored answer serves every later day, and every reader (the
worklist, the digest, the sweep's e-mails) asks "is from <= today". `flags_change_on` gives
the first such day for a caller that holds an Evaluation's boolean flags instead.

Whatever the list finds, a state is never kept longer than the caller's `latest` day (the
services pass three to four weeks): a guard against a date dependence this list misses,
which `tracker sweep --verify` would also show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from tracker.rules.evaluate import Evaluation
from tracker.rules.facts import (
    BOOKED,
    GIVEN,
    AuthorizationFact,
    PackedFacts,
    PatientFacts,
    RegimenFact,
)
from tracker.rules.policy import SitePolicy
from tracker.rules.vocabulary import FlagCode

__all__ = [
    "expires_on",
    "flags_change_on",
    "packed_expires_on",
    "patient_expires_on",
]


def expires_on(
    evaluation: Evaluation,
    *,
    policy: SitePolicy,
    latest: date,
    regimen_starts: Iterable[date] = (),
    given_days: Iterable[int] = (),
    booked_days: Iterable[date] = (),
    review_dates: Iterable[date] = (),
    weight_dates: Iterable[date] = (),
    score_days: Sequence[int] = (),
    resumed_on: date | None = None,
    authorizations: Sequence[AuthorizationFact] = (),
    interval_days: int | None = None,
    regimen_started: date | None = None,
) -> date:
    """The first day after `evaluation.on` on which its stored answer can change by the
    calendar alone (see the module's list), and never later than `latest`.

    `given_days` are day numbers (`date.toordinal()`) in any order; `score_days` day
    numbers too; the other lists may hold days on either side of `on`. `interval_days`
    and `regimen_started`: the current regimen's (None: every given day is taken as a
    cycle's end that may leave the taper's look-back).
    """
    on = evaluation.on
    today = on.toordinal()
    first = latest.toordinal()

    def consider(day: int) -> None:
        nonlocal first
        if today < day < first:
            first = day

    stable = policy.taper_stable_days
    for start in regimen_starts:
        consider(start.toordinal())
        consider(start.toordinal() + stable)
        consider(start.toordinal() + stable + 1)
    # A cycle that wore off keeps the taper away while it ended within the last `stable`
    # days: it leaves the look-back on its end (a given course's day) + stable + 1. Only
    # cycles of the current regimen count, and a waning response (which the taper never
    # overrides) or a patient who is not active gets no taper at all.
    tapering = (
        evaluation.status == "active"
        and evaluation.regimen_id is not None
        and FlagCode.WANING_RESPONSE not in evaluation.flag_codes
    )
    taper_from = regimen_started.toordinal() if regimen_started is not None else 0
    for day in given_days:
        if day > today:
            consider(day)
        elif tapering and day > taper_from:
            consider(day + stable + 1)
    for booked in booked_days:
        consider(booked.toordinal() + 1)
    for dated in (*review_dates, *weight_dates):
        consider(dated.toordinal())
    consider(min((d for d in score_days if d > today), default=0))
    if resumed_on is not None:
        consider(resumed_on.toordinal())
    if authorizations or policy.authorizations_required:
        _funding_days(evaluation, policy, authorizations, consider, interval_days)
    return date.fromordinal(first)


def _funding_days(
    evaluation: Evaluation,
    policy: SitePolicy,
    authorizations: Sequence[AuthorizationFact],
    add: Callable[[int], None],
    interval_days: int | None,
) -> None:
    today = evaluation.on.toordinal()
    notice = policy.authorization_notice_days
    for a in authorizations:
        for day in (a.starts_on, a.ends_on + timedelta(days=1)):
            add(day.toordinal())
        add(a.ends_on.toordinal() - notice)
        add(a.ends_on.toordinal() - notice + 1)
    for standing in evaluation.authorizations:
        out = standing.projected_exhausted_on
        if out is not None:
            add(out.toordinal() - notice)
            add(out.toordinal() - notice + 1)
    due = evaluation.due_on
    if due is None:
        return
    if due.toordinal() > today:
        add(due.toordinal())
        add(due.toordinal() + 1)
        return
    # The due day has come with nothing booked: the projection and the missing day start at
    # the day evaluated and move with it. A flag already on quotes those days: daily.
    if (
        evaluation.authorization_ending_on is not None
        or evaluation.authorization_missing_on is not None
        or not interval_days
    ):
        add(today + 1)
        return
    # Off, it stays off while the projected courses that fit before each limited
    # authorisation's end stay as many: that count changes when an end minus a whole
    # number of intervals passes.
    for a in authorizations:
        if a.approved_g is None and a.approved_courses is None:
            continue
        end = a.ends_on.toordinal()
        while end >= today:
            add(end)
            add(end + 1)
            end -= interval_days


def packed_expires_on(
    facts: PackedFacts,
    evaluation: Evaluation,
    *,
    policy: SitePolicy,
    latest: date,
) -> date:
    """`expires_on` from the sweep's packed facts."""
    return expires_on(
        evaluation,
        policy=policy,
        latest=latest,
        regimen_starts=(r.starts_on for r in facts.regimens),
        given_days=facts.given_days,
        booked_days=(c.starts_on for c in facts.bookings),
        review_dates=facts.review_dates,
        weight_dates=(
            facts.weight_dates
            if facts.next_weight_on is None
            else (*facts.weight_dates, facts.next_weight_on)
        ),
        score_days=facts.scores.days,
        resumed_on=facts.resumed_on,
        authorizations=facts.authorizations,
        interval_days=_interval(facts.regimens, evaluation),
        regimen_started=_started(facts.regimens, evaluation),
    )


def patient_expires_on(
    facts: PatientFacts, evaluation: Evaluation, *, policy: SitePolicy, latest: date
) -> date:
    """`expires_on` from a patient's full facts (the page's and the imports' reading)."""
    return expires_on(
        evaluation,
        policy=policy,
        latest=latest,
        regimen_starts=(r.starts_on for r in facts.regimens),
        given_days=(c.starts_on.toordinal() for c in facts.courses if c.status == GIVEN),
        booked_days=(c.starts_on for c in facts.courses if c.status == BOOKED),
        review_dates=facts.review_dates,
        weight_dates=facts.weight_dates,
        score_days=sorted(s.taken_on.toordinal() for s in facts.scores),
        resumed_on=facts.resumed_on,
        authorizations=facts.authorizations,
        interval_days=_interval(facts.regimens, evaluation),
        regimen_started=_started(facts.regimens, evaluation),
    )


def flags_change_on(evaluation: Evaluation) -> date | None:
    """The first day after the one evaluated on which a date-driven flag of the Evaluation
    (needs_booking, overdue, review_due, weight_stale) or the window's being open changes,
    with the facts as they are; None when none will."""
    on = evaluation.on
    days = (
        evaluation.needs_booking_from,
        evaluation.window_start,
        evaluation.overdue_from,
        evaluation.review_due_from,
        evaluation.weight_stale_from,
    )
    later = [d for d in days if d is not None and d > on]
    if evaluation.window_end is not None and evaluation.window_end >= on:
        later.append(evaluation.window_end + timedelta(days=1))
    return min(later, default=None)


def _interval(regimens: Iterable[RegimenFact], evaluation: Evaluation) -> int | None:
    return next((r.interval_days for r in regimens if r.id == evaluation.regimen_id), None)


def _started(regimens: Iterable[RegimenFact], evaluation: Evaluation) -> date | None:
    return next((r.starts_on for r in regimens if r.id == evaluation.regimen_id), None)
