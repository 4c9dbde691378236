"""The booking page's chair plan: a free start must be free on every day of the course."""

from datetime import date, time, timedelta

from tests.builders.rows import add_patient, book, chair
from tracker.services.chair_plan import chair_days, first_free_start, suggestions

MONDAY = date(2026, 6, 8)
OPENS, CLOSES = time(8, 0), time(18, 0)


def _plan(session, code: str, day: date, *, minutes: int, course_days: int):
    plans = chair_days(session, first=MONDAY, last=MONDAY + timedelta(days=6), minutes=minutes,
                       opens=OPENS, closes=CLOSES, course_days=course_days)
    return next(p for p in plans if p.chair.code == code and p.day == day)


def test_a_start_is_offered_only_where_it_fits_on_every_day_of_the_course(session):
    other = add_patient(session, "CP-1", given="Bo", family="Tuesday")
    # Tuesday 08:00-13:00 on C1 is taken; Monday is empty.
    book(session, other, MONDAY + timedelta(days=1), start=time(8, 0), minutes=300)
    session.flush()
    one_day = _plan(session, "C1", MONDAY, minutes=240, course_days=1)
    two_days = _plan(session, "C1", MONDAY, minutes=240, course_days=2)
    assert one_day.first_free == time(8, 0)
    assert two_days.first_free == time(13, 0)  # after Tuesday's booking
    assert two_days.bookings == []  # the day's own list is still Monday's alone
    # A two-day course from Wednesday never meets Tuesday's booking.
    assert _plan(session, "C1", MONDAY + timedelta(days=2), minutes=600,
                 course_days=2).first_free == time(8, 0)


def test_a_course_that_fits_no_day_of_its_run_gets_no_suggestion_there(session):
    other = add_patient(session, "CP-2", given="Cy", family="Full")
    assert chair(session, "C2")  # another chair is free both days
    book(session, other, MONDAY + timedelta(days=1), start=time(8, 0), minutes=600,
         chair_code="C1")
    session.flush()
    plans = chair_days(session, first=MONDAY, last=MONDAY + timedelta(days=1), minutes=480,
                       opens=OPENS, closes=CLOSES, course_days=2)
    monday_c1 = next(p for p in plans if p.chair.code == "C1" and p.day == MONDAY)
    assert monday_c1.first_free is None
    offered = suggestions(plans, window=(MONDAY, MONDAY), today=MONDAY)
    assert offered and all(p.chair.code != "C1" for p in offered if p.day == MONDAY)


def test_first_free_start_steps_past_every_booking():
    assert first_free_start([(480, 600), (630, 700)], minutes=60, opens=480,
                            closes=1080) == 720
    assert first_free_start([(480, 1080)], minutes=30, opens=480, closes=1080) is None
