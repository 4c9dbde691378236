"""Due date, booking window and the date-driven flags (section 4 of the clinical rules)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tracker.rules.facts import BOOKED, GIVEN, CourseFact, RegimenFact
from tracker.rules.policy import SitePolicy
from tracker.rules.weights import weight_stale_from as stale_from

# A flag that has been on for ever (a weight that was never recorded) starts on this day, so
# that "on for day X" is always `from is not None and from <= X`.
ALWAYS = date.min


@dataclass(frozen=True)
class DueWindow:
    """When the next course is due and the days it may be booked on."""

    due_on: date
    window_start: date
    window_end: date


@dataclass(frozen=True)
class DateFlags:
    """The date-driven flags on one day, and the day each of them starts.

    With the facts as they are, a flag is on for day X when its `*_from` date is not None and
    is on or before X; needs_booking also needs no booking dated on or after X, so a stored
    state can tell once a booking has passed without being given.
    """

    window: DueWindow
    next_booking: CourseFact | None
    overdue: bool
    needs_booking: bool
    booking_outside_window: bool
    review_due: bool
    weight_stale: bool
    overdue_from: date
    needs_booking_from: date
    review_due_from: date | None
    next_review_on: date | None
    weight_stale_from: date


def current_regimen(regimens: Iterable[RegimenFact], on: date) -> RegimenFact | None:
    """The regimen with the latest start on or before `on`, else the first one to come."""
    # Regimens are never edited, only followed: two starting the same day are told apart by
    # id, the later record winning.
    ordered = sorted(regimens, key=lambda r: (r.starts_on, r.id))
    if not ordered:
        return None
    started = [r for r in ordered if r.starts_on <= on]
    # A first regimen that starts after `on` is planned from already, so it can be booked.
    return started[-1] if started else ordered[0]


def given_days(courses: Iterable[CourseFact], on: date) -> tuple[date, ...]:
    """The distinct first days of courses given on or before `on`, in order."""
    return tuple(sorted({c.starts_on for c in courses if c.status == GIVEN and c.starts_on <= on}))


def upcoming_bookings(courses: Iterable[CourseFact], on: date) -> tuple[CourseFact, ...]:
    """Courses on the calendar on or after `on`, earliest first."""
    # A course recorded as given after `on` was, as seen from `on`, still a booking: this
    # keeps an evaluation of a past day true to that day.
    upcoming = [
        c if c.status == BOOKED else replace(c, status=BOOKED)
        for c in courses
        if (c.status == BOOKED and c.starts_on >= on) or (c.status == GIVEN and c.starts_on > on)
    ]
    return tuple(sorted(upcoming, key=lambda c: (c.starts_on, c.id)))


def due_window(
    *, regimen: RegimenFact, last_given_on: date | None, policy: SitePolicy
) -> DueWindow:
    """The due day and booking window after the last given course (or at the regimen start).

    An SC regimen (section 9) has its own tolerance, `sc_tolerance_days`, and the IV
    interval bounds do not apply to it: its window is the due day plus or minus that."""
    tolerance = policy.sc_tolerance_days if regimen.subcutaneous else policy.due_tolerance_days
    if last_given_on is None:
        due = regimen.starts_on
        return DueWindow(due, due, due + timedelta(days=tolerance))
    interval = regimen.interval_days
    due = last_given_on + timedelta(days=interval)
    shortest, longest = policy.min_interval_days, policy.max_interval_days
    if regimen.subcutaneous:
        shortest, longest = interval - tolerance, interval + tolerance
    elif not shortest <= interval <= longest:
        # A regimen prescribed outside the bounds (with an override reason) widens them to
        # its own interval and tolerance: otherwise the clamped window would be empty, or
        # would hold the due day alone.
        shortest = min(shortest, interval - tolerance)
        longest = max(longest, interval + tolerance)
    start = max(due - timedelta(days=tolerance), last_given_on + timedelta(days=shortest))
    end = min(due + timedelta(days=tolerance), last_given_on + timedelta(days=longest))
    return DueWindow(due, start, end)


def last_course_for_window(
    *, regimen: RegimenFact, last_given_on: date | None, resumed_on: date | None, on: date
) -> date | None:
    """The L of the due window: the last given course, or, after a return from hold with
    no course since, the return day minus the interval (so the course is due at once).

    An SC regimen that follows IV courses (section 9: it starts when the next IV course
    would have been due) has no L until its first course is given: the IV cover lasts to
    its start, so its first course is due on its start day, as a first regimen's is."""
    if regimen.subcutaneous and last_given_on is not None and last_given_on < regimen.starts_on:
        last_given_on = None
    if resumed_on is None or resumed_on > on:
        return last_given_on
    if last_given_on is not None and last_given_on >= resumed_on:
        return last_given_on
    if last_given_on is None and regimen.starts_on >= resumed_on:
        return None  # treatment starts after the return: due at the regimen start
    return resumed_on - timedelta(days=regimen.interval_days)


