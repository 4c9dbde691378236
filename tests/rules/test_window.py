"""Due date, booking window and the date-driven flags (section 4 of the clinical rules)."""

from datetime import date, timedelta

import pytest

from tests.builders.facts import START, booked, day, facts, given, regimen
from tracker.rules import ALWAYS, CourseFact, SitePolicy, current_regimen, due_window, evaluate
from tracker.rules.window import date_flags, upcoming_bookings

POLICY = SitePolicy()
L = date(2026, 3, 2)  # the last given course in most tests


def flags_on(on, *, courses, reg=None, policy=POLICY, reviews=(), weight_on=START):
    return date_flags(
        regimen=reg or regimen(),
        courses=courses,
        on=on,
        policy=policy,
        review_dates=reviews,
        latest_weight_on=weight_on,
    )


# --- which regimen is current -------------------------------------------------------------


def test_current_regimen_is_the_latest_started_on_or_before_the_day():
    first, second = regimen(START, regimen_id=1), regimen(day(60), regimen_id=2)
    later = regimen(day(120), regimen_id=3)
    assert current_regimen([second, later, first], day(59)) == first
    assert current_regimen([second, later, first], day(60)) == second
    assert current_regimen([second, later, first], day(119)) == second


def test_a_first_regimen_in_the_future_is_planned_from():
    future = regimen(day(10))
    assert current_regimen([future], START) == future
    assert current_regimen([regimen(day(20), regimen_id=2), future], START) == future


def test_two_regimens_starting_the_same_day_the_later_record_wins():
    assert (
        current_regimen([regimen(START, regimen_id=5), regimen(START, regimen_id=4)], START).id == 5
    )


def test_no_regimen():
    assert current_regimen([], START) is None


# --- the window ---------------------------------------------------------------------------


def test_no_given_course_due_at_the_regimen_start():
    w = due_window(regimen=regimen(START), last_given_on=None, policy=POLICY)
    assert (w.due_on, w.window_start, w.window_end) == (START, START, START + timedelta(days=3))


def test_due_after_the_last_given_course():
    w = due_window(regimen=regimen(interval=28), last_given_on=L, policy=POLICY)
    assert w.due_on == L + timedelta(days=28)
    assert w.window_start == L + timedelta(days=25)
    assert w.window_end == L + timedelta(days=31)


def test_window_start_clamped_to_the_shortest_interval():
    # Interval 14 with tolerance 3: L+11 would be too soon, the window starts at L+14.
    w = due_window(regimen=regimen(interval=14), last_given_on=L, policy=POLICY)
    assert w.due_on == L + timedelta(days=14)
    assert w.window_start == L + timedelta(days=14)
    assert w.window_end == L + timedelta(days=17)


def test_window_start_partly_clamped():
    w = due_window(regimen=regimen(interval=15), last_given_on=L, policy=POLICY)
    assert w.window_start == L + timedelta(days=14)


def test_window_end_clamped_to_the_longest_interval():
    # Interval 42: L+45 would be too late, the window ends at L+42.
    w = due_window(regimen=regimen(interval=42), last_given_on=L, policy=POLICY)
    assert w.window_start == L + timedelta(days=39)
    assert w.window_end == L + timedelta(days=42)


def test_tolerance_from_the_policy():
    w = due_window(
        regimen=regimen(interval=28), last_given_on=L, policy=SitePolicy(due_tolerance_days=0)
    )
    assert w.window_start == w.window_end == w.due_on


def test_patient_bounds_clamp_the_window():
    # A patient allowed down to weekly infusions, prescribed every 7 days.
    ev = evaluate(
        facts(regimens=(regimen(interval=7, dose=0.4),), courses=given([L]), min_interval_days=7),
        on=L,
        policy=POLICY,
    )
    assert ev.window_start == L + timedelta(days=7)
    assert ev.window_end == L + timedelta(days=10)
    # And a patient kept at 35 days at most.
    ev = evaluate(
        facts(regimens=(regimen(interval=35),), courses=given([L]), max_interval_days=35),
        on=L,
        policy=POLICY,
    )
    assert ev.window_end == L + timedelta(days=35)


