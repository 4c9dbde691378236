"""The one entry point: everything the tracker shows or flags about a patient on a day."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tracker.rules.authorizations import (
    AuthorizationStanding,
    FundedCourse,
    FundingReport,
    funded_days,
    funding_report,
    in_play,
)
from tracker.rules.benefit import changes_after
from tracker.rules.cycles import CyclePlan, plan_cycles
from tracker.rules.dosing import exceeds_intensity_cap, intensity_g_per_kg_28d
from tracker.rules.facts import (
    BOOKED,
    GIVEN,
    PATIENT_STATUSES,
    AuthorizationFact,
    CourseFact,
    PackedFacts,
    PatientFacts,
    RegimenFact,
    ScoreColumns,
    ScoreFact,
)
from tracker.rules.policy import SitePolicy
from tracker.rules.recommend import Recommendation, recommend
from tracker.rules.response import (
    ResponseAssessment,
    ResponseSummary,
    assess_response,
    summarize_response,
)
from tracker.rules.vocabulary import FlagCode, codes
from tracker.rules.weights import latest_weight
from tracker.rules.window import (
    DateFlags,
    current_regimen,
    date_flags,
    date_flags_from,
    upcoming_bookings,
)
from tracker.rules.wording import date_text

__all__ = [
    "FLAG_ORDER",
    "CourseFact",
    "Evaluation",
    "Flag",
    "PackedFacts",
    "PatientFacts",
    "Recommendation",
    "RegimenFact",
    "ScoreFact",
    "evaluate",
    "evaluate_packed",
    "scores_needed_from",
]

OVERDUE = FlagCode.OVERDUE
NEEDS_BOOKING = FlagCode.NEEDS_BOOKING
BOOKING_OUTSIDE_WINDOW = FlagCode.BOOKING_OUTSIDE_WINDOW
WANING_RESPONSE = FlagCode.WANING_RESPONSE
REFRACTORY = FlagCode.REFRACTORY
NO_RESPONSE = FlagCode.NO_RESPONSE
REVIEW_DUE = FlagCode.REVIEW_DUE
WEIGHT_STALE = FlagCode.WEIGHT_STALE
AUTHORIZATION_ENDING = FlagCode.AUTHORIZATION_ENDING
AUTHORIZATION_MISSING = FlagCode.AUTHORIZATION_MISSING
FLAG_ORDER = codes(FlagCode)
# No response is judged after this many courses of the first regimen (section 11).
NO_RESPONSE_MIN_COURSES = 3
# Refractory needs this many completed cycles of the regimen at the cap (section 11).
REFRACTORY_MIN_CYCLES = 2


@dataclass(frozen=True)
class Flag:
    """Something a person should look at; patterns only for waning_response."""

    code: str
    patterns: tuple[str, ...] = ()
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON shape: `patterns` only for waning_response."""
        if self.code == WANING_RESPONSE:
            return {"code": self.code, "patterns": list(self.patterns)}
        return {"code": self.code}


@dataclass(frozen=True)
class Evaluation:
    """A patient's schedule, flags and recommended action as of one day."""

    on: date
    regimen_id: int | None
    due_on: date | None
    window_start: date | None
    window_end: date | None
    next_booking: CourseFact | None
    flags: tuple[Flag, ...]
    recommendation: Recommendation | None
    needs_booking_from: date | None
    overdue_from: date | None
    review_due_from: date | None
    next_review_on: date | None
    weight_stale_from: date | None
    status: str = "active"
    intensity_g_per_kg_28d: float | None = None
    # Section 8: each authorisation's figures, and the days the funding flags' causes bite
    # (None while the flag is off).
    authorizations: tuple[AuthorizationStanding, ...] = ()
    authorization_ending_on: date | None = None
    authorization_missing_on: date | None = None
    response: ResponseAssessment | None = None

    @property
    def flag_codes(self) -> tuple[str, ...]:
        """The codes of the flags that are on, in display order."""
        return tuple(f.code for f in self.flags)

    def has_flag(self, code: str) -> bool:
        """True when the flag with this code is on."""
        return code in self.flag_codes

    def to_schedule_dict(self) -> dict[str, Any]:
        """The contract's schedule answer, without patient_id (the caller adds it)."""
        booking = self.next_booking
        return {
            "on": self.on.isoformat(),
            "regimen_id": self.regimen_id,
            "due_on": _iso(self.due_on),
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "next_booking": (
                None
                if booking is None
                else {"id": booking.id, "scheduled_on": booking.starts_on.isoformat()}
            ),
            "flags": [f.to_dict() for f in self.flags],
            "recommendation": (
                None if self.recommendation is None else self.recommendation.to_dict()
            ),
        }


