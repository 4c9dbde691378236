"""The booking page's chair plan: a free start must be free on every day of the course."""

from datetime import date, datetime, time, timedelta

from sqlmodel import select

from tests.builders.rows import add_patient, book, chair
from tracker.rules.opening import DEFAULT_HOURS, OpeningCalendar
from tracker.services.chair_plan import (
    SuggestionKind,
    chair_days,
    first_free_start,
    suggested,
    suggestions,
)
from tracker.store.models import Chair

MONDAY = date(2026, 6, 8)
FRIDAY = date(2026, 12, 4)
FRIDAY_EVENING = datetime(2026, 12, 4, 19, 10)


def _plan(session, code: str, day: date, *, minutes: int, course_days: int):
    plans = chair_days(
        session,
        first=MONDAY,
        last=MONDAY + timedelta(days=6),
        minutes=minutes,
        course_days=course_days,
    )
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
    assert _plan(
        session, "C1", MONDAY + timedelta(days=2), minutes=600, course_days=2
    ).first_free == time(8, 0)


def test_a_course_that_fits_no_day_of_its_run_gets_no_suggestion_there(session):
    other = add_patient(session, "CP-2", given="Cy", family="Full")
    assert chair(session, "C2")  # another chair is free both days
    book(session, other, MONDAY + timedelta(days=1), start=time(8, 0), minutes=600, chair_code="C1")
    session.flush()
    plans = chair_days(
        session, first=MONDAY, last=MONDAY + timedelta(days=1), minutes=480, course_days=2
    )
    monday_c1 = next(p for p in plans if p.chair.code == "C1" and p.day == MONDAY)
    assert monday_c1.first_free is None
    offered = suggestions(plans, window=(MONDAY, MONDAY), today=MONDAY).offers
    assert offered and all(p.chair.code != "C1" for p in offered if p.day == MONDAY)


def test_first_free_start_steps_past_every_booking():
    assert first_free_start([(480, 600), (630, 700)], minutes=60, opens=480, closes=1080) == 720
    assert first_free_start([(480, 1080)], minutes=30, opens=480, closes=1080) is None


def _days(offers):
    return [p.day for p in offers]


def test_a_friday_evening_offers_no_start_today_and_no_weekend(session):
    # The window runs Friday to the next Wednesday; it is 19:10 on the Friday.
    window = (FRIDAY, FRIDAY + timedelta(days=5))
    offered = suggested(session, window=window, now=FRIDAY_EVENING, minutes=240)
    assert offered.kind == SuggestionKind.INSIDE_WINDOW
    days = _days(offered.offers)
    assert days == [date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)]  # Mon-Wed
    assert all(p.first_free == time(8, 0) for p in offered.offers)
    assert all(window[0] <= d <= window[1] for d in days)  # the window's end respected


def test_today_is_offered_from_the_next_half_hour_not_from_opening(session):
    plans = chair_days(
        session, first=FRIDAY, last=FRIDAY, minutes=120, now=datetime(2026, 12, 4, 10, 5)
    )
    assert {p.first_free for p in plans} == {time(10, 30)}
    late = chair_days(session, first=FRIDAY, last=FRIDAY, minutes=120, now=FRIDAY_EVENING)
    assert {p.first_free for p in late} == {None}


def test_closed_days_are_marked_with_the_reason(session):
    calendar = OpeningCalendar(hours=DEFAULT_HOURS, closures={MONDAY: "staff training"})
    plans = chair_days(
        session, first=MONDAY, last=MONDAY + timedelta(days=6), minutes=60, calendar=calendar
    )
    by_day = {p.day: p for p in plans if p.chair.code == "C1"}
    assert by_day[MONDAY].closed == "closed: staff training"
    assert by_day[MONDAY].first_free is None
    assert by_day[MONDAY + timedelta(days=5)].closed == "closed on Saturdays"
    assert by_day[MONDAY + timedelta(days=1)].first_free == time(8, 0)
    # A two-day course from Friday would run into Saturday: no start is offered on Friday.
    two = chair_days(
        session,
        first=MONDAY + timedelta(days=4),
        last=MONDAY + timedelta(days=4),
        minutes=60,
        course_days=2,
        calendar=calendar,
    )
    assert all(p.first_free is None and "Saturdays" in p.closed for p in two)


def test_when_the_window_is_full_the_first_free_days_after_it_are_labelled_so(session):
    # A window of one Monday, every chair taken all that day.
    other = add_patient(session, "CP-3", given="Di", family="Full")
    for c in session.exec(select(Chair).where(Chair.active)).all():
        book(session, other, MONDAY, start=time(8, 0), minutes=600, chair_code=c.code)
    session.flush()
    offered = suggested(
        session, window=(MONDAY, MONDAY), now=datetime(2026, 6, 5, 12, 0), minutes=240
    )
    assert offered.kind == SuggestionKind.AFTER_WINDOW
    assert _days(offered.offers)[0] == MONDAY + timedelta(days=1)
    assert all(d > MONDAY for d in _days(offered.offers))
    # Days before the window are never offered as if they were inside it.
    assert all(d.weekday() < 5 for d in _days(offered.offers))