def test_an_overridden_interval_outside_the_bounds_keeps_a_window_around_its_due_day():
    # Every 7 days prescribed with an override while the site minimum is 14: the bounds
    # become lo = min(14, 7 - 3) = 4 and hi = max(42, 7 + 3) = 42.
    w = due_window(regimen=regimen(interval=7, dose=0.5), last_given_on=L, policy=POLICY)
    assert w.window_start <= w.due_on <= w.window_end
    assert (w.window_start, w.window_end) == (L + timedelta(days=4), L + timedelta(days=10))
    # Every 56 days: lo = 14, hi = max(42, 56 + 3) = 59, so the window is the whole tolerance.
    w = due_window(regimen=regimen(interval=56), last_given_on=L, policy=POLICY)
    assert (w.window_start, w.window_end) == (L + timedelta(days=53), L + timedelta(days=59))


def test_an_interval_inside_the_bounds_is_clamped_by_them():
    # 15 days with the minimum at 14: due - 3 = L + 12 is before L + 14, so the window
    # opens at L + 14.
    w = due_window(regimen=regimen(interval=15), last_given_on=L, policy=POLICY)
    assert (w.window_start, w.window_end) == (L + timedelta(days=14), L + timedelta(days=18))
    w = due_window(regimen=regimen(interval=41), last_given_on=L, policy=POLICY)
    assert (w.window_start, w.window_end) == (L + timedelta(days=38), L + timedelta(days=42))


def test_the_last_given_course_counts_not_a_booking_or_a_later_one():
    courses = given([L - timedelta(days=28), L]) + (booked(L + timedelta(days=20)),)
    f = flags_on(L + timedelta(days=5), courses=courses)
    assert f.window.due_on == L + timedelta(days=28)
    # Seen from a day before the second course, that course was still ahead.
    f = flags_on(L - timedelta(days=1), courses=courses)
    assert f.window.due_on == L
    assert f.next_booking is not None and f.next_booking.starts_on == L


def test_a_course_given_on_the_evaluation_day_is_the_last_one():
    f = flags_on(L, courses=given([L - timedelta(days=28), L]))
    assert f.window.due_on == L + timedelta(days=28)


# --- overdue ------------------------------------------------------------------------------


def test_overdue_the_day_after_the_window_ends():
    courses = given([L])
    end = L + timedelta(days=31)
    assert not flags_on(end, courses=courses).overdue
    after = flags_on(end + timedelta(days=1), courses=courses)
    assert after.overdue
    assert after.overdue_from == end + timedelta(days=1)


def test_a_first_course_not_given_after_its_window_is_overdue():
    f = flags_on(START + timedelta(days=4), courses=())
    assert f.overdue


# --- needs_booking ------------------------------------------------------------------------


def test_needs_booking_from_lookahead_before_the_window():
    courses = given([L])
    opens = L + timedelta(days=25)
    asks = opens - timedelta(days=14)
    assert not flags_on(asks - timedelta(days=1), courses=courses).needs_booking
    f = flags_on(asks, courses=courses)
    assert f.needs_booking
    assert f.needs_booking_from == asks


def test_a_booking_on_or_after_the_day_stops_needs_booking():
    on = L + timedelta(days=20)
    f = flags_on(on, courses=given([L]) + (booked(on),))
    assert not f.needs_booking
    # The start day is kept, for when the booking passes without being given.
    assert f.needs_booking_from == L + timedelta(days=25 - 14)


def test_a_past_booking_never_given_does_not_count():
    on = L + timedelta(days=30)
    f = flags_on(on, courses=given([L]) + (booked(on - timedelta(days=2)),))
    assert f.needs_booking
    assert f.next_booking is None