def evaluate(facts: PatientFacts, *, on: date, policy: SitePolicy) -> Evaluation:
    """Evaluate one patient on day `on` under the site policy and the patient's own bounds.

    Everything dated after `on` is ignored (weights, reviews, scores, courses given), except
    that a course booked or given after it counts as booked.
    """
    _check_status(facts.status)
    policy = policy.with_patient_bounds(facts.min_interval_days, facts.max_interval_days)
    regimen = current_regimen(facts.regimens, on)
    bookings = upcoming_bookings(facts.courses, on)

    def funding(dates: DateFlags | None) -> FundingReport:
        return _funding(
            facts.authorizations,
            facts.courses,
            facts.regimens,
            dict(facts.course_doses),
            on=on,
            policy=policy,
            regimen=regimen,
            dates=dates,
            last_booking_on=bookings[-1].starts_on if bookings else None,
            active=facts.status == "active",
        )

    if regimen is None:
        return _unplanned(on, facts.status, funding(None))
    latest_weight_on = latest_weight(facts.weight_dates, on, measured_on=_itself)
    dates = date_flags(
        regimen=regimen,
        courses=facts.courses,
        on=on,
        policy=policy,
        review_dates=facts.review_dates,
        latest_weight_on=latest_weight_on,
        resumed_on=facts.resumed_on,
    )
    given = [(c.starts_on.toordinal(), c.days) for c in facts.courses if c.status == GIVEN]
    plan = _plan(given, facts.regimens, on, policy, facts.resumed_on)
    scores = tuple(s for s in facts.scores if s.taken_on <= on)
    response = assess_response(
        scores=scores,
        plan=plan,
        regimen_starts_on=regimen.starts_on,
        on=on,
        policy=policy,
        steady=regimen.subcutaneous,
    )
    return _assemble(
        on,
        policy,
        regimen,
        dates,
        response,
        facts.status,
        latest_weight_on,
        facts.dismissed,
        kept=response,
        no_response=_no_response(ScoreColumns.of(scores), plan, facts.regimens, on),
        counting_cycles=_counting_cycles(plan, regimen),
        funding=funding(dates),
    )


