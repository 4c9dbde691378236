"""The opening rule: weekly hours, weekends, closures, public holidays and a course's fit."""

from datetime import date, datetime, time

import holidays
import pytest

from tracker.rules.opening import (
    DEFAULT_HOURS,
    DayHours,
    OpeningCalendar,
    course_opening_problem,
    earliest_start_minute,
)

FRIDAY = date(2026, 12, 4)
SATURDAY, SUNDAY, MONDAY = date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)


def test_the_default_week_is_monday_to_friday_eight_to_six():
    calendar = OpeningCalendar()
    assert calendar.is_open(FRIDAY) and calendar.is_open(MONDAY)
    assert not calendar.is_open(SATURDAY) and not calendar.is_open(SUNDAY)
    assert calendar.closed_because(SATURDAY) == "closed on Saturdays"
    assert calendar.hours_on(MONDAY) == DayHours(time(8), time(18))


@pytest.mark.parametrize(
    ("start", "minutes", "fits"),
    [
        (time(8, 0), 240, True),  # at opening
        (time(7, 59), 60, False),  # a minute before
        (time(14, 0), 240, True),  # ends exactly at closing
        (time(14, 30), 240, False),  # ends half an hour after
        (time(17, 59), 1, True),
        (time(18, 0), 30, False),  # nothing starts at closing time
    ],
)
def test_hours_edges(start, minutes, fits):
    assert OpeningCalendar().is_open(MONDAY, start, minutes) is fits


def test_a_course_must_fit_on_every_one_of_its_days():
    calendar = OpeningCalendar()
    problem = course_opening_problem(calendar, first_day=FRIDAY, days=2, start=time(9), minutes=180)
    assert problem.field == "scheduled_on" and "05 Dec 2026" in problem.message
    assert "Saturdays" in problem.message
    late = course_opening_problem(calendar, first_day=MONDAY, days=1, start=time(16), minutes=240)
    assert late.field == "start_time"
    assert "08:00–18:00" in late.message and "ends at 20:00" in late.message
    assert (
        course_opening_problem(calendar, first_day=MONDAY, days=3, start=time(8), minutes=600)
        is None
    )
    # No start time: only the days are checked.
    assert (
        course_opening_problem(calendar, first_day=MONDAY, days=1, start=None, minutes=240) is None
    )


def test_own_closures_and_holidays_close_the_whole_day():
    calendar = OpeningCalendar(
        closures={MONDAY: "staff training"}, holidays={date(2026, 12, 25): "Christmas Day"}
    )
    assert calendar.closed_because(MONDAY) == "closed: staff training"
    assert not calendar.is_open(MONDAY, time(9), 60)
    assert calendar.closed_because(date(2026, 12, 25)) == "public holiday: Christmas Day"
    assert calendar.is_open(date(2026, 12, 24), time(9), 60)


def test_holidays_for_a_country_come_from_the_holidays_package():
    # The service turns the package's answer into plain values; the rule takes them as is.
    uk = {day: name for day, name in holidays.country_holidays("GB", years=2026).items()}
    calendar = OpeningCalendar(holidays=uk)
    assert not calendar.is_open(date(2026, 12, 25))  # Christmas Day, a Friday
    assert not calendar.is_open(date(2026, 12, 28))  # Boxing Day substitute, a Monday
    assert calendar.is_open(date(2026, 12, 29))


def test_weekend_hours_can_be_opened_and_weekdays_closed():
    hours = (None, *DEFAULT_HOURS[1:5], DayHours(time(9), time(13)), None)
    calendar = OpeningCalendar(hours=hours)
    assert not calendar.is_open(MONDAY)
    assert calendar.is_open(SATURDAY, time(9), 240)
    assert not calendar.is_open(SATURDAY, time(9), 241)


def test_hours_must_open_before_they_close():
    with pytest.raises(ValueError):
        DayHours(time(18), time(8))
    with pytest.raises(ValueError):
        OpeningCalendar(hours=DEFAULT_HOURS[:5])


def test_the_earliest_start_today_is_the_next_step_after_now():
    evening = datetime(2026, 12, 4, 19, 5)
    assert earliest_start_minute(FRIDAY, evening, step=30) == 19 * 60 + 30
    assert earliest_start_minute(FRIDAY, datetime(2026, 12, 4, 9, 0), step=30) == 9 * 60
    assert earliest_start_minute(FRIDAY, datetime(2026, 12, 4, 9, 0, 1), step=30) == 9 * 60 + 30
    assert earliest_start_minute(MONDAY, evening, step=30) == 0
    assert earliest_start_minute(date(2026, 12, 3), evening, step=30) == 24 * 60
    assert earliest_start_minute(FRIDAY, None, step=30) == 0