def test_the_lookahead_comes_from_the_policy():
    on = L + timedelta(days=24)  # one day before the window
    assert not flags_on(
        on, courses=given([L]), policy=SitePolicy(booking_lookahead_days=0)
    ).needs_booking
    assert flags_on(
        on + timedelta(days=1), courses=given([L]), policy=SitePolicy(booking_lookahead_days=0)
    ).needs_booking


# --- booking_outside_window ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "outside"), [(24, True), (25, False), (28, False), (31, False), (32, True)]
)
def test_booking_outside_window(offset, outside):
    f = flags_on(L + timedelta(days=10), courses=given([L]) + (booked(L + timedelta(days=offset)),))
    assert f.booking_outside_window is outside


def test_only_the_earliest_booking_is_checked():
    courses = given([L]) + (booked(L + timedelta(days=28), 1), booked(L + timedelta(days=70), 2))
    f = flags_on(L + timedelta(days=10), courses=courses)
    assert f.next_booking.id == 1
    assert not f.booking_outside_window


def test_bookings_are_ordered_by_day():
    courses = (booked(day(30), 1), booked(day(10), 2), CourseFact(3, day(20), "given"))
    assert [c.id for c in upcoming_bookings(courses, day(5))] == [2, 3, 1]


# --- review_due ---------------------------------------------------------------------------


def test_first_review_182_days_after_the_first_course_warned_30_days_before():
    first = date(2026, 1, 5)
    courses = given([first, first + timedelta(days=28)])
    review_on = first + timedelta(days=182)
    f = flags_on(review_on - timedelta(days=31), courses=courses)
    assert f.next_review_on == review_on
    assert not f.review_due
    f = flags_on(review_on - timedelta(days=30), courses=courses)
    assert f.review_due
    assert f.review_due_from == review_on - timedelta(days=30)


def test_later_reviews_a_year_after_the_last_review():
    courses = given([date(2025, 1, 6)])
    reviews = (date(2025, 7, 1), date(2026, 2, 1))
    f = flags_on(date(2026, 3, 1), courses=courses, reviews=reviews)
    assert f.next_review_on == date(2027, 2, 1)
    assert not f.review_due
    f = flags_on(date(2027, 1, 2), courses=courses, reviews=reviews)
    assert f.review_due


def test_a_review_recorded_after_the_day_is_not_yet_known():
    courses = given([date(2025, 1, 6)])
    f = flags_on(date(2025, 6, 10), courses=courses, reviews=(date(2025, 7, 1),))
    assert f.next_review_on == date(2025, 1, 6) + timedelta(days=182)


def test_no_course_given_no_review_planned():
    f = flags_on(START, courses=())
    assert f.next_review_on is None and f.review_due_from is None and not f.review_due


# --- weight_stale -------------------------------------------------------------------------


def test_weight_stale_when_older_than_180_days():
    weighed = date(2026, 1, 10)
    f = flags_on(weighed + timedelta(days=180), courses=given([L]), weight_on=weighed)
    assert not f.weight_stale
    f = flags_on(weighed + timedelta(days=181), courses=given([L]), weight_on=weighed)
    assert f.weight_stale
    assert f.weight_stale_from == weighed + timedelta(days=181)


def test_no_weight_is_stale_since_always():
    f = flags_on(L, courses=given([L]), weight_on=None)
    assert f.weight_stale
    assert f.weight_stale_from == ALWAYS == date.min


def test_flag_start_days_answer_for_later_days_without_replaying():
    # The stored start days must agree with evaluating each later day afresh.
    history = facts(regimens=(regimen(),), courses=given([L]), weight_dates=(L,), review_dates=(L,))
    stored = evaluate(history, on=L, policy=POLICY)
    for n in range(0, 400, 3):
        x = L + timedelta(days=n)
        fresh = evaluate(history, on=x, policy=POLICY).flag_codes
        assert ("overdue" in fresh) == (x >= stored.overdue_from)
        assert ("needs_booking" in fresh) == (x >= stored.needs_booking_from)
        assert ("review_due" in fresh) == (x >= stored.review_due_from)
        assert ("weight_stale" in fresh) == (x >= stored.weight_stale_from)