def evaluate_packed(facts: PackedFacts, *, on: date, policy: SitePolicy) -> Evaluation:
    """The same evaluation as `evaluate` gives on the unpacked facts, with `response` None
    and figures only for the authorisations in play (`authorizations.in_play`).

    For the daily sweep: it builds only the cycles that the flags and the recommendation
    quote, not every cycle of the patient's history, and charges only the courses that the
    authorisations in play can be charged.
    """
    _check_status(facts.status)
    policy = policy.with_patient_bounds(facts.min_interval_days, facts.max_interval_days)
    regimen = current_regimen(facts.regimens, on)
    today = on.toordinal()
    # A course recorded as given after `on` was still a booking on `on` (upcoming_bookings).
    # Picked by day number first: building every given course to keep none was a tenth of
    # the sweep's time.
    lengths = facts.given_lengths or [1] * len(facts.given_days)
    later = [
        CourseFact(course_id, date.fromordinal(day), BOOKED, days)
        for day, course_id, days in zip(facts.given_days, facts.given_ids, lengths, strict=True)
        if day > today
    ]
    bookings = [c for c in facts.bookings if c.starts_on >= on] + later

    def funding(dates: DateFlags | None) -> FundingReport:
        if not (facts.authorizations or policy.authorizations_required):
            return FundingReport()  # (what _funding finds, without listing the courses)
        doses = facts.course_doses
        # Only the authorisations still in play get figures, and only their courses are
        # charged: the sweep stores no figures, and older ones cannot change a flag.
        kept = in_play(facts.authorizations, on)
        return _funding(
            facts.authorizations,
            (),
            facts.regimens,
            doses,
            funded=funded_days(
                facts.given_days,
                facts.given_ids,
                facts.bookings,
                regimens=facts.regimens,
                doses=doses,
                on=on,
                since=min(a.starts_on for a in kept),
            )
            if kept
            else [],
            standing=kept,
            on=on,
            policy=policy,
            regimen=regimen,
            dates=dates,
            last_booking_on=max(c.starts_on for c in bookings) if bookings else None,
            active=facts.status == "active",
        )

    if regimen is None:
        return _unplanned(on, facts.status, funding(None))
    given = [d for d in facts.given_days if d <= today]
    latest_weight_on = latest_weight(facts.weight_dates, on, measured_on=_itself)
    dates = date_flags_from(
        regimen=regimen,
        first_given_on=date.fromordinal(min(given)) if given else None,
        last_given_on=date.fromordinal(max(given)) if given else None,
        bookings=tuple(sorted(bookings, key=lambda c: (c.starts_on, c.id))),
        on=on,
        policy=policy,
        review_dates=facts.review_dates,
        latest_weight_on=latest_weight_on,
        resumed_on=facts.resumed_on,
    )
    plan = _plan(
        zip(facts.given_days, lengths, strict=True), facts.regimens, on, policy, facts.resumed_on
    )
    scores = _up_to(facts.scores, today)
    summary = summarize_response(
        scores=scores,
        plan=plan,
        regimen_starts_on=regimen.starts_on,
        on=on,
        policy=policy,
        steady=regimen.subcutaneous,
    )
    return _assemble(
        on,
        policy,
        regimen,
        dates,
        summary,
        facts.status,
        latest_weight_on,
        facts.dismissed,
        kept=None,
        no_response=_no_response(scores, plan, facts.regimens, on),
        counting_cycles=_counting_cycles(plan, regimen),
        funding=funding(dates),
    )


def _itself(day: date) -> date:
    return day


def _funding(
    authorizations: Sequence[AuthorizationFact],
    courses: Iterable[CourseFact],
    regimens: Sequence[RegimenFact],
    doses: Mapping[int, float],
    *,
    on: date,
    policy: SitePolicy,
    regimen: RegimenFact | None,
    dates: DateFlags | None,
    last_booking_on: date | None,
    active: bool,
    funded: Sequence[FundedCourse] | None = None,
    standing: Sequence[AuthorizationFact] | None = None,
) -> FundingReport:
    """Section 8 for one patient: flags only for an active patient with a regimen."""
    return funding_report(
        authorizations=authorizations,
        courses=courses,
        funded=funded,
        standing=standing,
        regimens=regimens,
        doses=doses,
        on=on,
        regimen=regimen,
        due_on=dates.window.due_on if dates is not None else None,
        next_booking_on=(
            dates.next_booking.starts_on
            if dates is not None and dates.next_booking is not None
            else None
        ),
        last_booking_on=last_booking_on,
        flags=active and regimen is not None and dates is not None,
        notice_days=policy.authorization_notice_days,
        required=policy.authorizations_required,
    )


def _plan(
    given: Iterable[tuple[int, int]],
    regimens: Sequence[RegimenFact],
    on: date,
    policy: SitePolicy,
    resumed_on: date | None,
) -> CyclePlan:
    return plan_cycles(
        given,
        regimens=regimens,
        on_ordinal=on.toordinal(),
        tolerance_days=policy.due_tolerance_days,
        resumed_on=resumed_on,
        sc_tolerance_days=policy.sc_tolerance_days,
    )


