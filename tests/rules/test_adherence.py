"""Whether each course was given inside the window it fell due in."""

from datetime import date

from tests.builders.facts import START, day, regimen
from tracker.rules import SitePolicy
from tracker.rules.adherence import count_in_window, course_timings

POLICY = SitePolicy()  # tolerance 3 days, intervals 14..42


def test_first_course_is_due_at_the_regimen_start_and_later_ones_after_the_course_before():
    timings = course_timings(
        regimens=[regimen()], policy=POLICY, given_on=[day(0), day(28), day(56 + 5)]
    )
    assert [t.window.due_on for t in timings] == [START, day(28), day(56)]
    assert [t.in_window for t in timings] == [True, True, False]
    assert timings[2].days_outside == 2  # window ends on day 59, given on day 61


def test_edges_of_the_window_count_as_inside_and_a_day_early_does_not():
    timings = course_timings(
        regimens=[regimen()], policy=POLICY, given_on=[day(0), day(25), day(25 + 31), day(56 + 24)]
    )
    # Day 25 is due day 28 minus the 3-day tolerance: the window's first day.
    assert timings[1].in_window and timings[1].days_outside == 0
    # Day 56 is due day 53 plus 3: the window's last day.
    assert timings[2].in_window
    # Due day 84, window from 81: day 80 is one day early.
    assert not timings[3].in_window and timings[3].days_outside == -1


def test_the_window_uses_the_regimen_in_force_while_the_course_was_awaited():
    # From day 40 the interval is 21 days: the course after day 28 is due on day 49.
    regimens = [regimen(), regimen(starts_on=day(40), interval=21, regimen_id=2)]
    timings = course_timings(regimens=regimens, policy=POLICY, given_on=[day(0), day(28), day(49)])
    assert timings[2].window.due_on == day(49)
    assert timings[2].in_window
    # Under the old 28-day interval the same day would have been a week early.
    old = course_timings(regimens=[regimen()], policy=POLICY, given_on=[day(0), day(28), day(49)])
    assert not old[2].in_window and old[2].days_outside == -4


def test_a_regimen_written_at_a_course_governs_the_courses_after_it():
    # At the day-56 course the interval went to 35 days: that course was still due on day
    # 56 under the old regimen, and the next is due 35 days after it.
    regimens = [regimen(), regimen(starts_on=day(56), interval=35, regimen_id=2)]
    timings = course_timings(
        regimens=regimens, policy=POLICY, given_on=[day(0), day(28), day(56), day(91)]
    )
    assert [t.window.due_on for t in timings] == [START, day(28), day(56), day(91)]
    assert all(t.in_window for t in timings)


def test_patient_bounds_clamp_the_window_like_the_evaluation_does():
    # A patient whose shortest interval is 27 days: a 28-day regimen's window cannot open
    # before day 27 after the last course, whatever the tolerance says.
    policy = POLICY.with_patient_bounds(27, None)
    timings = course_timings(regimens=[regimen()], policy=policy, given_on=[day(0), day(26)])
    assert timings[1].window.window_start == day(27)
    assert not timings[1].in_window


def test_count_in_window_only_counts_courses_given_in_the_period():
    timings = course_timings(
        regimens=[regimen()], policy=POLICY, given_on=[day(0), day(28), day(56 + 10), day(94)]
    )
    assert count_in_window(timings, start=day(1), end=day(100)) == (2, 3)
    assert count_in_window(timings, start=day(0), end=day(28)) == (2, 2)
    assert count_in_window(timings, start=date(2030, 1, 1), end=date(2030, 6, 1)) == (0, 0)


def test_same_day_twice_counts_once_and_no_regimen_gives_no_timing():
    assert len(course_timings(regimens=[regimen()], policy=POLICY, given_on=[day(0), day(0)])) == 1
    assert course_timings(regimens=[], policy=POLICY, given_on=[day(0)]) == ()