def test_needs_booking_start_day_with_a_booking_that_passes_ungiven():
    # Stored rule: on for X when needs_booking_from <= X and no booking is dated X or later.
    bookings = (booked(L + timedelta(days=27)),)
    history = facts(regimens=(regimen(),), courses=given([L]) + bookings)
    stored = evaluate(history, on=L, policy=POLICY)
    for n in range(0, 60):
        x = L + timedelta(days=n)
        fresh = evaluate(history, on=x, policy=POLICY).flag_codes
        booked_ahead = any(b.starts_on >= x for b in bookings)
        expected = x >= stored.needs_booking_from and not booked_ahead
        assert ("needs_booking" in fresh) == expected


# --- the second round: what is dated after the day, and a return from hold --------------


def test_a_weight_recorded_after_the_day_does_not_hide_weight_stale():
    # The case: a weight recorded next month must not make today's weight current.
    patient = facts(
        regimens=(regimen(),),
        courses=given([L]),
        weight_dates=(L - timedelta(days=300), L + timedelta(days=30)),
    )
    ev = evaluate(patient, on=L + timedelta(days=1), policy=POLICY)
    assert "weight_stale" in ev.flag_codes
    assert ev.weight_stale_from == L - timedelta(days=300) + timedelta(days=181)
    later = evaluate(patient, on=L + timedelta(days=30), policy=POLICY)
    assert "weight_stale" not in later.flag_codes


def test_a_review_recorded_after_the_day_does_not_put_off_review_due():
    first = L - timedelta(days=170)
    patient = facts(
        regimens=(regimen(starts_on=first),),
        courses=given([first, L]),
        review_dates=(L + timedelta(days=5),),
    )
    ev = evaluate(patient, on=L, policy=POLICY)
    assert ev.next_review_on == first + timedelta(days=182)
    assert "review_due" in ev.flag_codes


def test_coming_back_from_hold_makes_the_course_due_that_day_not_overdue():
    # Last course L, on hold for 3 months, back on L + 100: L is replaced by the return day
    # less the interval, so the course is due on the day they came back.
    back = L + timedelta(days=100)
    patient = facts(
        regimens=(regimen(),), courses=given([L - timedelta(days=28), L]), resumed_on=back
    )
    ev = evaluate(patient, on=back, policy=POLICY)
    assert ev.due_on == back
    assert (ev.window_start, ev.window_end) == (back - timedelta(days=3), back + timedelta(3))
    assert "overdue" not in ev.flag_codes
    assert "needs_booking" in ev.flag_codes
    # Before the return the old L still stands (an evaluation of that day is true to it).
    before = evaluate(patient, on=L + timedelta(days=40), policy=POLICY)
    assert before.due_on == L + timedelta(days=28)


def test_a_course_given_after_the_return_is_the_last_course_again():
    back = L + timedelta(days=100)
    patient = facts(
        regimens=(regimen(),), courses=given([L, back + timedelta(days=1)]), resumed_on=back
    )
    ev = evaluate(patient, on=back + timedelta(days=2), policy=POLICY)
    assert ev.due_on == back + timedelta(days=29)


def test_a_course_given_after_the_day_counts_as_booked():
    patient = facts(regimens=(regimen(),), courses=given([L, L + timedelta(days=28)]))
    ev = evaluate(patient, on=L + timedelta(days=20), policy=POLICY)
    assert ev.next_booking is not None
    assert (ev.next_booking.starts_on, ev.next_booking.status) == (L + timedelta(days=28), "booked")
    assert "needs_booking" not in ev.flag_codes