def _up_to(scores: ScoreColumns, today: int) -> ScoreColumns:
    # Scores dated after the day evaluated are ignored; the sweep reads none, so no copy.
    days = scores.days
    if not days or (days[-1] if scores.in_order else max(days)) <= today:
        return scores
    keep = [i for i, d in enumerate(days) if d <= today]
    return ScoreColumns(
        days=[days[i] for i in keep],
        kinds=[scores.kinds[i] for i in keep],
        values=[scores.values[i] for i in keep],
        names=scores.names,
        in_order=scores.in_order,
    )


def _counting_cycles(plan: CyclePlan, regimen: RegimenFact) -> int:
    # Completed cycles that started on or after the regimen's start: the given days are in
    # order, so counted by bisection rather than a step per course.
    return plan.cycle_count - bisect_left(
        plan.given, regimen.starts_on.toordinal(), 0, plan.cycle_count
    )


def _no_response(
    scores: ScoreColumns, plan: CyclePlan, regimens: Iterable[RegimenFact], on: date
) -> str | None:
    """Section 11: the first regimen has had 3 courses and no series got better; the
    flag's detail, else None."""
    if not plan.given:
        return None
    ordered = sorted(regimens, key=lambda r: (r.starts_on, r.id))
    first = ordered[0]
    # The first regimen's courses: those given while it was the current one.
    until = ordered[1].starts_on.toordinal() if len(ordered) > 1 else on.toordinal() + 1
    given = plan.given  # in order
    courses = bisect_left(given, until) - bisect_left(given, first.starts_on.toordinal())
    if courses < NO_RESPONSE_MIN_COURSES:
        return None
    started = date.fromordinal(plan.given[0])
    changes = changes_after(
        scores, baseline_on=started, first_day=started + timedelta(days=1), last_day=on
    )
    if not changes or any(c.improved for c in changes):
        return None
    return (
        f"{courses} courses of the first regimen since {date_text(started)} and no "
        f"measure better than its baseline by its MCID ({len(changes)} compared)"
    )


def scores_needed_from(regimens: Iterable[RegimenFact], *, on: date, policy: SitePolicy) -> date:
    """The first day whose scores can change what `evaluate_packed` says about day `on`.

    Without a regimen no score matters (date.max). With one, every score may: no response
    (section 11) compares each series' baseline, its latest score on or before the first
    course ever, however old, with everything after it.
    """
    regimen = current_regimen(regimens, on)
    if regimen is None:
        return date.max
    return date.min


def _check_status(status: str) -> None:
    if status not in PATIENT_STATUSES:
        raise ValueError(f"status: unknown patient status {status!r}")


def _unplanned(on: date, status: str, funding: FundingReport) -> Evaluation:
    # No prescription, nothing to plan: null dates and no flags, not even weight_stale,
    # because the weight only matters once a regimen is being dosed (and the regimen
    # route asks for a current weight itself). Authorisations still show what they hold.
    return Evaluation(
        on=on,
        regimen_id=None,
        due_on=None,
        window_start=None,
        window_end=None,
        next_booking=None,
        flags=(),
        recommendation=None,
        needs_booking_from=None,
        overdue_from=None,
        review_due_from=None,
        next_review_on=None,
        weight_stale_from=None,
        status=status,
        authorizations=funding.standings,
    )