def next_review_on(
    *, review_dates: Iterable[date], first_given_on: date | None, on: date, policy: SitePolicy
) -> date | None:
    """The next review: a year after the last one, or half a year after the first course."""
    past_reviews = [d for d in review_dates if d <= on]
    if past_reviews:
        return max(past_reviews) + timedelta(days=policy.review_every_days)
    if first_given_on is None:
        return None  # treatment has not started: nothing to review yet
    return first_given_on + timedelta(days=policy.first_review_days)


def date_flags(
    *,
    regimen: RegimenFact,
    courses: Iterable[CourseFact],
    on: date,
    policy: SitePolicy,
    review_dates: Iterable[date] = (),
    latest_weight_on: date | None = None,
    resumed_on: date | None = None,
) -> DateFlags:
    """The window, the date-driven flags on day `on`, and the day each flag starts."""
    courses = tuple(courses)
    given = given_days(courses, on)
    return date_flags_from(
        regimen=regimen,
        first_given_on=given[0] if given else None,
        last_given_on=given[-1] if given else None,
        bookings=upcoming_bookings(courses, on),
        on=on,
        policy=policy,
        review_dates=review_dates,
        latest_weight_on=latest_weight_on,
        resumed_on=resumed_on,
    )


def date_flags_from(
    *,
    regimen: RegimenFact,
    first_given_on: date | None,
    last_given_on: date | None,
    bookings: tuple[CourseFact, ...],
    on: date,
    policy: SitePolicy,
    review_dates: Iterable[date] = (),
    latest_weight_on: date | None = None,
    resumed_on: date | None = None,
) -> DateFlags:
    """date_flags from the first and last course given by `on` and the upcoming bookings
    (as `upcoming_bookings` lists them), for callers that keep courses as columns.

    `latest_weight_on` is the day of the weight that counts on `on` (rules.weights).
    """
    last = last_course_for_window(
        regimen=regimen, last_given_on=last_given_on, resumed_on=resumed_on, on=on
    )
    window = due_window(regimen=regimen, last_given_on=last, policy=policy)
    booking = bookings[0] if bookings else None

    overdue_from = window.window_end + timedelta(days=1)
    # Kept even while a booking stands: if that booking passes without being given, the flag
    # is on again from this day, and a stored state must be able to say so.
    needs_booking_from = window.window_start - timedelta(days=policy.booking_lookahead_days)
    outside = booking is not None and not (
        window.window_start <= booking.starts_on <= window.window_end
    )

    review_on = next_review_on(
        review_dates=review_dates,
        first_given_on=first_given_on,
        on=on,
        policy=policy,
    )
    review_due_from = (
        None if review_on is None else review_on - timedelta(days=policy.review_warning_days)
    )
    weight_stale_from = (
        ALWAYS
        if latest_weight_on is None
        else stale_from(latest_weight_on, weight_stale_days=policy.weight_stale_days)
    )
    return DateFlags(
        window=window,
        next_booking=booking,
        overdue=on >= overdue_from,
        needs_booking=booking is None and on >= needs_booking_from,
        booking_outside_window=outside,
        review_due=review_due_from is not None and on >= review_due_from,
        weight_stale=on >= weight_stale_from,
        overdue_from=overdue_from,
        needs_booking_from=needs_booking_from,
        review_due_from=review_due_from,
        next_review_on=review_on,
        weight_stale_from=weight_stale_from,
    )