def _assemble(
    on: date,
    policy: SitePolicy,
    regimen: RegimenFact,
    dates: DateFlags,
    response: ResponseAssessment | ResponseSummary,
    status: str,
    latest_weight_on: date | None,
    dismissed: frozenset[tuple[int, str]],
    *,
    kept: ResponseAssessment | None,
    no_response: str | None = None,
    counting_cycles: int = 0,
    funding: FundingReport | None = None,
) -> Evaluation:
    funding = funding or FundingReport()
    active = status == "active"
    flags: list[Flag] = []
    recommendation = None
    if active:
        window = dates.window
        if dates.overdue:
            flags.append(Flag(OVERDUE, detail=f"the window closed on {window.window_end}"))
        if dates.needs_booking:
            # Once the window has closed its days cannot be booked: the next course is due as
            # soon as can be. (The wording changes with the overdue flag, on the day the stored
            # state expires anyway.)
            booking = (
                f"the window closed on {window.window_end}: book the next course as soon as "
                "possible"
                if dates.overdue
                else f"book for {window.window_start} to {window.window_end}"
            )
            flags.append(Flag(NEEDS_BOOKING, detail=booking))
        if dates.booking_outside_window and dates.next_booking is not None:
            flags.append(
                Flag(
                    BOOKING_OUTSIDE_WINDOW,
                    detail=f"booked {dates.next_booking.starts_on}, window "
                    f"{window.window_start} to {window.window_end}",
                )
            )
        if response.patterns:
            evidence = (
                response.describe_end_of_dose() if response.end_of_dose else "",
                response.describe_progressive(),
            )
            detail = "; ".join(text for text in evidence if text)
            flags.append(Flag(WANING_RESPONSE, response.patterns, detail))
            if _at_cap(regimen, policy) and counting_cycles >= REFRACTORY_MIN_CYCLES:
                intensity = intensity_g_per_kg_28d(regimen.dose_g_per_kg, regimen.interval_days)
                flags.append(
                    Flag(
                        REFRACTORY,
                        detail=(
                            f"waning at {_g(intensity)} g/kg per 28 days, at or above the cap of "
                            f"{_g(policy.max_intensity_g_per_kg_28d)}, after {counting_cycles} "
                            "cycles of this regimen"
                        ),
                    )
                )
        if no_response is not None:
            flags.append(Flag(NO_RESPONSE, detail=no_response))
        if dates.review_due:
            flags.append(Flag(REVIEW_DUE, detail=f"review due by {dates.next_review_on}"))
        if dates.weight_stale:
            flags.append(Flag(WEIGHT_STALE, detail=_weight_detail(latest_weight_on)))
        if funding.ending_on is not None:
            flags.append(Flag(AUTHORIZATION_ENDING, detail=funding.ending_detail))
        if funding.missing_on is not None:
            flags.append(Flag(AUTHORIZATION_MISSING, detail=funding.missing_detail))
        recommendation = recommend(
            regimen=regimen, response=response, on=on, policy=policy, dismissed=dismissed
        )

    # For a patient on hold or discharged no flag can come on, so no flag has a start day;
    # the schedule and the next review are still shown.
    return Evaluation(
        on=on,
        regimen_id=regimen.id,
        due_on=dates.window.due_on,
        window_start=dates.window.window_start,
        window_end=dates.window.window_end,
        next_booking=dates.next_booking,
        flags=tuple(flags),
        recommendation=recommendation,
        needs_booking_from=dates.needs_booking_from if active else None,
        overdue_from=dates.overdue_from if active else None,
        review_due_from=dates.review_due_from if active else None,
        next_review_on=dates.next_review_on,
        weight_stale_from=dates.weight_stale_from if active else None,
        status=status,
        intensity_g_per_kg_28d=round(
            intensity_g_per_kg_28d(regimen.dose_g_per_kg, regimen.interval_days), 2
        ),
        authorizations=funding.standings,
        authorization_ending_on=funding.ending_on if active else None,
        authorization_missing_on=funding.missing_on if active else None,
        response=kept,
    )


def _at_cap(regimen: RegimenFact, policy: SitePolicy) -> bool:
    # At or above the cap: exactly at it, or above it by an override.
    intensity = intensity_g_per_kg_28d(regimen.dose_g_per_kg, regimen.interval_days)
    return exceeds_intensity_cap(regimen.dose_g_per_kg, regimen.interval_days, policy) or (
        abs(intensity - policy.max_intensity_g_per_kg_28d) <= 1e-9
    )


def _g(value: float) -> str:
    return f"{round(value, 2):g}"


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _weight_detail(latest_weight_on: date | None) -> str:
    if latest_weight_on is None:
        return "no weight recorded"
    return f"last weighed on {latest_weight_on}"
